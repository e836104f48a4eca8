import assert from "node:assert/strict";
import { test } from "node:test";
import type { ProfileKey } from "./bodies.ts";
import { deriveMeasurement, type Measurement, type Suite } from "./measurement.ts";
import type { Protocol, TargetName } from "./plan.ts";
import {
  type BenchReport,
  checkTargets,
  deriveFigures,
  renderCpu,
  renderDocSection,
  renderMarkdown,
  renderMatrix,
  renderPushVsIngest,
  renderVerdictLines,
  replaceGeneratedSection,
} from "./report.ts";

const MiB = 1024 * 1024;

const PROFILE_BYTES: Record<ProfileKey, number> = {
  "node-3k": 2_560,
  "go-heap-39k": 39_056,
  "go-heap-1m": 1_034_000,
  "go-heap-2.6m": 2_680_000,
  "go-heap-10m": 10_700_000,
};

interface RunSpec {
  suite?: Suite;
  target: TargetName;
  protocol?: Protocol;
  profile?: ProfileKey;
  connections?: number;
  /** Accepted requests in the 4 s run. */
  requests?: number;
  p99Ms?: number;
  /** CPU seconds of the process in the path during the run (none for direct). */
  cpu?: number;
  peak?: number;
  idle?: number;
  backendCpu?: number;
  timeouts?: number;
  socketErrors?: number;
  non2xx?: number;
}

/** A measurement as the runner derives it, from the figures a test cares about. */
function run(r: RunSpec): Measurement {
  const suite = r.suite ?? "matrix";
  const protocol = r.protocol ?? "ingest";
  const profile = r.profile ?? "go-heap-39k";
  const connections = r.connections ?? 16;
  const requests = r.requests ?? 8000;
  const p99Ms = r.p99Ms ?? 5;
  return deriveMeasurement(
    {
      id: `${protocol} ${profile} c${connections}`,
      suite,
      target: r.target,
      protocol,
      profile,
      profileBytes: PROFILE_BYTES[profile],
      requestBytes: 40_000,
      connections,
      thinkMs: 0,
      backendDelayMs: suite === "conn" ? 300 : 0,
      forwarded: requests,
      backendCpuSeconds: r.backendCpu,
      proxy:
        r.target === "direct"
          ? undefined
          : {
              cpuSeconds: r.cpu ?? 1,
              peakRssBytes: r.peak ?? 150 * MiB,
              startRssBytes: r.idle,
              idleRssBytes: r.idle,
            },
    },
    {
      durationSeconds: 4,
      requests: requests + (r.non2xx ?? 0),
      non2xx: r.non2xx ?? 0,
      timeouts: r.timeouts ?? 0,
      socketErrors: r.socketErrors ?? 0,
      latencyMs: { p50: p99Ms / 2, p99: p99Ms, max: p99Ms * 2, mean: p99Ms / 2 },
    },
  );
}

function report(measurements: Measurement[]): BenchReport {
  return {
    version: 2,
    date: "2026-11-22T03:00:00.000Z",
    mode: "full",
    durationSeconds: 4,
    warmupSeconds: 1,
    machine: {
      cpuModel: "Test CPU",
      cores: 2,
      memoryBytes: 24 * 1024 ** 3,
      os: "Debian",
      node: "v24.0.0",
      nginx: "nginx/1.22.1",
      wrk: "wrk 4.1.0",
      go: "go1.19.8 linux/amd64",
      commit: "abc1234",
    },
    relay: "compiled with tsc, as shipped",
    skipped: ["go: the Go reference implements `/ingest` only; not run on push cases"],
    connBudgetBytes: 64 * MiB,
    connPerConnectionBytes: 16 * 1024,
    measurements,
  };
}

/** 8,000 profiles in each run: CPU seconds `ms × 8` give `ms` milliseconds per profile. */
const at = (ms: number) => ms * 8;

