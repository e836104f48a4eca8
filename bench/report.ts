/**
 * The bench's results: the JSON document written to `bench/results/`, the checks against the issue's targets,
 * and the Markdown tables (the whole report for `bench/results/latest.md`, a shorter one for the generated
 * section of `docs/performance.md`).
 */
import type { ProfileKey } from "./bodies.ts";
import type { Measurement } from "./measurement.ts";
import { type Protocol, TARGETS, type TargetName, WORKER_PAIRS, WORKERS_CPU_MAX } from "./plan.ts";

/** Where the numbers were taken. */
export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryBytes: number;
  readonly os: string;
  readonly node: string;
  readonly nginx: string;
  readonly wrk: string;
  /** `go version` of the compiler that built the Go reference, or "no go". */
  readonly go: string;
  /** The git commit of the tree measured (with `+dirty` when it had changes). */
  readonly commit: string;
}

/** Everything one `npm run bench` measured. */
export interface BenchReport {
  /** 2: CPU in ms per profile, the Go and Node references, the backend's CPU. */
  readonly version: 2;
  /** ISO time the run started. */
  readonly date: string;
  readonly mode: "full" | "quick";
  readonly durationSeconds: number;
  readonly warmupSeconds: number;
  readonly machine: MachineInfo;
  /** How the relay ran: compiled as shipped, or from source. */
  readonly relay: string;
  /** Targets or suites left out, with the reason, as printed. */
  readonly skipped: readonly string[];
  /** `max_inflight_body_size` of the relay in the connection ladder, in bytes. */
  readonly connBudgetBytes: number | undefined;
  /** The memory a connection may cost on top of that budget in the connection ladder, in bytes. */
  readonly connPerConnectionBytes: number | undefined;
  readonly measurements: readonly Measurement[];
}

/** One of the issue's targets, checked against a run. */
export interface TargetCheck {
  readonly target: string;
  readonly figure: string;
  /** `undefined` when the run has no data for it. */
  readonly pass: boolean | undefined;
}

const MiB = 1024 * 1024;

/** Formats a count or rate with thousands separators, no decimals. */
export function fmtInt(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return "n/a";
  return Math.round(n).toLocaleString("en-US");
}

/** Formats a number with about three significant digits (at least `minDecimals`). */
export function fmtNum(n: number | undefined, minDecimals = 0): string {
  if (n === undefined || !Number.isFinite(n)) return "n/a";
  const abs = Math.abs(n);
  const decimals = Math.max(minDecimals, abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3);
  return n.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

function fmtMiB(bytes: number | undefined): string {
  return bytes === undefined ? "n/a" : fmtNum(bytes / MiB);
}

/** A ratio as `1.23×`. */
export function fmtX(r: number | undefined): string {
  return r === undefined || !Number.isFinite(r) ? "n/a" : `${r.toFixed(2)}×`;
}

function fmtRatio(a: number | undefined, b: number | undefined): string {
  return fmtX(ratio(a, b));
}

function fmtBytes(n: number): string {
  if (n >= MiB) return `${fmtNum(n / MiB)} MiB`;
  if (n >= 1024) return `${fmtNum(n / 1024)} KiB`;
  return `${Math.round(n)} B`;
}

/** A run's failed requests by kind (`353 non-2xx, 2 timeouts`), or `0`. */
export function errors(m: Measurement): string {
  const parts: string[] = [];
  if (m.non2xx > 0) parts.push(`${fmtInt(m.non2xx)} non-2xx`);
  if (m.timeouts > 0) parts.push(`${fmtInt(m.timeouts)} timeouts`);
  if (m.socketErrors > 0) parts.push(`${fmtInt(m.socketErrors)} socket`);
  return parts.length === 0 ? "0" : parts.join(", ");
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  const align = header.map((_, i) => (i === 0 ? "---" : "---:"));
  return [line(header), line(align), ...rows.map(line)].join("\n");
}

function find(
  ms: readonly Measurement[],
  id: string,
  suite: string,
  target: TargetName,
): Measurement | undefined {
  return ms.find((m) => m.id === id && m.suite === suite && m.target === target);
}

/** The distinct case ids of a suite, in the order they ran. */
function caseIds(ms: readonly Measurement[], suite: string): string[] {
  return [...new Set(ms.filter((m) => m.suite === suite).map((m) => m.id))];
}

/** The body sizes of the issue's `/ingest` CPU targets: profile-relay's CPU per profile at most `max` × Go's. */
export const INGEST_CPU_TARGETS: readonly { profile: ProfileKey; size: string; max: number }[] = [
  { profile: "go-heap-39k", size: "~39 KB", max: 1.0 },
  { profile: "node-3k", size: "~3 KB", max: 1.5 },
  { profile: "go-heap-1m", size: "~1 MB", max: 1.2 },
];
/** Push may cost at most this many times the ingest of the same profile. */
export const PUSH_OVER_INGEST_MAX = 1.3;
/** The concurrency the CPU targets are read at (the issue's measurements: wrk -c16). */
export const CPU_CONNECTIONS = 16;
/** The p99 target holds for profiles up to ~39 KB. */
const SMALL_PROFILE_BYTES = 64 * 1024;

/** A target's CPU per profile (ms) on one protocol, body and concurrency, from the matrix or else the ladder. */
export function cpuOf(
  ms: readonly Measurement[],
  target: TargetName,
  protocol: Protocol,
  profile: ProfileKey,
  connections: number,
): Measurement | undefined {
  for (const suite of ["matrix", "size"] as const) {
    const m = ms.find(
      (x) =>
        x.suite === suite &&
        x.target === target &&
        x.protocol === protocol &&
        x.profile === profile &&
        x.connections === connections &&
        cpuMs(x) !== undefined,
    );
    if (m !== undefined) return m;
  }
  return undefined;
}

/**
 * The CPU per profile a row reports, in ms: the process in the path; for direct (nothing in the path) the
 * backend's own.
 */
export function cpuMs(m: Measurement): number | undefined {
  return m.target === "direct" ? m.backendCpuMsPerProfile : m.proxy?.cpuMsPerProfile;
}

/** `a / b`, or undefined when either is missing or b is not positive. */
export function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined || !(b > 0) ? undefined : a / b;
}

