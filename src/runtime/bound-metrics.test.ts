import assert from "node:assert/strict";
import { test } from "node:test";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { BoundCounter, BoundGauge, BoundHistogram } from "./bound-metrics.ts";
import { renderMetrics } from "./metrics.ts";

test("bound families render exactly as prom-client's own for the same updates", async () => {
  const ours = new Registry();
  const theirs = new Registry();
  const buckets = [0.1, 1, 10];
  const h = new BoundHistogram({
    name: "h",
    help: "a histogram",
    buckets,
    labelNames: ["a", "b"],
    registers: [ours],
  });
  const ph = new Histogram({
    name: "h",
    help: "a histogram",
    buckets,
    labelNames: ["a", "b"],
    registers: [theirs],
  });
  const c = new BoundCounter({ name: "c_total", help: "a counter", labelNames: ["a"], registers: [ours] });
  const pc = new Counter({ name: "c_total", help: "a counter", labelNames: ["a"], registers: [theirs] });
  const g = new BoundGauge({ name: "g", help: "a gauge", labelNames: ["a"], registers: [ours] });
  const pg = new Gauge({ name: "g", help: "a gauge", labelNames: ["a"], registers: [theirs] });
  for (const [a, b, v] of [
    ["x", "1", 0.05],
    ["x", "1", 5],
    ["y", "2", 100],
    ["x", "1", 1],
  ] as const) {
    h.child(a, b).observe(v);
    ph.observe({ a, b }, v);
    c.child(a).inc(v);
    pc.inc({ a }, v);
    g.child(a).inc();
    pg.inc({ a });
  }
  g.child("x").dec();
  pg.dec({ a: "x" });
  const text = await renderMetrics([{ registry: ours, labels: { component_id: "t" } }]);
  assert.equal(text, await renderMetrics([{ registry: theirs, labels: { component_id: "t" } }]));
  assert.match(text, /^h_bucket\{le="1",a="x",b="1",component_id="t"\} 2$/m);
  assert.match(text, /^g\{a="x",component_id="t"\} 2$/m);
});