test("derived figures: accepted requests per second, payload MB/s, CPU ms per profile, the backend's CPU", () => {
  const m = run({ target: "relay", cpu: 2, backendCpu: 0.4 });
  assert.equal(m.requestsPerSecond, 2000);
  assert.equal(m.mbPerSecond, 80);
  assert.equal(m.proxy?.cpuMsPerProfile, 0.25);
  assert.equal(m.proxy?.profilesPerCoreSecond, 4000);
  assert.equal(m.proxy?.coresUsed, 0.5);
  assert.equal(m.backendCpuMsPerProfile, 0.05);
  const none = run({ target: "direct", requests: 0, backendCpu: 1 });
  assert.equal(none.backendCpuMsPerProfile, undefined);
  assert.equal(none.proxy, undefined);
});

/** Every target met: relay at or under Go's CPU per profile, push close to ingest, low latency and memory. */
function goodRun(): BenchReport {
  return report([
    run({ target: "relay", profile: "go-heap-39k", cpu: at(0.1) }),
    run({ target: "go", profile: "go-heap-39k", cpu: at(0.11) }),
    run({ target: "relay", profile: "node-3k", cpu: at(0.08) }),
    run({ target: "go", profile: "node-3k", cpu: at(0.055) }),
    run({ target: "relay", profile: "go-heap-1m", cpu: at(1.1) }),
    run({ target: "go", profile: "go-heap-1m", cpu: at(0.92) }),
    run({ target: "relay", protocol: "push", profile: "go-heap-39k", cpu: at(0.125) }),
    run({ target: "relay", connections: 256, peak: 180 * MiB }),
    run({ target: "relay", protocol: "push", connections: 256, peak: 190 * MiB }),
    run({ suite: "half-load", target: "relay", p99Ms: 3 }),
    run({ suite: "half-load", target: "direct", p99Ms: 1.5 }),
    // a 1 MB profile is outside the p99 target
    run({ suite: "half-load", target: "relay", profile: "go-heap-1m", p99Ms: 300 }),
    run({ suite: "half-load", target: "direct", profile: "go-heap-1m", p99Ms: 10 }),
    // 64 MiB + 5,000 × 16 KiB = 142 MiB allowed
    run({ suite: "conn", target: "relay", connections: 5000, peak: 240 * MiB, idle: 100 * MiB, non2xx: 50 }),
    // two workers: 1.05× the CPU per profile, 1.75× the throughput (Go: 1.6×)
    run({ suite: "workers", target: "relay", connections: 64, requests: 8000, cpu: at(0.2) }),
    run({
      suite: "workers",
      target: "relay-w2",
      connections: 64,
      requests: 14000,
      cpu: (14000 * 0.21) / 1000,
    }),
    run({ suite: "workers", target: "go", connections: 64, requests: 10000, cpu: at(0.1) }),
    run({ suite: "workers", target: "go-p2", connections: 64, requests: 16000, cpu: at(0.1) }),
  ]);
}

test("the issue's targets pass when the run meets them", () => {
  const checks = checkTargets(goodRun());
  assert.deepEqual(
    checks.map((c) => [c.target, c.pass]),
    [
      ["`/ingest` CPU per profile ≤ 1.0× Go at ~39 KB", true],
      ["`/ingest` CPU per profile ≤ 1.5× Go at ~3 KB", true],
      ["`/ingest` CPU per profile ≤ 1.2× Go at ~1 MB", true],
      ["push CPU per profile ≤ 1.3× ingest of the same profile", true],
      ["p99 added over direct ≤ 2 ms at half of the maximum rate, profiles up to ~39 KB", true],
      ["peak RSS < 200 MiB at 256 connections with ~39 KB profiles", true],
      [
        "5,000 connections against a 300 ms backend: no socket errors, no stall, RSS growth ≤ the in-flight budget + 16.0 KiB per connection",
        true,
      ],
      ["CPU per profile with 2 workers ≤ 1.1× one worker (throughput beside Go's GOMAXPROCS=2 over 1)", true],
    ],
  );
  assert.match(
    checks[7]?.figure ?? "",
    /^ingest go-heap-39k c64: CPU 1\.05×, throughput 1\.75× \(go 1\.60×\)$/,
  );
  assert.match(checks[0]?.figure ?? "", /^0\.91× \(relay 0\.100 ms, go 0\.110 ms; ingest go-heap-39k c16\)$/);
  assert.match(
    checks[3]?.figure ?? "",
    /worst 1\.25× \(go-heap-39k c16: push 0\.125 ms, ingest 0\.100 ms\); 1\/1/,
  );
  assert.match(
    checks[6]?.figure ?? "",
    /RSS grew 140 MiB over idle \(allowed 64\.0 \+ 5,000 × 16\.0 KiB = 142 MiB\)/,
  );
});