/** Checks the issue's targets against the run. */
export function checkTargets(report: BenchReport): TargetCheck[] {
  const ms = report.measurements;
  const checks: TargetCheck[] = [];

  // /ingest CPU per profile against the Go reference, per body size
  for (const t of INGEST_CPU_TARGETS) {
    const target = `\`/ingest\` CPU per profile ≤ ${t.max.toFixed(1)}× Go at ${t.size}`;
    const relay = cpuOf(ms, "relay", "ingest", t.profile, CPU_CONNECTIONS);
    const go = cpuOf(ms, "go", "ingest", t.profile, CPU_CONNECTIONS);
    const r = ratio(relay === undefined ? undefined : cpuMs(relay), go === undefined ? undefined : cpuMs(go));
    checks.push({
      target,
      figure:
        r === undefined
          ? `no data (needs relay and go on ingest ${t.profile} c${CPU_CONNECTIONS})`
          : `${fmtX(r)} (relay ${fmtNum(cpuMs(relay!), 2)} ms, go ${fmtNum(cpuMs(go!), 2)} ms; ingest ${t.profile} c${CPU_CONNECTIONS})`,
      pass: r === undefined ? undefined : r <= t.max,
    });
  }

  // push against ingest of the same profile
  const pushRatios = pushOverIngest(ms, "relay").filter((p) => p.connections === CPU_CONNECTIONS);
  const worstPush = maxBy(pushRatios, (p) => p.ratio);
  checks.push({
    target: `push CPU per profile ≤ ${PUSH_OVER_INGEST_MAX}× ingest of the same profile`,
    figure:
      worstPush === undefined
        ? `no data (needs relay on push and ingest of one profile at c${CPU_CONNECTIONS})`
        : `worst ${fmtX(worstPush.ratio)} (${worstPush.profile} c${CPU_CONNECTIONS}: push ${fmtNum(worstPush.push, 2)} ms, ingest ${fmtNum(worstPush.ingest, 2)} ms); ${pushRatios.filter((p) => p.ratio <= PUSH_OVER_INGEST_MAX).length}/${pushRatios.length} profiles pass`,
    pass: worstPush === undefined ? undefined : worstPush.ratio <= PUSH_OVER_INGEST_MAX,
  });

  // p99 added over direct ≤ 2 ms at half of the maximum rate, profiles up to ~39 KB
  const added = caseIds(ms, "half-load")
    .map((id) => ({
      id,
      relay: find(ms, id, "half-load", "relay"),
      direct: find(ms, id, "half-load", "direct"),
    }))
    .filter((r) => r.relay !== undefined && r.direct !== undefined)
    .filter((r) => r.relay!.profileBytes <= SMALL_PROFILE_BYTES)
    .map((r) => ({ id: r.id, ms: r.relay!.latencyMs.p99 - r.direct!.latencyMs.p99 }));
  const worstAdded = maxBy(added, (r) => r.ms);
  checks.push({
    target: "p99 added over direct ≤ 2 ms at half of the maximum rate, profiles up to ~39 KB",
    figure: worstAdded === undefined ? "no data" : `worst +${fmtNum(worstAdded.ms, 2)} ms (${worstAdded.id})`,
    pass: worstAdded === undefined ? undefined : worstAdded.ms <= 2,
  });

  // peak RSS < 200 MiB at 256 connections with ~39 KB profiles
  const busy = ms.filter(
    (m) =>
      m.suite === "matrix" &&
      m.target === "relay" &&
      m.profile === "go-heap-39k" &&
      m.connections === 256 &&
      m.proxy?.peakRssBytes !== undefined,
  );
  const peak = maxBy(busy, (m) => m.proxy!.peakRssBytes!);
  checks.push({
    target: "peak RSS < 200 MiB at 256 connections with ~39 KB profiles",
    figure: peak === undefined ? "no data" : `highest ${fmtMiB(peak.proxy!.peakRssBytes)} MiB (${peak.id})`,
    pass: peak === undefined ? undefined : peak.proxy!.peakRssBytes! < 200 * MiB,
  });

  checks.push(checkConnections(report));
  checks.push(checkWorkers(ms));
  return checks;
}

