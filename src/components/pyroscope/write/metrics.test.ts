import assert from "node:assert/strict";
import { test } from "node:test";
import { Registry } from "prom-client";
import { LATENCY_BUCKETS, WriteMetrics } from "./metrics.ts";

test("Alloy's metric names, types, labels, help texts and default buckets", async () => {
  const registry = new Registry();
  const m = new WriteMetrics(registry);
  m.series("http://a").sent(10, 1);
  m.series("http://a").dropped(5, 1);
  m.series("http://a").retried();
  m.totalLatency("push").observe(0.001);
  const text = await registry.metrics();
  for (const [name, type, help] of [
    ["pyroscope_write_sent_bytes_total", "counter", "Total number of compressed bytes sent to Pyroscope."],
    [
      "pyroscope_write_dropped_bytes_total",
      "counter",
      "Total number of compressed bytes dropped by Pyroscope.",
    ],
    ["pyroscope_write_sent_profiles_total", "counter", "Total number of profiles sent to Pyroscope."],
    ["pyroscope_write_dropped_profiles_total", "counter", "Total number of profiles dropped by Pyroscope."],
    ["pyroscope_write_retries_total", "counter", "Total number of retries to Pyroscope."],
    ["pyroscope_write_latency", "histogram", "Write latency for sending profiles to pyroscope"],
    [
      "pyroscope_ebpf_debug_info_upload_bytes_total",
      "counter",
      "Total number of bytes uploaded to the debug info endpoint",
    ],
  ]) {
    assert.match(text, new RegExp(`# HELP ${name} ${help!.replace(/\./g, "\\.")}\n# TYPE ${name} ${type}\n`));
  }
  assert.match(text, /^pyroscope_write_sent_bytes_total\{endpoint="http:\/\/a"\} 10$/m);
  assert.match(text, /^pyroscope_write_dropped_profiles_total\{endpoint="http:\/\/a"\} 1$/m);
  assert.deepEqual(LATENCY_BUCKETS, [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
  const les = [
    ...text.matchAll(/^pyroscope_write_latency_bucket\{le="([^"]+)",endpoint="-",type="push_total"\}/gm),
  ].map((x) => x[1]);
  assert.deepEqual(les, [...LATENCY_BUCKETS.map(String), "+Inf"]);
});