test("the JSON carries the verdicts and every ratio against Go and of push over ingest", () => {
  const derived = deriveFigures(goodRun());
  assert.equal(derived.checks.length, 8);
  assert.deepEqual(
    derived.cpuOverGo.map((r) => [r.case, r.target, Number(r.ratio.toFixed(3))]),
    [
      ["ingest go-heap-39k c16", "relay", 0.909],
      ["ingest node-3k c16", "relay", 1.455],
      ["ingest go-heap-1m c16", "relay", 1.196],
    ],
  );
  assert.deepEqual(
    derived.pushOverIngest.map((p) => [p.target, p.profile, p.connections, p.ratio]),
    [
      ["relay", "go-heap-39k", 16, 1.25],
      ["relay", "go-heap-39k", 256, 1],
    ],
  );
});

test("the issue's targets miss when the run misses them, and say so with the figures", () => {
  const bad = report([
    run({ target: "relay", profile: "go-heap-39k", cpu: at(0.2) }),
    run({ target: "go", profile: "go-heap-39k", cpu: at(0.11) }),
    run({ target: "relay", profile: "node-3k", cpu: at(0.21) }),
    run({ target: "go", profile: "node-3k", cpu: at(0.054) }),
    run({ target: "relay", profile: "go-heap-1m", cpu: at(1.97) }),
    run({ target: "go", profile: "go-heap-1m", cpu: at(0.92) }),
    run({ target: "relay", protocol: "push", profile: "go-heap-39k", cpu: at(0.56) }),
    run({ target: "relay", connections: 256, peak: 338 * MiB }),
    run({ suite: "half-load", target: "relay", p99Ms: 9 }),
    run({ suite: "half-load", target: "direct", p99Ms: 1.5 }),
    run({
      suite: "conn",
      target: "relay",
      connections: 5000,
      peak: 200 * MiB,
      idle: 100 * MiB,
      socketErrors: 3,
    }),
    run({ suite: "workers", target: "relay", connections: 64, requests: 8000, cpu: at(0.2) }),
    run({ suite: "workers", target: "relay-w2", connections: 64, requests: 9000, cpu: (9000 * 0.3) / 1000 }),
  ]);
  const checks = checkTargets(bad);
  assert.deepEqual(
    checks.map((c) => c.pass),
    [false, false, false, false, false, false, false, false],
  );
  assert.match(checks[7]?.figure ?? "", /CPU 1\.50×, throughput 1\.13× \(go n\/a\)/);
  assert.match(checks[0]?.figure ?? "", /^1\.82× /);
  assert.match(checks[3]?.figure ?? "", /worst 2\.80×.*0\/1 profiles pass/);
  assert.match(checks[4]?.figure ?? "", /\+7\.50 ms/);
  assert.match(checks[5]?.figure ?? "", /highest 338 MiB \(ingest go-heap-39k c256\)/);
  assert.match(checks[6]?.figure ?? "", /^3 socket errors, 0 timeouts/);
  const lines = renderVerdictLines(bad).split("\n");
  assert.equal(lines.length, 8);
  assert.match(lines[0] ?? "", /^MISS {2}`\/ingest` CPU per profile ≤ 1\.0× Go at ~39 KB: 1\.82×/);
});

