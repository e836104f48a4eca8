/**
 * `npm run bench`: measures what profile-relay costs in the path, side by side with the references, in one run
 * on one machine (all traffic on 127.0.0.1):
 *
 * - direct: wrk straight to the backend (the floor);
 * - nginx: Debian's nginx as a plain keep-alive reverse proxy (installed with apt when missing);
 * - go: a stdlib Go relay from `../shared/bench/go-relay` on one core, built with Debian's `golang-go` (installed
 *   with apt when missing), `/ingest` only: the least Alloy's `net/http` costs per profile;
 * - node-floor: `../shared/bench/node-floor`, the least a Node relay does per profile;
 * - relay: profile-relay with `pyroscope.receive_http → pyroscope.write`;
 * - queue: the same with `pyroscope.write`'s durable queue (skipped while `validate` refuses `queue`).
 *
 * Prints the tables and the targets' verdicts, writes `bench/results/latest.{json,md}` and, on a full run, the
 * generated section of `docs/performance.md`. `--quick` runs a few short cases (a few minutes;
 * `--quick --targets=relay,go,node-floor` compares CPU per profile alone, in under two on a quiet machine). See `parseOptions` for every flag.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadProfile, type Profile, type ProfileKey } from "./bodies.ts";
import { filesNeeded, freePort, machineInfo, openFilesLimit } from "./machine.ts";
import type { Measurement, Suite } from "./measurement.ts";
import { type Nginx, startNginx } from "./nginx.ts";
import {
  type BenchOptions,
  caseId,
  makePlan,
  type Protocol,
  parseOptions,
  SUITES,
  TARGETS,
  type TargetName,
  unsupported,
} from "./plan.ts";
import { processTree, rssOf } from "./proc-stats.ts";
import type { RunningServer } from "./processes.ts";
import { buildGoRelay, referenceMissing, startGoRelay, startNodeFloor } from "./references.ts";
import { buildRelay, REPO_ROOT, SOURCE_MAIN, startRelay, validateConfig } from "./relay.ts";
import {
  type BenchReport,
  deriveFigures,
  errors,
  fmtInt,
  fmtNum,
  renderDocSection,
  renderMarkdown,
  renderVerdictLines,
  replaceGeneratedSection,
} from "./report.ts";
import { type BackendProcess, measure, startBackendProcess, type TargetHandle } from "./runner.ts";
import { ensureTools } from "./tools.ts";

const started = Date.now();
const log = (line: string) => process.stderr.write(`${line}\n`);
const elapsed = () => {
  const s = Math.round((Date.now() - started) / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
};

/** Targets that run in a fresh process per group, so each group's memory figures stand alone. */
const PROCESS_TARGETS: readonly TargetName[] = ["relay", "relay-w2", "queue", "go", "go-p2", "node-floor"];

/** The order targets run in a group: the relay first, so the half-load pacing is known for the others. */
const ORDER: readonly TargetName[] = ["relay", "queue", "go", "node-floor", "nginx", "direct"];

/** The generated document holding the bench's section. */
const DOC_PATH = "docs/performance.md";

interface Env {
  readonly options: BenchOptions;
  readonly work: string;
  readonly node: string;
  /** The relay's CLI entry: compiled, or the source. */
  readonly relayMain: string;
  readonly fast: BackendProcess;
  readonly slow: BackendProcess | undefined;
  readonly nginx: Nginx | undefined;
  readonly nginxPorts: { readonly fast: number; readonly slow: number } | undefined;
  /** The Go reference, built for this run. */
  readonly goBinary: string | undefined;
  readonly targets: readonly TargetName[];
  readonly measurements: Measurement[];
  /** Lines for the report: what was skipped or failed, and why. */
  readonly skipped: string[];
}

/** Whether a target of the run takes part in a ladder on `protocol`. */
function runsOn(env: Env, target: TargetName, protocol: Protocol): boolean {
  return env.targets.includes(target) && unsupported(target, protocol) === undefined;
}

function matches(options: BenchOptions, id: string): boolean {
  return options.only === undefined || id.includes(options.only);
}

