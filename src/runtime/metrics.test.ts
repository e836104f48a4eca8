import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Counter, Histogram, Registry } from "prom-client";
import { ConfigMetrics, ControllerMetrics, renderMetrics, sourcesHash } from "./metrics.ts";

describe("renderMetrics", () => {
  it("merges same-named metrics of several component registries under one HELP/TYPE", async () => {
    const a = new Registry();
    const b = new Registry();
    for (const r of [a, b]) {
      new Counter({ name: "sent_total", help: "Sent.", labelNames: ["endpoint"], registers: [r] }).inc(
        { endpoint: 'http://x/"q"' },
        2,
      );
    }
    const text = await renderMetrics([
      { registry: a, labels: { component_id: "w.a", component_path: "/" } },
      { registry: b, labels: { component_id: "w.b", component_path: "/" } },
    ]);
    assert.equal(
      text,
      [
        "# HELP sent_total Sent.",
        "# TYPE sent_total counter",
        'sent_total{endpoint="http://x/\\"q\\"",component_id="w.a",component_path="/"} 2',
        'sent_total{endpoint="http://x/\\"q\\"",component_id="w.b",component_path="/"} 2',
        "",
      ].join("\n"),
    );
  });

  it("renders histograms with +Inf buckets", async () => {
    const r = new Registry();
    new Histogram({ name: "lat", help: "Latency.", buckets: [1], registers: [r] }).observe(0.5);
    const text = await renderMetrics([{ registry: r }]);
    assert.match(text, /lat_bucket\{le="1"\} 1\nlat_bucket\{le="\+Inf"\} 1\nlat_sum 0.5\nlat_count 1\n/);
  });
});

describe("ConfigMetrics", () => {
  it("records load attempts as Alloy's config metrics", async () => {
    const r = new Registry();
    const m = new ConfigMetrics(r);
    const hash = sourcesHash([
      { filename: "b.alloy", text: "b" },
      { filename: "a.alloy", text: "a" },
    ]);
    assert.equal(hash, "fb8e20fc2e4c3f248c60c39bd652f3c1347298bb977b8b4d5903b85055620603"); // sha256("ab")
    m.record(true, hash);
    m.record(false, hash);
    const text = await renderMetrics([{ registry: r }]);
    assert.match(text, new RegExp(`alloy_config_hash\\{sha256="${hash}"\\} 1`));
    assert.match(text, /alloy_config_last_load_successful 0/);
    assert.match(text, /alloy_config_load_failures_total 1/);
    assert.match(text, /alloy_config_last_load_success_timestamp_seconds \d+/);
  });
});

describe("ControllerMetrics", () => {
  it("counts components by health state and slow evaluations per component, as Alloy does", async () => {
    const r = new Registry();
    const m = new ControllerMetrics(
      r,
      () => ["healthy", "unhealthy", "healthy", "exited"],
      () => 2,
    );
    m.observeEvaluation("pyroscope.write.a", 0.5);
    m.observeEvaluation("pyroscope.write.b", 61);
    m.observeDependencyWait(0.002);
    const text = await renderMetrics([{ registry: r }]);
    const c = 'controller_path="/",controller_id=""';
    assert.match(text, new RegExp(`running_components\\{${c},health_type="healthy"\\} 2\n`));
    assert.match(text, new RegExp(`running_components\\{${c},health_type="unhealthy"\\} 1\n`));
    assert.match(text, new RegExp(`running_components\\{${c},health_type="exited"\\} 1\n`));
    assert.doesNotMatch(text, /health_type="unknown"/, "only states present, as Alloy");
    assert.match(text, new RegExp(`alloy_component_evaluation_queue_size\\{${c}\\} 2\n`));
    assert.match(text, new RegExp(`alloy_component_evaluation_seconds_count\\{${c}\\} 2\n`));
    assert.match(text, new RegExp(`alloy_component_dependencies_wait_seconds_count\\{${c}\\} 1\n`));
    assert.match(
      text,
      new RegExp(`alloy_component_evaluation_slow_seconds\\{${c},component_id="pyroscope.write.b"\\} 61\n`),
    );
    assert.doesNotMatch(text, /component_id="pyroscope\.write\.a"/, "fast evaluations are not counted");
  });
});