test("a stall fails the connection target even within memory; memory beyond the allowance fails it too", () => {
  const stalled = report([
    run({ suite: "conn", target: "relay", connections: 5000, peak: 150 * MiB, idle: 100 * MiB, timeouts: 4 }),
  ]);
  assert.equal(checkTargets(stalled)[6]?.pass, false);
  const silent = report([
    run({ suite: "conn", target: "relay", connections: 5000, requests: 0, peak: 150 * MiB, idle: 100 * MiB }),
  ]);
  assert.equal(checkTargets(silent)[6]?.pass, false);
  const heavy = report([
    run({ suite: "conn", target: "relay", connections: 5000, peak: 250 * MiB, idle: 100 * MiB }),
  ]);
  assert.equal(checkTargets(heavy)[6]?.pass, false);
  const small = report([
    run({ suite: "conn", target: "relay", connections: 1000, peak: 150 * MiB, idle: 100 * MiB }),
  ]);
  assert.match(checkTargets(small)[6]?.target ?? "", /^1,000 connections \(the issue's target is at 5,000\)/);
});

test("without the data a target needs, its verdict is n/a and the figure says what was missing", () => {
  const checks = checkTargets(report([run({ target: "relay" })]));
  assert.ok(checks.every((c) => c.pass === undefined));
  assert.match(checks[0]?.figure ?? "", /no data \(needs relay and go on ingest go-heap-39k c16\)/);
  assert.match(renderVerdictLines(report([])), /^n\/a {3}/);
});

test("the CPU table shows only the targets that ran, with the ratios against Go; direct shows the backend's CPU", () => {
  const r = report([
    run({ target: "relay", cpu: at(0.2) }),
    run({ target: "go", cpu: at(0.1) }),
    run({ target: "node-floor", cpu: at(0.12) }),
    run({ target: "direct", backendCpu: at(0.05) }),
    run({ target: "relay", protocol: "push", cpu: at(0.5) }),
    run({ target: "node-floor", protocol: "push", cpu: at(0.13) }),
  ]);
  const cpu = renderCpu(r).split("\n");
  assert.equal(
    cpu[0],
    "| case | direct (the backend's own) | go | node-floor | relay | relay/go | floor/go |",
  );
  assert.equal(cpu[2], "| ingest go-heap-39k c16 | 0.050 | 0.100 | 0.120 | 0.200 | 2.00× | 1.20× |");
  assert.equal(cpu[3], "| push go-heap-39k c16 | n/a | n/a | 0.130 | 0.500 | n/a | n/a |");
  const push = renderPushVsIngest(r).split("\n");
  assert.deepEqual(push.slice(2), [
    "| go-heap-39k c16 | node-floor | 0.120 | 0.130 | 1.08× |",
    "| go-heap-39k c16 | relay | 0.200 | 0.500 | 2.50× |",
  ]);
  // without Go in the run there is no ratio column
  assert.equal(renderCpu(report([run({ target: "relay" })])).split("\n")[0], "| case | relay |");
  assert.equal(
    renderMatrix(r).split("\n")[0],
    "| case | direct req/s | go req/s | node-floor req/s | relay req/s | relay/go | relay/direct | relay MB/s | relay p50 / p99 ms | direct p50 / p99 ms | relay peak RSS MiB |",
  );
});

test("the Markdown names the machine, the ratios and what was skipped; the docs section is replaced in place", () => {
  const r = goodRun();
  const md = renderMarkdown(r);
  assert.match(md, /Measured 2026-11-22 \(full run, 4 s per run after 1 s of warm-up\) on Test CPU, 2 cores/);
  assert.match(md, /go1\.19\.8 linux\/amd64/);
  assert.match(md, /## CPU per profile, ms/);
  assert.match(md, /\| ingest go-heap-39k c16 \| 0\.110 \| 0\.100 \| 0\.91× \|/);
  assert.match(md, /- skipped: go: the Go reference implements `\/ingest` only/);
  assert.match(md, /\| `\/ingest` CPU per profile ≤ 1\.0× Go at ~39 KB \| 0\.91× .* \| PASS \|/);

  const doc = "# x\n\n## Measured\n\n<!-- BEGIN bench -->\nold\n<!-- END bench -->\n\n## Next\n";
  const next = replaceGeneratedSection(doc, renderDocSection(r));
  assert.ok(next.startsWith("# x\n\n## Measured\n\n<!-- BEGIN bench -->\nMeasured 2026-11-22"));
  assert.ok(next.endsWith("<!-- END bench -->\n\n## Next\n"));
  assert.ok(!next.includes("old"));
  assert.match(next, /relay\/go/);
  assert.equal(replaceGeneratedSection("no markers", "x"), "no markers");
});