function progress(m: Measurement): void {
  const cost =
    m.proxy === undefined
      ? ""
      : `  ${fmtNum(m.proxy.coresUsed, 2)} cores  ${fmtNum(m.proxy.cpuMsPerProfile, 2)} CPU ms/profile  ${fmtNum((m.proxy.peakRssBytes ?? Number.NaN) / 1048576)} MiB`;
  const failed = m.non2xx + m.timeouts + m.socketErrors;
  log(
    `[${elapsed()}] ${`${m.suite === "matrix" ? "" : `${m.suite} `}${m.id}`.padEnd(34)} ${m.target.padEnd(10)} ${fmtInt(m.requestsPerSecond).padStart(7)} req/s ${fmtNum(m.mbPerSecond).padStart(6)} MB/s  p50 ${fmtNum(m.latencyMs.p50, 2)} ms  p99 ${fmtNum(m.latencyMs.p99, 2)} ms${cost}${failed > 0 ? `  errors ${errors(m)}` : ""}`,
  );
}

/** Starts the process of a relay or reference target against `backend`. */
async function startServer(
  env: Env,
  name: TargetName,
  backend: BackendProcess,
  inflightBudget: string | undefined,
): Promise<RunningServer> {
  if (name === "go") return startGoRelay(env.goBinary!, backend.port, 1);
  if (name === "go-p2") return startGoRelay(env.goBinary!, backend.port, 2);
  if (name === "node-floor") return startNodeFloor(env.node, backend.port);
  const port = await freePort();
  const dir = mkdtempSync(join(env.work, `${name}-`));
  return startRelay(
    env.node,
    env.relayMain,
    dir,
    {
      listenPort: port,
      backendUrl: backend.url,
      queue: name === "queue" ? env.options.queueFsync : undefined,
      maxInflightBodySize: inflightBudget,
      workers: name === "relay-w2" ? 2 : 1,
    },
    env.options.relayNodeArgs,
    env.options.relayEnv,
  );
}

/** Starts a target that runs in its own process (relay, queue, a reference) against `backend`. */
async function startProcessTarget(
  env: Env,
  name: TargetName,
  backend: BackendProcess,
  inflightBudget: string | undefined,
): Promise<{ server: RunningServer; handle: TargetHandle }> {
  const server = await startServer(env, name, backend, inflightBudget);
  const idleRssBytes = rssOf(processTree(server.child.pid));
  let exited = false;
  void server.child.exited.then(() => {
    exited = true;
  });
  return {
    server,
    handle: {
      name,
      url: server.url,
      pid: server.child.pid,
      idleRssBytes,
      exited: () => exited,
      tail: () => server.child.errorTail(),
    },
  };
}

function staticHandle(env: Env, name: TargetName, slow: boolean): TargetHandle | undefined {
  if (name === "direct") {
    const backend = slow ? env.slow : env.fast;
    return backend === undefined
      ? undefined
      : { name, url: backend.url, pid: undefined, idleRssBytes: undefined };
  }
  if (name === "nginx" && env.nginx !== undefined && env.nginxPorts !== undefined) {
    const port = slow ? env.nginxPorts.slow : env.nginxPorts.fast;
    return {
      name,
      url: `http://127.0.0.1:${port}`,
      pid: env.nginx.child.pid,
      idleRssBytes: env.nginx.idleRssBytes,
    };
  }
  return undefined;
}

/** Runs `body` with the target's handle, starting and stopping the target's process around it when needed. */
async function withTarget(
  env: Env,
  name: TargetName,
  backend: BackendProcess,
  inflightBudget: string | undefined,
  body: (handle: TargetHandle) => Promise<void>,
): Promise<void> {
  if (!PROCESS_TARGETS.includes(name)) {
    const handle = staticHandle(env, name, backend !== env.fast);
    if (handle !== undefined) await body(handle);
    return;
  }
  let started: { server: RunningServer; handle: TargetHandle };
  try {
    started = await startProcessTarget(env, name, backend, inflightBudget);
  } catch (err) {
    const line = `${name}: did not start (${(err as Error).message.split("\n")[0]})`;
    log(`[${elapsed()}] ${line}`);
    env.skipped.push(line);
    return;
  }
  try {
    await body(started.handle);
  } finally {
    await started.server.stop();
  }
}

