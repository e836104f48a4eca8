import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { collectFamilies } from "../runtime/metrics.ts";
import { aggregateFamilies, labelWorker } from "./aggregate.ts";

/** One worker's registries: a component's counter, histogram and gauges, as `Agent.metricsSources` gives. */
async function workerFamilies(profiles: number, oldestAge: number, inflight: number) {
  const component = new Registry();
  new Counter({ name: "sent_total", help: "h", labelNames: ["endpoint"], registers: [component] }).inc(
    { endpoint: "a" },
    profiles,
  );
  const h = new Histogram({ name: "latency", help: "h", buckets: [1], registers: [component] });
  for (let i = 0; i < profiles; i++) h.observe(0.5);
  new Gauge({ name: "pyroscope_write_queue_oldest_item_age_seconds", help: "h", registers: [component] }).set(
    oldestAge,
  );
  new Gauge({ name: "inflight", help: "h", registers: [component] }).set(inflight);
  const agent = new Registry();
  new Gauge({
    name: "alloy_component_controller_running_components",
    help: "h",
    labelNames: ["health_type"],
    registers: [agent],
  }).set({ health_type: "healthy" }, 1);
  return collectFamilies([
    { registry: agent },
    { registry: component, labels: { component_id: "pyroscope.write.out", component_path: "/" } },
  ]);
}

describe("aggregateFamilies", () => {
  it("sums counters, histograms and most gauges; keeps max ages, the primary's own series, one build info", async () => {
    const primary = new Registry();
    new Gauge({ name: "alloy_build_info", help: "h", labelNames: ["version"], registers: [primary] }).set(
      { version: "v1" },
      1,
    );
    new Gauge({
      name: "alloy_component_controller_running_components",
      help: "h",
      labelNames: ["health_type"],
      registers: [primary],
    }).set({ health_type: "healthy" }, 2);
    const text = await aggregateFamilies(await collectFamilies([{ registry: primary }]), [
      await workerFamilies(3, 10, 1),
      await workerFamilies(4, 25, 2),
    ]).metrics();
    const labels = 'component_id="pyroscope.write.out",component_path="/"';
    assert.match(text, new RegExp(`^sent_total\\{endpoint="a",${labels}\\} 7$`, "m"));
    assert.match(text, new RegExp(`^latency_count\\{${labels}\\} 7$`, "m"));
    assert.match(text, new RegExp(`^latency_bucket\\{le="1",${labels}\\} 7$`, "m"));
    assert.match(text, new RegExp(`^inflight\\{${labels}\\} 3$`, "m"));
    assert.match(text, new RegExp(`^pyroscope_write_queue_oldest_item_age_seconds\\{${labels}\\} 25$`, "m"));
    assert.match(text, /^alloy_build_info\{version="v1"\} 1$/m);
    assert.match(
      text,
      /^alloy_component_controller_running_components\{health_type="healthy"\} 2$/m,
      "the primary's count, not the workers'",
    );
    assert.equal((text.match(/^# TYPE sent_total /gm) ?? []).length, 1);
  });
});

describe("labelWorker", () => {
  it("keeps each worker's series apart (--workers.metrics-per-worker)", async () => {
    const text = await aggregateFamilies(
      [],
      [labelWorker(await workerFamilies(3, 10, 1), 0), labelWorker(await workerFamilies(4, 25, 2), 1)],
    ).metrics();
    assert.match(
      text,
      /^sent_total\{endpoint="a",component_id="pyroscope.write.out",component_path="\/",worker="0"\} 3$/m,
    );
    assert.match(
      text,
      /^sent_total\{endpoint="a",component_id="pyroscope.write.out",component_path="\/",worker="1"\} 4$/m,
    );
  });
});