/**
 * Two workers against one (`run --workers=2` against `--workers=1`), per profile of the workers suite: CPU per
 * profile may grow at most `WORKERS_CPU_MAX`; the throughput gain is reported beside Go's with GOMAXPROCS=2
 * against 1 (what two cores give here, the load generator sharing them).
 */
function checkWorkers(ms: readonly Measurement[]): TargetCheck {
  const target = `CPU per profile with 2 workers ≤ ${WORKERS_CPU_MAX.toFixed(1)}× one worker (throughput beside Go's GOMAXPROCS=2 over 1)`;
  const rows = caseIds(ms, "workers").flatMap((id) => {
    const [relay, go] = WORKER_PAIRS.map((pair) => ({
      one: find(ms, id, "workers", pair.one),
      two: find(ms, id, "workers", pair.two),
    }));
    if (relay?.one === undefined || relay.two === undefined) return [];
    const cpu = ratio(cpuMs(relay.two), cpuMs(relay.one));
    if (cpu === undefined) return [];
    const gain = ratio(relay.two.requestsPerSecond, relay.one.requestsPerSecond);
    const goGain =
      go?.one === undefined || go.two === undefined
        ? undefined
        : ratio(go.two.requestsPerSecond, go.one.requestsPerSecond);
    return [{ id, cpu, gain, goGain }];
  });
  const worst = maxBy(rows, (r) => r.cpu);
  if (worst === undefined)
    return { target, figure: "no data (needs relay and relay-w2 in the workers suite)", pass: undefined };
  const figure = rows
    .map(
      (r) =>
        `${r.id}: CPU ${fmtX(r.cpu)}, throughput ${r.gain === undefined ? "n/a" : fmtX(r.gain)} (go ${r.goGain === undefined ? "n/a" : fmtX(r.goGain)})`,
    )
    .join("; ");
  return { target, figure, pass: worst.cpu <= WORKERS_CPU_MAX };
}

