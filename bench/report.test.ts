import assert from "node:assert/strict";
import { test } from "node:test";
import { deriveMeasurement, type Measurement, type Suite } from "./measurement.ts";
import type { TargetName } from "./plan.ts";
import {
  type BenchReport,
  checkTargets,
  renderMarkdown,
  renderReadmeSection,
  replaceReadmeSection,
} from "./report.ts";

const MiB = 1024 * 1024;

function run(
  suite: Suite,
  target: TargetName,
  connections: number,
  requests: number,
  p99Ms: number,
  proxy?: { cpu: number; peak: number; idle?: number },
  extra: { timeouts?: number; non2xx?: number } = {},
): Measurement {
  return deriveMeasurement(
    {
      id: `ingest go-heap-39k c${connections}`,
      suite,
      target,
      protocol: "ingest",
      profile: "go-heap-39k",
      profileBytes: 39_056,
      requestBytes: 40_000,
      connections,
      thinkMs: 0,
      backendDelayMs: suite === "conn" ? 300 : 0,
      forwarded: requests,
      proxy:
        proxy === undefined
          ? undefined
          : {
              cpuSeconds: proxy.cpu,
              peakRssBytes: proxy.peak,
              startRssBytes: proxy.idle,
              idleRssBytes: proxy.idle,
            },
    },
    {
      durationSeconds: 4,
      requests: requests + (extra.non2xx ?? 0),
      non2xx: extra.non2xx ?? 0,
      timeouts: extra.timeouts ?? 0,
      socketErrors: 0,
      latencyMs: { p50: p99Ms / 2, p99: p99Ms, max: p99Ms * 2, mean: p99Ms / 2 },
    },
  );
}

function report(measurements: Measurement[]): BenchReport {
  return {
    version: 1,
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
      commit: "abc1234",
    },
    relay: "compiled with tsc, as shipped",
    skipped: ["queue: not accepted yet"],
    connBudgetBytes: 64 * MiB,
    measurements,
  };
}

test("derived figures: accepted requests per second, payload MB/s and the relay's cost per profile", () => {
  const m = run("matrix", "relay", 16, 8000, 5, { cpu: 2, peak: 150 * MiB });
  assert.equal(m.requestsPerSecond, 2000);
  assert.equal(m.mbPerSecond, 80);
  assert.equal(m.proxy?.cpuSecondsPer1000Profiles, 0.25);
  assert.equal(m.proxy?.profilesPerCoreSecond, 4000);
  assert.equal(m.proxy?.coresUsed, 0.5);
});

test("the targets are checked against the run, passing and missing", () => {
  const good = report([
    run("matrix", "relay", 16, 8000, 5, { cpu: 2, peak: 150 * MiB }),
    run("matrix", "nginx", 16, 9000, 2, { cpu: 1, peak: 30 * MiB }),
    run("matrix", "direct", 16, 10000, 1),
    run("half-load", "relay", 16, 4000, 3, { cpu: 1, peak: 150 * MiB }),
    run("half-load", "direct", 16, 4000, 1.5),
    run("conn", "relay", 5000, 1000, 900, { cpu: 1, peak: 150 * MiB, idle: 100 * MiB }, { non2xx: 50 }),
  ]);
  assert.deepEqual(
    checkTargets(good).map((c) => c.pass),
    [true, true, true, true, true],
  );

  const bad = report([
    run("matrix", "relay", 256, 4000, 5, { cpu: 4, peak: 250 * MiB }),
    run("matrix", "nginx", 256, 9000, 2, { cpu: 1, peak: 30 * MiB }),
    run("half-load", "relay", 16, 4000, 9, { cpu: 1, peak: 150 * MiB }),
    run("half-load", "direct", 16, 4000, 1.5),
    run("conn", "relay", 5000, 1000, 900, { cpu: 1, peak: 200 * MiB, idle: 100 * MiB }, { timeouts: 3 }),
  ]);
  const checks = checkTargets(bad);
  assert.deepEqual(
    checks.map((c) => c.pass),
    [false, false, false, false, false],
  );
  assert.match(checks[0]?.figure ?? "", /worst 0\.44× \(ingest go-heap-39k c256\)/);
  assert.match(checks[1]?.figure ?? "", /\+7\.50 ms/);
  assert.equal(checkTargets(report([]))[0]?.pass, undefined);
});

test("the Markdown names the machine, the ratios and what was skipped; the README section is replaced in place", () => {
  const r = report([
    run("matrix", "relay", 16, 8000, 5, { cpu: 2, peak: 150 * MiB }),
    run("matrix", "nginx", 16, 10000, 2, { cpu: 1, peak: 30 * MiB }),
    run("matrix", "direct", 16, 16000, 1),
  ]);
  const md = renderMarkdown(r);
  assert.match(md, /Measured 2026-11-22 \(full run, 4 s per run after 1 s of warm-up\) on Test CPU, 2 cores/);
  assert.match(md, /\| ingest go-heap-39k c16 \| 4,000 \| 2,500 \| 2,000 \| n\/a \| 0\.80× \| 0\.50× \|/);
  assert.match(md, /- skipped: queue: not accepted yet/);

  const readme = "# x\n\n## Performance\n\n<!-- BEGIN bench -->\nold\n<!-- END bench -->\n\n## Next\n";
  const next = replaceReadmeSection(readme, renderReadmeSection(r));
  assert.ok(next.startsWith("# x\n\n## Performance\n\n<!-- BEGIN bench -->\nMeasured 2026-11-22"));
  assert.ok(next.endsWith("<!-- END bench -->\n\n## Next\n"));
  assert.ok(!next.includes("old"));
  assert.equal(replaceReadmeSection("no markers", "x"), "no markers");
});
