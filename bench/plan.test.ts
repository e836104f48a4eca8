import assert from "node:assert/strict";
import { test } from "node:test";
import { caseId, makePlan, parseOptions } from "./plan.ts";

test("a full run by default, writing the README; --quick is short and leaves the README alone", () => {
  const full = parseOptions([]);
  assert.equal(full.quick, false);
  assert.equal(full.writeReadme, true);
  assert.deepEqual(full.targets, ["direct", "nginx", "relay", "queue"]);
  const quick = parseOptions(["--quick"]);
  assert.equal(quick.writeReadme, false);
  assert.ok(quick.durationSeconds < full.durationSeconds);
  assert.equal(parseOptions(["--only=push"]).writeReadme, false);
});

test("options are checked", () => {
  assert.throws(() => parseOptions(["--targets=relay,apache"]), /unknown target "apache"/);
  assert.throws(() => parseOptions(["--duration=1.5"]), /whole number/);
  assert.throws(() => parseOptions(["--fast"]), /unknown option/);
  assert.deepEqual(parseOptions(["--relay-node-arg=--cpu-prof", "--relay-from=src"]).relayNodeArgs, [
    "--cpu-prof",
  ]);
});

test("the full plan covers both protocols, three bodies and three concurrencies, plus both ladders", () => {
  const plan = makePlan(parseOptions([]));
  assert.equal(plan.matrix.length, 6);
  for (const group of plan.matrix) assert.deepEqual(group.connections, [1, 16, 256]);
  assert.deepEqual(plan.sizeScaling?.profiles, [
    "node-3k",
    "go-heap-39k",
    "go-heap-1m",
    "go-heap-2.6m",
    "go-heap-10m",
  ]);
  assert.deepEqual(plan.connScaling?.connections, [10, 100, 1000, 5000]);
  assert.equal(plan.connScaling?.backendDelayMs, 300);
  const quick = makePlan(parseOptions(["--quick"]));
  assert.ok(quick.matrix.length < plan.matrix.length);
  assert.equal(caseId("matrix", "ingest", "go-heap-39k", 16), "ingest go-heap-39k c16");
});