/** The top of the connection ladder: no socket errors, no stall, memory within budget plus per-connection cost. */
function checkConnections(report: BenchReport): TargetCheck {
  const top = maxBy(
    report.measurements.filter((m) => m.suite === "conn" && m.target === "relay"),
    (m) => m.connections,
  );
  const perConnection = report.connPerConnectionBytes;
  const allowance = `the in-flight budget + ${perConnection === undefined ? "n/a" : fmtBytes(perConnection)} per connection`;
  if (top === undefined) {
    return {
      target: `5,000 connections against a 300 ms backend: no socket errors, no stall, RSS growth ≤ ${allowance}`,
      figure: "no data",
      pass: undefined,
    };
  }
  const growth = rssGrowth(top);
  const budget = report.connBudgetBytes;
  const allowed =
    budget === undefined || perConnection === undefined
      ? undefined
      : budget + top.connections * perConnection;
  // a stall: requests unanswered within wrk's timeout, or nothing accepted during the whole run
  const stalled = top.timeouts > 0 || top.ok === 0;
  const beyond = growth === undefined || budget === undefined ? undefined : Math.max(0, growth - budget);
  const figure = [
    `${fmtInt(top.socketErrors)} socket errors, ${fmtInt(top.timeouts)} timeouts, ${fmtInt(top.ok)} accepted`,
    `RSS grew ${fmtMiB(growth)} MiB over idle (allowed ${fmtMiB(budget)} + ${fmtInt(top.connections)} × ${perConnection === undefined ? "n/a" : fmtBytes(perConnection)} = ${fmtMiB(allowed)} MiB)`,
    `beyond the budget ${beyond === undefined ? "n/a" : fmtBytes(beyond / top.connections)} per connection`,
  ].join("; ");
  const issueScale = top.connections >= 5000 ? "" : " (the issue's target is at 5,000)";
  return {
    target: `${fmtInt(top.connections)} connections${issueScale} against a ${top.backendDelayMs} ms backend: no socket errors, no stall, RSS growth ≤ ${allowance}`,
    figure,
    pass:
      growth === undefined || allowed === undefined
        ? undefined
        : top.socketErrors === 0 && !stalled && growth <= allowed,
  };
}

/** Push over ingest CPU per profile of one target, per profile and concurrency measured on both. */
export function pushOverIngest(
  ms: readonly Measurement[],
  target: TargetName,
): { profile: ProfileKey; connections: number; ingest: number; push: number; ratio: number }[] {
  const out: { profile: ProfileKey; connections: number; ingest: number; push: number; ratio: number }[] = [];
  for (const push of ms.filter((m) => m.suite === "matrix" && m.target === target && m.protocol === "push")) {
    const ingest = ms.find(
      (m) =>
        m.suite === "matrix" &&
        m.target === target &&
        m.protocol === "ingest" &&
        m.profile === push.profile &&
        m.connections === push.connections,
    );
    const p = cpuMs(push);
    const i = ingest === undefined ? undefined : cpuMs(ingest);
    const r = ratio(p, i);
    if (r !== undefined) {
      out.push({ profile: push.profile, connections: push.connections, ingest: i!, push: p!, ratio: r });
    }
  }
  return out;
}

/** One target's CPU per profile over Go's in one case of the run. */
export interface CpuOverGo {
  readonly case: string;
  readonly suite: "matrix" | "size";
  readonly target: TargetName;
  readonly cpuMs: number;
  readonly goCpuMs: number;
  readonly ratio: number;
}

/** Every target's CPU per profile over Go's, for each case where both ran (direct has no ratio). */
export function cpuOverGo(ms: readonly Measurement[]): CpuOverGo[] {
  const out: CpuOverGo[] = [];
  for (const m of ms) {
    if ((m.suite !== "matrix" && m.suite !== "size") || m.target === "go" || m.target === "direct") continue;
    const go = find(ms, m.id, m.suite, "go");
    const cpu = cpuMs(m);
    const goCpu = go === undefined ? undefined : cpuMs(go);
    const r = ratio(cpu, goCpu);
    if (r !== undefined)
      out.push({ case: m.id, suite: m.suite, target: m.target, cpuMs: cpu!, goCpuMs: goCpu!, ratio: r });
  }
  return out;
}

/** What `latest.json` carries besides the measurements: the verdicts and the ratios the tables show. */
export interface DerivedFigures {
  readonly checks: readonly TargetCheck[];
  readonly cpuOverGo: readonly CpuOverGo[];
  readonly pushOverIngest: readonly (ReturnType<typeof pushOverIngest>[number] & { target: TargetName })[];
}

/** The verdicts and ratios of a run, for the JSON document. */
export function deriveFigures(report: BenchReport): DerivedFigures {
  return {
    checks: checkTargets(report),
    cpuOverGo: cpuOverGo(report.measurements),
    pushOverIngest: TARGETS.flatMap((target) =>
      pushOverIngest(report.measurements, target).map((p) => ({ target, ...p })),
    ),
  };
}

