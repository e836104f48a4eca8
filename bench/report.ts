/**
 * The bench's results: the JSON document written to `bench/results/`, the checks against the targets,
 * and the Markdown tables (the whole report for `bench/results/latest.md`, a shorter one for the README).
 */
import type { Measurement } from "./measurement.ts";
import type { TargetName } from "./plan.ts";

/** Where the numbers were taken. */
export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryBytes: number;
  readonly os: string;
  readonly node: string;
  readonly nginx: string;
  readonly wrk: string;
  /** The git commit of the tree measured (with `+dirty` when it had changes). */
  readonly commit: string;
}

/** Everything one `npm run bench` measured. */
export interface BenchReport {
  readonly version: 1;
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
  readonly measurements: readonly Measurement[];
}

/** One of the targets, checked against a run. */
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

function fmtRatio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || !(b > 0)) return "n/a";
  return `${(a / b).toFixed(2)}×`;
}

function fmtBytes(n: number): string {
  if (n >= MiB) return `${fmtNum(n / MiB)} MiB`;
  if (n >= 1024) return `${fmtNum(n / 1024)} KiB`;
  return `${n} B`;
}

function errors(m: Measurement): string {
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

/** Checks the targets against the run. */
export function checkTargets(report: BenchReport): TargetCheck[] {
  const ms = report.measurements;
  const checks: TargetCheck[] = [];

  // throughput ≥ 0.8× nginx at concurrency 16 and 256, every ingest and push case
  const ratios = caseIds(ms, "matrix")
    .map((id) => ({ id, relay: find(ms, id, "matrix", "relay"), nginx: find(ms, id, "matrix", "nginx") }))
    .filter((r) => r.relay !== undefined && r.nginx !== undefined && r.relay.connections >= 16)
    .map((r) => ({
      id: r.id,
      ratio: r.relay!.requestsPerSecond / Math.max(r.nginx!.requestsPerSecond, 1e-9),
    }));
  const worst = ratios.reduce<(typeof ratios)[number] | undefined>(
    (w, r) => (w === undefined || r.ratio < w.ratio ? r : w),
    undefined,
  );
  checks.push({
    target: "throughput ≥ 0.8× nginx (every case at c16 and c256)",
    figure:
      worst === undefined
        ? "no data"
        : `worst ${worst.ratio.toFixed(2)}× (${worst.id}); ${ratios.filter((r) => r.ratio >= 0.8).length}/${ratios.length} cases pass`,
    pass: worst === undefined ? undefined : worst.ratio >= 0.8,
  });

  // p99 added over direct ≤ 2 ms at half of the maximum throughput
  const added = caseIds(ms, "half-load")
    .map((id) => ({
      id,
      relay: find(ms, id, "half-load", "relay"),
      direct: find(ms, id, "half-load", "direct"),
    }))
    .filter((r) => r.relay !== undefined && r.direct !== undefined)
    .map((r) => ({ id: r.id, ms: r.relay!.latencyMs.p99 - r.direct!.latencyMs.p99 }));
  const worstAdded = added.reduce<(typeof added)[number] | undefined>(
    (w, r) => (w === undefined || r.ms > w.ms ? r : w),
    undefined,
  );
  checks.push({
    target: "p99 added over direct ≤ 2 ms at half of the maximum throughput",
    figure: worstAdded === undefined ? "no data" : `worst +${fmtNum(worstAdded.ms, 2)} ms (${worstAdded.id})`,
    pass: worstAdded === undefined ? undefined : worstAdded.ms <= 2,
  });

  // ≥ 2,000 profiles/s per core and peak RSS < 200 MiB for ~39 KB profiles
  const heap = ms.filter((m) => m.suite === "matrix" && m.target === "relay" && m.profile === "go-heap-39k");
  const busy = heap.filter((m) => m.connections >= 16 && m.proxy?.profilesPerCoreSecond !== undefined);
  const minPerCore = busy.reduce<Measurement | undefined>(
    (w, m) => (w === undefined || m.proxy!.profilesPerCoreSecond! < w.proxy!.profilesPerCoreSecond! ? m : w),
    undefined,
  );
  checks.push({
    target: "≥ 2,000 profiles/s per core, ~39 KB profiles (c16 and c256)",
    figure:
      minPerCore === undefined
        ? "no data"
        : `lowest ${fmtInt(minPerCore.proxy!.profilesPerCoreSecond)} (${minPerCore.id})`,
    pass: minPerCore === undefined ? undefined : minPerCore.proxy!.profilesPerCoreSecond! >= 2000,
  });
  const peak = heap.reduce<Measurement | undefined>(
    (w, m) =>
      m.proxy?.peakRssBytes !== undefined &&
      (w === undefined || m.proxy.peakRssBytes > w.proxy!.peakRssBytes!)
        ? m
        : w,
    undefined,
  );
  checks.push({
    target: "peak RSS < 200 MiB in the ~39 KB runs",
    figure: peak === undefined ? "no data" : `highest ${fmtMiB(peak.proxy!.peakRssBytes)} MiB (${peak.id})`,
    pass: peak === undefined ? undefined : peak.proxy!.peakRssBytes! < 200 * MiB,
  });

  // the connection ladder: no stalls, memory within the in-flight budget
  const ladder = ms.filter((m) => m.suite === "conn" && m.target === "relay");
  const top = ladder.reduce<Measurement | undefined>(
    (w, m) => (w === undefined || m.connections > w.connections ? m : w),
    undefined,
  );
  if (top === undefined) {
    checks.push({
      target: "many connections to a slow backend: no stalls, RSS within the in-flight budget",
      figure: "no data",
      pass: undefined,
    });
  } else {
    const growth = rssGrowth(top);
    const budget = report.connBudgetBytes;
    const stalls = top.timeouts + top.socketErrors;
    checks.push({
      target: `${fmtInt(top.connections)} connections to a ${top.backendDelayMs} ms backend: no stalls, RSS within the in-flight budget`,
      figure: `${fmtInt(stalls)} timeouts/socket errors; RSS grew ${fmtMiB(growth)} MiB over idle (budget ${fmtMiB(budget)} MiB), peak ${fmtMiB(top.proxy?.peakRssBytes)} MiB`,
      pass: growth === undefined || budget === undefined ? undefined : stalls === 0 && growth <= budget,
    });
  }
  return checks;
}

/** Peak RSS over the process's idle RSS (right after it started). */
function rssGrowth(m: Measurement): number | undefined {
  const peak = m.proxy?.peakRssBytes;
  const start = m.proxy?.idleRssBytes ?? m.proxy?.startRssBytes;
  return peak === undefined || start === undefined ? undefined : Math.max(0, peak - start);
}

function verdict(pass: boolean | undefined): string {
  return pass === undefined ? "n/a" : pass ? "pass" : "**miss**";
}

/** The header lines: when, where, how. */
export function renderHeader(report: BenchReport): string {
  const m = report.machine;
  return [
    `Measured ${report.date.slice(0, 10)} (${report.mode} run, ${report.durationSeconds} s per run after ${report.warmupSeconds} s of warm-up) on ${m.cpuModel}, ${m.cores} cores, ${fmtNum(m.memoryBytes / 1024 ** 3)} GiB, ${m.os}; Node ${m.node}, ${m.nginx}, ${m.wrk}; commit ${m.commit}.`,
    `The relay was ${report.relay}. Load generator, backend, nginx and relay share the machine.`,
  ].join("\n");
}

/** The matrix in one row per case: every target's throughput side by side, and the relay's costs. */
export function renderMatrix(report: BenchReport): string {
  const ms = report.measurements;
  const rows = caseIds(ms, "matrix").map((id) => {
    const get = (t: TargetName) => find(ms, id, "matrix", t);
    const relay = get("relay");
    const nginx = get("nginx");
    const direct = get("direct");
    const queue = get("queue");
    return [
      id,
      fmtInt(direct?.requestsPerSecond),
      fmtInt(nginx?.requestsPerSecond),
      fmtInt(relay?.requestsPerSecond),
      fmtInt(queue?.requestsPerSecond),
      fmtRatio(relay?.requestsPerSecond, nginx?.requestsPerSecond),
      fmtRatio(relay?.requestsPerSecond, direct?.requestsPerSecond),
      fmtNum(relay?.mbPerSecond),
      relay === undefined ? "n/a" : `${fmtNum(relay.latencyMs.p50, 2)} / ${fmtNum(relay.latencyMs.p99, 2)}`,
      direct === undefined
        ? "n/a"
        : `${fmtNum(direct.latencyMs.p50, 2)} / ${fmtNum(direct.latencyMs.p99, 2)}`,
      fmtNum(relay?.proxy?.cpuSecondsPer1000Profiles, 2),
      fmtInt(relay?.proxy?.profilesPerCoreSecond),
      fmtMiB(relay?.proxy?.peakRssBytes),
    ];
  });
  return table(
    [
      "case",
      "direct req/s",
      "nginx req/s",
      "relay req/s",
      "queue req/s",
      "relay/nginx",
      "relay/direct",
      "relay MB/s",
      "relay p50 / p99 ms",
      "direct p50 / p99 ms",
      "relay CPU s per 1k",
      "relay profiles/s per core",
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
      fmtNum(m.proxy?.cpuSecondsPer1000Profiles, 2),
      fmtInt(m.proxy?.profilesPerCoreSecond),
      fmtMiB(m.proxy?.peakRssBytes),
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
      "CPU s per 1k",
      "profiles/s per core",
      "peak RSS MiB",
      "backend got",
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

/** Cost per profile along the body-size ladder. */
export function renderSizes(report: BenchReport): string {
  const rows = report.measurements
    .filter((m) => m.suite === "size")
    .map((m) => {
      const cpuPerProfileMs =
        m.proxy?.cpuSecondsPer1000Profiles === undefined ? undefined : m.proxy.cpuSecondsPer1000Profiles;
      const cpuPerMbMs = cpuPerProfileMs === undefined ? undefined : cpuPerProfileMs / (m.requestBytes / 1e6);
      return [
        m.profile,
        fmtBytes(m.requestBytes),
        m.target,
        fmtInt(m.requestsPerSecond),
        fmtNum(m.mbPerSecond),
        fmtNum(m.latencyMs.p99, 2),
        fmtNum(cpuPerProfileMs, 2),
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
    .map((m) => [
      fmtInt(m.connections),
      m.target,
      fmtInt(m.requestsPerSecond),
      fmtInt(m.non2xx),
      fmtInt(m.timeouts + m.socketErrors),
      fmtNum(m.latencyMs.p50, 1),
      fmtNum(m.latencyMs.p99, 1),
      fmtMiB(m.proxy?.idleRssBytes),
      fmtMiB(m.proxy?.peakRssBytes),
      fmtMiB(rssGrowth(m)),
    ]);
  return table(
    [
      "connections",
      "target",
      "accepted/s",
      "refused (429)",
      "timeouts + socket errors",
      "p50 ms",
      "p99 ms",
      "idle RSS MiB",
      "peak RSS MiB",
      "growth over idle MiB",
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
  return `${c.protocol} ${c.profile}, backend answers after ${c.backendDelayMs} ms${budget}`;
}

const LEGEND = [
  "req/s counts accepted profiles (answers below 400); MB/s is request-body megabytes (10^6) accepted per second.",
  "CPU and RSS are the relay's (or nginx's, master and workers) from `/proc`; profiles/s per core = profiles ÷ CPU seconds.",
  "relay = `pyroscope.receive_http → pyroscope.write`; queue = the same with `pyroscope.write`'s durable `queue`.",
].join(" ");

/** The whole report, for `bench/results/latest.md`. */
export function renderMarkdown(report: BenchReport): string {
  const parts = ["# profile-relay benchmark", "", renderHeader(report), "", LEGEND, ""];
  if (report.skipped.length > 0) parts.push(...report.skipped.map((s) => `- skipped: ${s}`), "");
  parts.push("## Targets", "", renderChecks(report), "");
  if (report.measurements.some((m) => m.suite === "matrix")) {
    parts.push("## Throughput (backend answers at once)", "", renderMatrix(report), "");
  }
  if (report.measurements.some((m) => m.suite === "half-load")) {
    parts.push("## Latency at half of the relay's maximum throughput", "", renderHalfLoad(report), "");
  }
  if (report.measurements.some((m) => m.suite === "size")) {
    parts.push(`## Cost as the body grows (${sizesTitle(report)})`, "", renderSizes(report), "");
  }
  if (report.measurements.some((m) => m.suite === "conn")) {
    parts.push(
      `## Connections against a slow backend (${connTitle(report)})`,
      "",
      renderConnections(report),
      "",
    );
  }
  if (report.measurements.some((m) => m.suite === "matrix")) {
    parts.push("## Every run", "", renderDetails(report), "");
  }
  return parts.join("\n");
}

/** The shorter report for the README's Performance section. */
export function renderReadmeSection(report: BenchReport): string {
  const parts = [renderHeader(report), "", renderChecks(report), ""];
  if (report.measurements.some((m) => m.suite === "matrix")) parts.push(renderMatrix(report), "");
  if (report.measurements.some((m) => m.suite === "size")) {
    parts.push(`Cost as the body grows (${sizesTitle(report)}):`, "", renderSizes(report), "");
  }
  if (report.measurements.some((m) => m.suite === "conn")) {
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

export const README_BEGIN = "<!-- BEGIN bench -->";
export const README_END = "<!-- END bench -->";

/** The README with the text between the bench markers replaced; unchanged when the markers are missing. */
export function replaceReadmeSection(readme: string, section: string): string {
  const i = readme.indexOf(README_BEGIN);
  const j = readme.indexOf(README_END);
  if (i < 0 || j < i) return readme;
  return `${readme.slice(0, i + README_BEGIN.length)}\n${section}\n${readme.slice(j)}`;
}
