/**
 * `npm run bench`: measures what profile-relay costs in the path, side by side with the references, in one run
 * on one machine (all traffic on 127.0.0.1):
 *
 * - direct: wrk straight to the backend (the floor);
 * - nginx: Debian's nginx as a plain keep-alive reverse proxy (installed with apt when missing);
 * - relay: profile-relay with `pyroscope.receive_http → pyroscope.write`;
 * - queue: the same with `pyroscope.write`'s durable queue (skipped while `validate` refuses `queue`).
 *
 * Prints the tables, writes `bench/results/latest.{json,md}` and, on a full run, the table in docs/performance.md.
 * `--quick` runs a few short cases (under a minute). See `parseOptions` for every flag.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadProfile, type Profile, type ProfileKey } from "./bodies.ts";
import { freePort, machineInfo } from "./machine.ts";
import type { Measurement, Suite } from "./measurement.ts";
import { type Nginx, startNginx } from "./nginx.ts";
import { type BenchOptions, caseId, makePlan, type Protocol, parseOptions, type TargetName } from "./plan.ts";
import { processTree, rssOf } from "./proc-stats.ts";
import { buildRelay, REPO_ROOT, type Relay, SOURCE_MAIN, startRelay, validateConfig } from "./relay.ts";
import {
  type BenchReport,
  fmtInt,
  fmtNum,
  renderMarkdown,
  renderReadmeSection,
  replaceReadmeSection,
} from "./report.ts";
import { type BackendProcess, measure, startBackendProcess, type TargetHandle } from "./runner.ts";
import { ensureTools } from "./tools.ts";

const started = Date.now();
const log = (line: string) => process.stderr.write(`${line}\n`);
const elapsed = () => {
  const s = Math.round((Date.now() - started) / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
};

/** Relay targets run in a fresh process per group, so each group's memory figures stand alone. */
const RELAY_TARGETS: readonly TargetName[] = ["relay", "queue"];

/** The order targets run in a group: the relay first, so the half-load pacing is known for the others. */
const ORDER: readonly TargetName[] = ["relay", "queue", "nginx", "direct"];

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
  readonly targets: readonly TargetName[];
  readonly measurements: Measurement[];
  /** Lines for the report: what was skipped or failed, and why. */
  readonly skipped: string[];
}

function matches(options: BenchOptions, id: string): boolean {
  return options.only === undefined || id.includes(options.only);
}

function progress(m: Measurement): void {
  const cost =
    m.proxy === undefined
      ? ""
      : `  ${fmtNum(m.proxy.coresUsed, 2)} cores  ${fmtNum(m.proxy.cpuSecondsPer1000Profiles, 2)} CPU s/1k  ${fmtNum((m.proxy.peakRssBytes ?? Number.NaN) / 1048576)} MiB`;
  const errors = m.non2xx + m.timeouts + m.socketErrors;
  log(
    `[${elapsed()}] ${`${m.suite === "matrix" ? "" : `${m.suite} `}${m.id}`.padEnd(34)} ${m.target.padEnd(6)} ${fmtInt(m.requestsPerSecond).padStart(7)} req/s ${fmtNum(m.mbPerSecond).padStart(6)} MB/s  p50 ${fmtNum(m.latencyMs.p50, 2)} ms  p99 ${fmtNum(m.latencyMs.p99, 2)} ms${cost}${errors > 0 ? `  errors ${fmtInt(errors)}` : ""}`,
  );
}