function maxBy<T>(items: readonly T[], key: (item: T) => number): T | undefined {
  return items.reduce<T | undefined>((w, x) => (w === undefined || key(x) > key(w) ? x : w), undefined);
}

/** Peak RSS over the process's idle RSS (right after it started). */
function rssGrowth(m: Measurement): number | undefined {
  const peak = m.proxy?.peakRssBytes;
  const start = m.proxy?.idleRssBytes ?? m.proxy?.startRssBytes;
  return peak === undefined || start === undefined ? undefined : Math.max(0, peak - start);
}

function verdict(pass: boolean | undefined): string {
  return pass === undefined ? "n/a" : pass ? "PASS" : "**MISS**";
}

/** The targets present in a suite of the run, in the order of `TARGETS`. */
function targetsIn(ms: readonly Measurement[], suite: string): TargetName[] {
  return TARGETS.filter((t) => ms.some((m) => m.suite === suite && m.target === t));
}

/** The header lines: when, where, how. */
export function renderHeader(report: BenchReport): string {
  const m = report.machine;
  return [
    `Measured ${report.date.slice(0, 10)} (${report.mode} run, ${report.durationSeconds} s per run after ${report.warmupSeconds} s of warm-up) on ${m.cpuModel}, ${m.cores} cores, ${fmtNum(m.memoryBytes / 1024 ** 3)} GiB, ${m.os}; Node ${m.node}, ${m.nginx}, ${m.wrk}, ${m.go}; commit ${m.commit}.`,
    `The relay was ${report.relay}. Load generator, backend, references and relay share the machine.`,
  ].join("\n");
}

/** The CPU-ratio columns: each target over the Go reference. */
const OVER_GO: readonly { target: TargetName; label: string }[] = [
  { target: "relay", label: "relay/go" },
  { target: "queue", label: "queue/go" },
  { target: "nginx", label: "nginx/go" },
  { target: "node-floor", label: "floor/go" },
];

/** CPU per profile of every target side by side, one row per case, with the ratios against Go. */
export function renderCpu(report: BenchReport): string {
  const ms = report.measurements;
  const present = targetsIn(ms, "matrix");
  const ratios = present.includes("go") ? OVER_GO.filter((r) => present.includes(r.target)) : [];
  const rows = caseIds(ms, "matrix").map((id) => {
    const cpu = (t: TargetName) => {
      const m = find(ms, id, "matrix", t);
      return m === undefined ? undefined : cpuMs(m);
    };
    return [
      id,
      ...present.map((t) => fmtNum(cpu(t), 2)),
      ...ratios.map((r) => fmtRatio(cpu(r.target), cpu("go"))),
    ];
  });
  return table(
    [
      "case",
      ...present.map((t) => (t === "direct" ? "direct (the backend's own)" : t)),
      ...ratios.map((r) => r.label),
    ],
    rows,
  );
}

/** Push over ingest CPU per profile, per target that ran both on the same profile and concurrency. */
export function renderPushVsIngest(report: BenchReport): string {
  const rows = TARGETS.filter((t) => t !== "direct").flatMap((t) =>
    pushOverIngest(report.measurements, t).map((p) => [
      `${p.profile} c${p.connections}`,
      t,
      fmtNum(p.ingest, 2),
      fmtNum(p.push, 2),
      fmtX(p.ratio),
    ]),
  );
  return table(["profile", "target", "ingest CPU ms", "push CPU ms", "push/ingest"], rows);
}

/** The throughput-ratio columns of the matrix: the relay over each reference that ran. */
const RELAY_OVER: readonly TargetName[] = ["nginx", "go", "direct"];

/** The matrix in one row per case: every target's throughput side by side, and the relay's latency and memory. */
export function renderMatrix(report: BenchReport): string {
  const ms = report.measurements;
  const present = targetsIn(ms, "matrix");
  const over = present.includes("relay") ? RELAY_OVER.filter((t) => present.includes(t)) : [];
  const rows = caseIds(ms, "matrix").map((id) => {
    const get = (t: TargetName) => find(ms, id, "matrix", t);
    const relay = get("relay");
    const direct = get("direct");
    const latency = (m: Measurement | undefined) =>
      m === undefined ? "n/a" : `${fmtNum(m.latencyMs.p50, 2)} / ${fmtNum(m.latencyMs.p99, 2)}`;
    return [
      id,
      ...present.map((t) => fmtInt(get(t)?.requestsPerSecond)),
      ...over.map((t) => fmtRatio(relay?.requestsPerSecond, get(t)?.requestsPerSecond)),
      fmtNum(relay?.mbPerSecond),
      latency(relay),
      ...(present.includes("direct") ? [latency(direct)] : []),
      fmtMiB(relay?.proxy?.peakRssBytes),
    ];
  });
  return table(
    [
      "case",
      ...present.map((t) => `${t} req/s`),
      ...over.map((t) => `relay/${t}`),
      "relay MB/s",
      "relay p50 / p99 ms",
      ...(present.includes("direct") ? ["direct p50 / p99 ms"] : []),
      "relay peak RSS MiB",
    ],
    rows,
  );
}