async function run(
  env: Env,
  suite: Suite,
  handle: TargetHandle,
  backend: BackendProcess,
  protocol: Protocol,
  profile: Profile,
  connections: number,
  pacing: { thinkMs?: number; warmupSeconds?: number; durationSeconds?: number } = {},
): Promise<Measurement | undefined> {
  const id = caseId("matrix", protocol, profile.key, connections);
  const where = `${suite === "matrix" ? "" : `${suite} `}${id} on ${handle.name}`;
  if (handle.exited?.() === true) {
    log(`[${elapsed()}] ${where}: not run, the ${handle.name} process had exited`);
    return undefined;
  }
  let m: Measurement;
  try {
    m = await measure({
      id,
      suite,
      target: handle,
      backend,
      protocol,
      profile,
      connections,
      thinkMs: pacing.thinkMs ?? 0,
      durationSeconds: pacing.durationSeconds ?? env.options.durationSeconds,
      warmupSeconds: pacing.warmupSeconds ?? env.options.warmupSeconds,
      workDir: env.work,
    });
  } catch (err) {
    const died =
      handle.exited?.() === true
        ? `; the ${handle.name} process exited, its last output: ${handle.tail?.().split("\n").slice(-3).join(" | ") ?? ""}`
        : "";
    const line = `${where}: the run failed (${(err as Error).message.split("\n")[0]})${died}`;
    log(`[${elapsed()}] ${line}`);
    env.skipped.push(line);
    return undefined;
  }
  if (handle.exited?.() === true) {
    // what wrk measured against a dead process is not a measurement
    const line = `${where}: the ${handle.name} process exited during the run; its last output: ${handle.tail?.().split("\n").slice(-3).join(" | ") ?? ""}`;
    log(`[${elapsed()}] ${line}`);
    env.skipped.push(line);
    return undefined;
  }
  env.measurements.push(m);
  progress(m);
  return m;
}

async function runMatrix(env: Env, profiles: Map<ProfileKey, Profile>): Promise<void> {
  for (const group of makePlan(env.options).matrix) {
    const profile = profiles.get(group.profile)!;
    const wanted = group.connections.filter((c) =>
      matches(env.options, caseId("matrix", group.protocol, group.profile, c)),
    );
    const half = group.halfLoadConnections;
    const halfWanted =
      half !== undefined && matches(env.options, caseId("matrix", group.protocol, group.profile, half));
    if (wanted.length === 0 && !halfWanted) continue;
    let relayBest: number | undefined;
    for (const name of ORDER.filter((t) => env.targets.includes(t))) {
      const why = unsupported(name, group.protocol);
      if (why !== undefined) {
        if (!env.skipped.includes(why)) {
          log(`skipping ${why}`);
          env.skipped.push(why);
        }
        continue;
      }
      await withTarget(env, name, env.fast, undefined, async (handle) => {
        let lowLoadMs = 0;
        for (const c of wanted) {
          const m = await run(env, "matrix", handle, env.fast, group.protocol, profile, c);
          if (m === undefined) continue;
          if (c === 1) lowLoadMs = m.latencyMs.p50;
          if (name === "relay") relayBest = Math.max(relayBest ?? 0, m.requestsPerSecond);
        }
        if (half !== undefined && halfWanted && relayBest !== undefined && relayBest > 0) {
          // a closed loop paced to half of the relay's best rate: each connection waits so that
          // connections / (think + latency) ≈ rate
          const rate = relayBest / 2;
          const thinkMs = Math.max(1, Math.round((half * 1000) / rate - lowLoadMs));
          // the target is warm from the runs just before
          await run(env, "half-load", handle, env.fast, group.protocol, profile, half, {
            thinkMs,
            warmupSeconds: 0,
          });
        }
      });
    }
  }
}

async function runSizes(env: Env, profiles: Map<ProfileKey, Profile>): Promise<void> {
  const ladder = makePlan(env.options).sizeScaling;
  if (ladder === undefined) return;
  for (const key of ladder.profiles) {
    if (!matches(env.options, `size ${caseId("matrix", ladder.protocol, key, ladder.connections)}`)) continue;
    const profile = profiles.get(key)!;
    for (const name of ladder.targets.filter((t) => runsOn(env, t, ladder.protocol))) {
      await withTarget(env, name, env.fast, undefined, async (handle) => {
        await run(env, "size", handle, env.fast, ladder.protocol, profile, ladder.connections);
      });
    }
  }
}

async function runWorkers(env: Env, profiles: Map<ProfileKey, Profile>): Promise<void> {
  const ladder = makePlan(env.options).workerScaling;
  if (ladder === undefined) return;
  for (const key of ladder.profiles) {
    if (!matches(env.options, `workers ${caseId("matrix", ladder.protocol, key, ladder.connections)}`))
      continue;
    const profile = profiles.get(key)!;
    for (const name of ladder.targets.filter((t) => runsOn(env, t, ladder.protocol))) {
      await withTarget(env, name, env.fast, undefined, async (handle) => {
        await run(env, "workers", handle, env.fast, ladder.protocol, profile, ladder.connections);
      });
    }
  }
}