/** Starts a relay target (or the queue variant) against `backend`. */
async function startRelayTarget(
  env: Env,
  name: TargetName,
  backend: BackendProcess,
  inflightBudget: string | undefined,
): Promise<{ relay: Relay; handle: TargetHandle }> {
  const port = await freePort();
  const dir = mkdtempSync(join(env.work, `${name}-`));
  const relay = await startRelay(
    env.node,
    env.relayMain,
    dir,
    {
      listenPort: port,
      backendUrl: backend.url,
      queue: name === "queue" ? env.options.queueFsync : undefined,
      maxInflightBodySize: inflightBudget,
    },
    env.options.relayNodeArgs,
  );
  const idleRssBytes = rssOf(processTree(relay.child.pid));
  let exited = false;
  void relay.child.exited.then(() => {
    exited = true;
  });
  return {
    relay,
    handle: {
      name,
      url: relay.url,
      pid: relay.child.pid,
      idleRssBytes,
      exited: () => exited,
      tail: () => relay.child.errorTail(),
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

/** Runs `body` with the target's handle, starting and stopping a relay process around it when needed. */
async function withTarget(
  env: Env,
  name: TargetName,
  backend: BackendProcess,
  inflightBudget: string | undefined,
  body: (handle: TargetHandle) => Promise<void>,
): Promise<void> {
  if (!RELAY_TARGETS.includes(name)) {
    const handle = staticHandle(env, name, backend !== env.fast);
    if (handle !== undefined) await body(handle);
    return;
  }
  const { relay, handle } = await startRelayTarget(env, name, backend, inflightBudget);
  try {
    await body(handle);
  } finally {
    await relay.stop();
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
  thinkMs = 0,
  warmupSeconds = env.options.warmupSeconds,
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
      thinkMs,
      durationSeconds: env.options.durationSeconds,
      warmupSeconds,
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
          await run(env, "half-load", handle, env.fast, group.protocol, profile, half, thinkMs, 0);
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
    for (const name of ladder.targets.filter((t) => env.targets.includes(t))) {
      await withTarget(env, name, env.fast, undefined, async (handle) => {
        await run(env, "size", handle, env.fast, ladder.protocol, profile, ladder.connections);
      });
    }
  }
}

async function runConnections(env: Env, profiles: Map<ProfileKey, Profile>): Promise<void> {
  const ladder = makePlan(env.options).connScaling;
  if (ladder === undefined || env.slow === undefined) return;
  const slow = env.slow;
  const profile = profiles.get(ladder.profile)!;
  const wanted = ladder.connections.filter((c) =>
    matches(env.options, `conn ${caseId("matrix", ladder.protocol, ladder.profile, c)}`),
  );
  if (wanted.length === 0) return;
  for (const name of ladder.targets.filter((t) => env.targets.includes(t))) {
    await withTarget(env, name, slow, ladder.inflightBudget, async (handle) => {
      for (const c of wanted) await run(env, "conn", handle, slow, ladder.protocol, profile, c);
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

  const tools = ensureTools(
    [
      { command: "wrk", aptPackage: "wrk" },
      { command: "nginx", aptPackage: "nginx" },
    ],
    log,
  );
  const wrk = tools.get("wrk");
  if (wrk === undefined) {
    log("wrk is required (Debian: apt-get install wrk; macOS: brew install wrk)");
    return 1;
  }
  const skipped: string[] = [];
  let targets = [...options.targets];
  const work = mkdtempSync(join(tmpdir(), "profile-relay-bench-"));
  process.once("exit", () => rmSync(work, { recursive: true, force: true }));

  const node = process.execPath;
  let relayMain = SOURCE_MAIN;
  let relayForm = "run from src/ (Node type stripping)";
  if (options.relayFrom === "build" && (targets.includes("relay") || targets.includes("queue"))) {
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
      const line = `queue: \`pyroscope.write\` does not accept \`queue { }\` yet (validate: ${problem.replace(/^Error: \S+: /, "")})`;
      log(`skipping ${line}`);
      skipped.push(line);
      targets = targets.filter((t) => t !== "queue");
    }
  }
  let nginx: Nginx | undefined;
  let nginxPorts: { fast: number; slow: number } | undefined;
  if (targets.includes("nginx")) {
    const nginxPath = tools.get("nginx");
    if (nginxPath === undefined) {
      const line = "nginx: not installed and could not be installed (needs root and apt-get)";
      log(`skipping ${line}`);
      skipped.push(line);
      targets = targets.filter((t) => t !== "nginx");
    } else {
      nginxPorts = { fast: await freePort(), slow: await freePort() };
      const routes = [{ listenPort: nginxPorts.fast, backendPort: fast.port }];
      if (slow !== undefined) routes.push({ listenPort: nginxPorts.slow, backendPort: slow.port });
      try {
        nginx = await startNginx(nginxPath, join(work, "nginx"), routes);
      } catch (err) {
        const line = `nginx: did not start (${(err as Error).message.split("\n")[0]})`;
        log(`skipping ${line}`);
        skipped.push(line);
        targets = targets.filter((t) => t !== "nginx");
      }
    }
  }

  const profiles = new Map<ProfileKey, Profile>();
  const keys = new Set<ProfileKey>([
    ...plan.matrix.map((g) => g.profile),
    ...(plan.sizeScaling?.profiles ?? []),
    ...(plan.connScaling === undefined ? [] : [plan.connScaling.profile]),
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
    targets,
    measurements: [],
    skipped,
  };
  await runMatrix(env, profiles);
  await runSizes(env, profiles);
  await runConnections(env, profiles);

  await nginx?.stop();
  await fast.child.stop();
  await slow?.child.stop();

  const report: BenchReport = {
    version: 1,
    date,
    mode: options.quick ? "quick" : "full",
    durationSeconds: options.durationSeconds,
    warmupSeconds: options.warmupSeconds,
    machine: machineInfo(tools),
    relay: targets.includes("queue")
      ? `${relayForm}; the queue target used \`fsync = "${options.queueFsync}"\``
      : relayForm,
    skipped,
    connBudgetBytes: plan.connScaling?.inflightBudgetBytes,
    measurements: env.measurements,
  };
  const markdown = renderMarkdown(report);
  process.stdout.write(`\n${markdown}\n`);

  const complete = options.only === undefined && options.targets.length === 4;
  const name = options.quick ? "quick" : complete ? "latest" : "partial";
  const results = join(REPO_ROOT, "bench/results");
  mkdirSync(results, { recursive: true });
  writeFileSync(join(results, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(results, `${name}.md`), markdown);
  log(`wrote bench/results/${name}.json and bench/results/${name}.md in ${elapsed()}`);
  if (options.writeReadme && name !== "partial") {
    const readmePath = join(REPO_ROOT, "docs/performance.md");
    const readme = readFileSync(readmePath, "utf8");
    const next = replaceReadmeSection(readme, renderReadmeSection(report));
    if (next !== readme) {
      writeFileSync(readmePath, next);
      log("updated the table in docs/performance.md");
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