/** Every run of the matrix, one row per target. */
export function renderDetails(report: BenchReport): string {
  const rows = report.measurements
    .filter((m) => m.suite === "matrix")
    .map((m) => [
      m.id,
      m.target,
      fmtInt(m.requestsPerSecond),
      fmtNum(m.mbPerSecond),
      fmtNum(m.latencyMs.p50, 2),
      fmtNum(m.latencyMs.p99, 2),
      errors(m),
      fmtNum(m.proxy?.coresUsed, 2),
      fmtNum(m.proxy?.cpuMsPerProfile, 2),
      fmtInt(m.proxy?.profilesPerCoreSecond),
      fmtMiB(m.proxy?.peakRssBytes),
      fmtNum(m.backendCpuMsPerProfile, 2),
      m.forwarded === undefined ? "n/a" : fmtInt(m.forwarded),
    ]);
  return table(
    [
      "case",
      "target",
      "req/s",
      "MB/s",
      "p50 ms",
      "p99 ms",
      "errors",
      "cores used",
      "CPU ms per profile",
      "profiles/s per core",
      "peak RSS MiB",
      "backend CPU ms per profile",
      "backend got",
    ],
    rows,
  );
}

/** The workers suite: each target's throughput, CPU and cores, and two against one for each pair. */
export function renderWorkers(report: BenchReport): string {
  const ms = report.measurements.filter((m) => m.suite === "workers");
  const rows = caseIds(ms, "workers").flatMap((id) =>
    WORKER_PAIRS.flatMap((pair) => {
      const one = find(ms, id, "workers", pair.one);
      const two = find(ms, id, "workers", pair.two);
      return [one, two]
        .filter((m): m is Measurement => m !== undefined)
        .map((m) => [
          id,
          m.target,
          fmtInt(m.requestsPerSecond),
          fmtNum(m.proxy?.coresUsed, 2),
          fmtNum(cpuMs(m), 3),
          fmtNum(m.latencyMs.p99, 2),
          fmtMiB(m.proxy?.peakRssBytes),
          m === two && one !== undefined
            ? `${fmtX(ratio(two.requestsPerSecond, one.requestsPerSecond))} / ${fmtX(ratio(cpuMs(two), cpuMs(one)))}`
            : "",
        ]);
    }),
  );
  return table(
    [
      "case",
      "target",
      "req/s",
      "cores used",
      "CPU ms per profile",
      "p99 ms",
      "peak RSS MiB",
      "two over one: req/s / CPU",
    ],
    rows,
  );
}

/** Latency at half of the relay's best throughput, every target at the same pacing. */
export function renderHalfLoad(report: BenchReport): string {
  const ms = report.measurements;
  const rows = ms
    .filter((m) => m.suite === "half-load")
    .map((m) => {
      const direct = find(ms, m.id, "half-load", "direct");
      return [
        m.id,
        m.target,
        fmtInt(m.requestsPerSecond),
        fmtNum(m.latencyMs.p50, 2),
        fmtNum(m.latencyMs.p99, 2),
        m.target === "direct" || direct === undefined
          ? ""
          : `+${fmtNum(m.latencyMs.p99 - direct.latencyMs.p99, 2)}`,
        errors(m),
      ];
    });
  return table(["case", "target", "req/s", "p50 ms", "p99 ms", "p99 added over direct, ms", "errors"], rows);
}