async function runConnections(env: Env, profiles: Map<ProfileKey, Profile>): Promise<void> {
  const ladder = makePlan(env.options).connScaling;
  if (ladder === undefined || env.slow === undefined) return;
  const slow = env.slow;
  const profile = profiles.get(ladder.profile)!;
  const limit = openFilesLimit();
  const wanted = ladder.connections.filter((c) => {
    const id = `conn ${caseId("matrix", ladder.protocol, ladder.profile, c)}`;
    if (!matches(env.options, id)) return false;
    if (limit !== undefined && limit < filesNeeded(c)) {
      const line = `${id}: not run, ${fmtInt(c)} connections need ${fmtInt(filesNeeded(c))} open files and \`ulimit -n\` allows ${fmtInt(limit)} (raise the hard limit: \`ulimit -Hn\`, systemd's LimitNOFILE)`;
      log(`skipping ${line}`);
      env.skipped.push(line);
      return false;
    }
    return true;
  });
  if (wanted.length === 0) return;
  for (const name of ladder.targets.filter((t) => runsOn(env, t, ladder.protocol))) {
    await withTarget(env, name, slow, ladder.inflightBudget, async (handle) => {
      for (const c of wanted) {
        await run(env, "conn", handle, slow, ladder.protocol, profile, c, {
          durationSeconds: Math.max(env.options.durationSeconds, ladder.minDurationSeconds),
        });
      }
    });
  }
}

