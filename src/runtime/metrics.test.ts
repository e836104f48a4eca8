import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Counter, Histogram, Registry } from "prom-client";
import { ConfigMetrics, renderMetrics, sourcesHash } from "./metrics.ts";

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