/** Cost per profile along the body-size ladder, with each target's CPU over Go's for the same body. */
export function renderSizes(report: BenchReport): string {
  const ms = report.measurements;
  const rows = ms
    .filter((m) => m.suite === "size")
    .map((m) => {
      const cpu = cpuMs(m);
      const go = ms.find((g) => g.suite === "size" && g.target === "go" && g.profile === m.profile);
      const cpuPerMbMs = cpu === undefined ? undefined : cpu / (m.requestBytes / 1e6);
      return [
        m.profile,
        fmtBytes(m.requestBytes),
        m.target,
        fmtInt(m.requestsPerSecond),
        fmtNum(m.mbPerSecond),
        fmtNum(m.latencyMs.p99, 2),
        fmtNum(cpu, 2),
        m.target === "go" ? "" : fmtRatio(cpu, go === undefined ? undefined : cpuMs(go)),
        fmtNum(cpuPerMbMs, 2),
        fmtInt(m.proxy?.profilesPerCoreSecond),
        fmtMiB(m.proxy?.peakRssBytes),
        errors(m),
      ];
    });
  return table(
    [
      "profile",
      "body",
      "target",
      "req/s",
      "MB/s",
      "p99 ms",
      "CPU ms per profile",
      "CPU over go",
      "CPU ms per MB",
      "profiles/s per core",
      "peak RSS MiB",
      "errors",
    ],
    rows,
  );
}

/** The connection ladder against the slow backend. */
export function renderConnections(report: BenchReport): string {
  const rows = report.measurements
    .filter((m) => m.suite === "conn")
    .map((m) => {
      const growth = rssGrowth(m);
      return [
        fmtInt(m.connections),
        m.target,
        fmtInt(m.requestsPerSecond),
        fmtInt(m.non2xx),
        fmtInt(m.socketErrors),
        fmtInt(m.timeouts),
        fmtNum(m.latencyMs.p50, 1),
        fmtNum(m.latencyMs.p99, 1),
        fmtMiB(m.proxy?.idleRssBytes),
        fmtMiB(m.proxy?.peakRssBytes),
        fmtMiB(growth),
        growth === undefined ? "n/a" : fmtNum(growth / m.connections / 1024),
      ];
    });
  return table(
    [
      "connections",
      "target",
      "accepted/s",
      "refused (429)",
      "socket errors",
      "timeouts",
      "p50 ms",
      "p99 ms",
      "idle RSS MiB",
      "peak RSS MiB",
      "growth over idle MiB",
      "growth per connection KiB",
    ],
    rows,
  );
}

function renderChecks(report: BenchReport): string {
  return table(
    ["target", "this run", "verdict"],
    checkTargets(report).map((c) => [c.target, c.figure, verdict(c.pass)]),
  );
}

/** One line per target, `PASS`, `MISS` or `n/a` first, for the terminal. */
export function renderVerdictLines(report: BenchReport): string {
  return checkTargets(report)
    .map(
      (c) =>
        `${(c.pass === undefined ? "n/a" : c.pass ? "PASS" : "MISS").padEnd(4)}  ${c.target}: ${c.figure}`,
    )
    .join("\n");
}

function sizesTitle(report: BenchReport): string {
  const s = report.measurements.find((m) => m.suite === "size");
  return s === undefined ? "" : `${s.protocol}, ${s.connections} connections`;
}

function connTitle(report: BenchReport): string {
  const c = report.measurements.find((m) => m.suite === "conn");
  if (c === undefined) return "";
  const budget =
    report.connBudgetBytes === undefined
      ? ""
      : `, relay \`max_inflight_body_size\` = ${fmtMiB(report.connBudgetBytes)} MiB`;
  return `${c.protocol} ${c.profile}, backend answers after ${c.backendDelayMs} ms, ${Math.round(c.durationSeconds)} s runs${budget}`;
}

const LEGEND = [
  "req/s counts accepted profiles (answers below 400); MB/s is request-body megabytes (10^6) accepted per second.",
  "CPU is user + system time of the process in the path and its descendants, from `/proc`, over the profiles answered: CPU ms per profile; profiles/s per core = profiles ÷ CPU seconds.",
  "For direct nothing is in the path: its CPU figure is the backend's own (a minimal Node server receiving and acknowledging the profile), for scale, and takes part in no ratio.",
  "relay = `pyroscope.receive_http → pyroscope.write`; queue = the same with `pyroscope.write`'s durable `queue`;",
  "go = a stdlib Go relay on one core (`GOMAXPROCS=1`, `/ingest` only), the floor of what Alloy's `net/http` costs;",
  "node-floor = the least a Node relay does (`node:http` in, undici out, no parsing; on push it forwards the bytes as they are).",
  "RSS is the process tree's, nginx's master and workers summed.",
].join(" ");