async function main(): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    log((err as Error).message);
    return 2;
  }
  const plan = makePlan(options);
  const date = new Date(started).toISOString();
  log(
    `profile-relay bench (${options.quick ? "quick" : "full"}): ${options.durationSeconds} s per run after ${options.warmupSeconds} s warm-up`,
  );

  const skipped: string[] = [];
  let targets = [...options.targets];
  /** Leaves a target out of the run, with the reason printed and reported. */
  const skip = (line: string, target: TargetName) => {
    log(`skipping ${line}`);
    skipped.push(line);
    targets = targets.filter((t) => t !== target);
  };
  // the references live in ../shared: without it they are skipped, with one reason each
  for (const reference of ["go", "node-floor"] as const) {
    const missing = targets.includes(reference) ? referenceMissing(reference) : undefined;
    if (missing !== undefined) skip(missing, reference);
  }
  const missingGo = targets.includes("go-p2") ? referenceMissing("go") : undefined;
  if (missingGo !== undefined) skip(missingGo.replace(/^go:/, "go-p2:"), "go-p2");
  const wantsGo = targets.includes("go") || targets.includes("go-p2");
  const tools = ensureTools(
    [
      { command: "wrk", aptPackage: "wrk" },
      ...(targets.includes("nginx") ? [{ command: "nginx", aptPackage: "nginx" }] : []),
      ...(wantsGo ? [{ command: "go", aptPackage: "golang-go" }] : []),
    ],
    log,
  );
  const wrk = tools.get("wrk");
  if (wrk === undefined) {
    log("wrk is required (Debian: apt-get install wrk; macOS: brew install wrk)");
    return 1;
  }
  const work = mkdtempSync(join(tmpdir(), "profile-relay-bench-"));
  process.once("exit", () => rmSync(work, { recursive: true, force: true }));

  let goBinary: string | undefined;
  if (wantsGo) {
    const go = tools.get("go");
    const skipGo = (why: string): void => {
      for (const t of ["go", "go-p2"] as const) if (targets.includes(t)) skip(`${t}: ${why}`, t);
    };
    if (go === undefined) {
      skipGo("no Go compiler, and it could not be installed (needs root and apt-get)");
    } else {
      log("building the Go reference (go build, into the run's temp folder)");
      const built = await buildGoRelay(go, join(work, "go-relay"));
      if ("binary" in built) goBinary = built.binary;
      else skipGo(`the Go reference did not build (${built.error})`);
    }
  }

  const node = process.execPath;
  let relayMain = SOURCE_MAIN;
  let relayForm = "run from src/ (Node type stripping)";
  if (
    options.relayFrom === "build" &&
    (targets.includes("relay") || targets.includes("relay-w2") || targets.includes("queue"))
  ) {
    log("compiling the relay (tsc, incremental) into bench/.build/");
    const built = await buildRelay();
    if ("main" in built) {
      relayMain = built.main;
      relayForm = "compiled with tsc, as shipped";
    } else {
      log(`tsc failed (${built.error}); running the relay from src/ instead`);
    }
  }
  const fast = await startBackendProcess(node, 0);
  const slow =
    plan.connScaling === undefined
      ? undefined
      : await startBackendProcess(node, plan.connScaling.backendDelayMs);

  if (targets.includes("queue")) {
    const problem = await validateConfig(node, join(work, "validate"), {
      listenPort: 4040,
      backendUrl: fast.url,
      queue: options.queueFsync,
    });
    if (problem !== undefined) {
      skip(
        `queue: \`pyroscope.write\` does not accept \`queue { }\` yet (validate: ${problem.replace(/^Error: \S+: /, "")})`,
        "queue",
      );
    }
  }
  let nginx: Nginx | undefined;
  let nginxPorts: { fast: number; slow: number } | undefined;
  if (targets.includes("nginx")) {
    const nginxPath = tools.get("nginx");
    if (nginxPath === undefined) {
      skip("nginx: not installed and could not be installed (needs root and apt-get)", "nginx");
    } else {
      nginxPorts = { fast: await freePort(), slow: await freePort() };
      const routes = [{ listenPort: nginxPorts.fast, backendPort: fast.port }];
      if (slow !== undefined) routes.push({ listenPort: nginxPorts.slow, backendPort: slow.port });
      try {
        nginx = await startNginx(nginxPath, join(work, "nginx"), routes);
      } catch (err) {
        skip(`nginx: did not start (${(err as Error).message.split("\n")[0]})`, "nginx");
      }
    }
  }

  const profiles = new Map<ProfileKey, Profile>();
  const keys = new Set<ProfileKey>([
    ...plan.matrix.map((g) => g.profile),
    ...(plan.sizeScaling?.profiles ?? []),
    ...(plan.connScaling === undefined ? [] : [plan.connScaling.profile]),
    ...(plan.workerScaling?.profiles ?? []),
  ]);
  for (const key of keys) profiles.set(key, loadProfile(key));

  const env: Env = {
    options,
    work,
    node,
    relayMain,
    fast,
    slow,
    nginx,
    nginxPorts,
    goBinary,
    targets,
    measurements: [],
    skipped,
  };
  await runMatrix(env, profiles);
  await runSizes(env, profiles);
  await runWorkers(env, profiles);
  await runConnections(env, profiles);

  await nginx?.stop();
  await fast.child.stop();
  await slow?.child.stop();

  const report: BenchReport = {
    version: 2,
    date,
    mode: options.quick ? "quick" : "full",
    durationSeconds: options.durationSeconds,
    warmupSeconds: options.warmupSeconds,
    machine: machineInfo(tools),
    relay: [
      relayForm,
      ...(options.relayNodeArgs.length > 0 ? [`Node flags \`${options.relayNodeArgs.join(" ")}\``] : []),
      ...Object.entries(options.relayEnv).map(([name, value]) => `\`${name}=${value}\``),
      ...(targets.includes("queue") ? [`the queue target used \`fsync = "${options.queueFsync}"\``] : []),
    ].join("; "),
    skipped,
    connBudgetBytes: plan.connScaling?.inflightBudgetBytes,
    connPerConnectionBytes: plan.connScaling?.perConnectionBytes,
    measurements: env.measurements,
  };
  const markdown = renderMarkdown(report);
  process.stdout.write(`\n${markdown}\n${renderVerdictLines(report)}\n\n`);

  const complete =
    options.only === undefined &&
    options.targets.length === TARGETS.length &&
    options.suites.length === SUITES.length;
  const name = options.quick ? "quick" : complete ? "latest" : "partial";
  const results = join(REPO_ROOT, "bench/results");
  mkdirSync(results, { recursive: true });
  const json = { ...report, derived: deriveFigures(report) };
  writeFileSync(join(results, `${name}.json`), `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(join(results, `${name}.md`), markdown);
  log(`wrote bench/results/${name}.json and bench/results/${name}.md in ${elapsed()}`);
  if (options.writeDocs && name !== "partial") {
    const docPath = join(REPO_ROOT, DOC_PATH);
    const doc = readFileSync(docPath, "utf8");
    const next = replaceGeneratedSection(doc, renderDocSection(report));
    if (next !== doc) {
      writeFileSync(docPath, next);
      log(`updated the generated section of ${DOC_PATH}`);
    }
  }
  return 0;
}

try {
  process.exitCode = await main();
} catch (err) {
  log(`bench failed: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = 1;
}
process.exit();