/** The whole report, for `bench/results/latest.md`. */
export function renderMarkdown(report: BenchReport): string {
  const ms = report.measurements;
  const parts = ["# profile-relay benchmark", "", renderHeader(report), "", LEGEND, ""];
  if (report.skipped.length > 0) parts.push(...report.skipped.map((s) => `- skipped: ${s}`), "");
  parts.push("## Targets", "", renderChecks(report), "");
  if (ms.some((m) => m.suite === "matrix")) {
    parts.push("## CPU per profile, ms (backend answers at once)", "", renderCpu(report), "");
  }
  if (TARGETS.some((t) => pushOverIngest(ms, t).length > 0)) {
    parts.push(
      "## Push against ingest of the same profile, CPU per profile",
      "",
      renderPushVsIngest(report),
      "",
    );
  }
  if (ms.some((m) => m.suite === "matrix")) {
    parts.push("## Throughput (backend answers at once)", "", renderMatrix(report), "");
  }
  if (ms.some((m) => m.suite === "half-load")) {
    parts.push("## Latency at half of the relay's maximum throughput", "", renderHalfLoad(report), "");
  }
  if (ms.some((m) => m.suite === "size")) {
    parts.push(`## Cost as the body grows (${sizesTitle(report)})`, "", renderSizes(report), "");
  }
  if (ms.some((m) => m.suite === "conn")) {
    parts.push(
      `## Connections against a slow backend (${connTitle(report)})`,
      "",
      renderConnections(report),
      "",
    );
  }
  if (ms.some((m) => m.suite === "workers")) {
    parts.push(
      `## Workers: one process against two (${workersTitle(report)})`,
      "",
      renderWorkers(report),
      "",
    );
  }
  if (ms.some((m) => m.suite === "matrix")) {
    parts.push("## Every run", "", renderDetails(report), "");
  }
  return parts.join("\n");
}

function workersTitle(report: BenchReport): string {
  const c = report.measurements.find((m) => m.suite === "workers")?.connections;
  return `relay \`run --workers=1\` and \`=2\`, Go \`GOMAXPROCS=1\` and \`=2\`, ${c ?? "n/a"} connections; wrk and the backend share the machine's ${report.machine.cores} cores`;
}

/** The shorter report for the generated section of `docs/performance.md`. */
export function renderDocSection(report: BenchReport): string {
  const ms = report.measurements;
  const parts = [renderHeader(report), "", renderChecks(report), ""];
  if (ms.some((m) => m.suite === "matrix")) {
    parts.push("CPU per profile, ms (backend answers at once):", "", renderCpu(report), "");
  }
  if (TARGETS.some((t) => pushOverIngest(ms, t).length > 0)) {
    parts.push("Push against ingest of the same profile:", "", renderPushVsIngest(report), "");
  }
  if (ms.some((m) => m.suite === "matrix")) parts.push("Throughput:", "", renderMatrix(report), "");
  if (ms.some((m) => m.suite === "workers")) {
    parts.push(`Workers, one process against two (${workersTitle(report)}):`, "", renderWorkers(report), "");
  }
  if (ms.some((m) => m.suite === "size")) {
    parts.push(`Cost as the body grows (${sizesTitle(report)}):`, "", renderSizes(report), "");
  }
  if (ms.some((m) => m.suite === "conn")) {
    parts.push(
      `Connections against a slow backend (${connTitle(report)}):`,
      "",
      renderConnections(report),
      "",
    );
  }
  if (report.skipped.length > 0) parts.push(...report.skipped.map((s) => `- skipped: ${s}`), "");
  return parts.join("\n").trimEnd();
}

export const SECTION_BEGIN = "<!-- BEGIN bench -->";
export const SECTION_END = "<!-- END bench -->";

/** The document with the text between the bench markers replaced; unchanged when the markers are missing. */
export function replaceGeneratedSection(doc: string, section: string): string {
  const i = doc.indexOf(SECTION_BEGIN);
  const j = doc.indexOf(SECTION_END);
  if (i < 0 || j < i) return doc;
  return `${doc.slice(0, i + SECTION_BEGIN.length)}\n${section}\n${doc.slice(j)}`;
}
