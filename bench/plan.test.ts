import assert from "node:assert/strict";
import { test } from "node:test";
import { caseId, makePlan, parseOptions, TARGETS, unsupported } from "./plan.ts";

test("a full run by default, writing docs/performance.md; --quick is short and leaves the docs alone", () => {
  const full = parseOptions([]);
  assert.equal(full.quick, false);
  assert.equal(full.writeDocs, true);
  assert.deepEqual(full.targets, [
    "direct",
    "nginx",
    "go",
    "go-p2",
    "node-floor",
    "relay",
    "relay-w2",
    "queue",
  ]);
  const quick = parseOptions(["--quick"]);
  assert.equal(quick.writeDocs, false);
  assert.ok(quick.durationSeconds < full.durationSeconds);
  assert.equal(parseOptions(["--only=push"]).writeDocs, false);
  assert.equal(parseOptions(["--quick", "--docs"]).writeDocs, true);
  assert.equal(parseOptions(["--no-docs"]).writeDocs, false);
});

test("options are checked", () => {
  assert.throws(() => parseOptions(["--targets=relay,apache"]), /unknown target "apache"/);
  assert.throws(() => parseOptions(["--targets="]), /--targets needs at least one of direct, nginx, go/);
  assert.throws(() => parseOptions(["--duration=1.5"]), /whole number/);
  assert.throws(() => parseOptions(["--fast"]), /unknown option/);
  assert.throws(() => parseOptions(["--readme"]), /unknown option "--readme"/);
  assert.deepEqual(parseOptions(["--relay-node-arg=--cpu-prof", "--relay-from=src"]).relayNodeArgs, [
    "--cpu-prof",
  ]);
  assert.deepEqual(
    parseOptions(["--relay-env=NODE_OPTIONS=--max-semi-space-size=16", "--relay-env=MALLOC_ARENA_MAX=2"])
      .relayEnv,
    { NODE_OPTIONS: "--max-semi-space-size=16", MALLOC_ARENA_MAX: "2" },
  );
  assert.throws(() => parseOptions(["--relay-env=NODE_OPTIONS"]), /--relay-env needs NAME=VALUE/);
});

test("targets run in the table's order whatever the order given, each once", () => {
  assert.deepEqual(parseOptions(["--targets=node-floor,relay,go"]).targets, ["go", "node-floor", "relay"]);
  assert.deepEqual(parseOptions(["--targets=relay,relay,"]).targets, ["relay"]);
});

test("the Go reference runs on /ingest only, with a reason for push; every other target runs both", () => {
  assert.match(unsupported("go", "push") ?? "", /^go: .*`\/ingest` only/);
  assert.match(unsupported("go-p2", "push") ?? "", /^go-p2: .*`\/ingest` only/);
  assert.equal(unsupported("go", "ingest"), undefined);
  for (const t of TARGETS.filter((t) => t !== "go" && t !== "go-p2"))
    assert.equal(unsupported(t, "push"), undefined);
});

test("the workers suite compares one worker with two, and Go on one core with two", () => {
  const plan = makePlan(parseOptions(["--suites=workers"]));
  assert.deepEqual(plan.workerScaling?.targets, ["go", "go-p2", "relay", "relay-w2"]);
  assert.deepEqual(plan.workerScaling?.profiles, ["node-3k", "go-heap-39k"]);
  assert.equal(plan.matrix.length, 0);
  assert.deepEqual(makePlan(parseOptions(["--quick"])).workerScaling?.profiles, ["go-heap-39k"]);
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
  assert.ok(plan.sizeScaling?.targets.includes("go"));
  assert.deepEqual(plan.connScaling?.connections, [10, 100, 1000, 5000]);
  assert.equal(plan.connScaling?.backendDelayMs, 300);
  assert.equal(plan.connScaling?.perConnectionBytes, 100 * 1024);
  assert.equal(caseId("matrix", "ingest", "go-heap-39k", 16), "ingest go-heap-39k c16");
});

test("the quick plan measures /ingest at the three sizes of the CPU targets and push at ~39 KB, at 16 connections", () => {
  const quick = makePlan(parseOptions(["--quick"]));
  assert.deepEqual(
    quick.matrix.map((g) => `${g.protocol} ${g.profile} ${g.connections.join(",")}`),
    ["ingest node-3k 16", "ingest go-heap-39k 16", "ingest go-heap-1m 16", "push go-heap-39k 16"],
  );
  assert.equal(quick.sizeScaling, undefined);
  assert.deepEqual(quick.connScaling?.connections, [1000]);
  assert.deepEqual(quick.connScaling?.targets, ["relay"]);
});

test("--suites runs parts of the plan, and a run of some suites leaves the docs alone", () => {
  const conn = parseOptions(["--suites=conn"]);
  assert.equal(conn.writeDocs, false);
  const plan = makePlan(conn);
  assert.equal(plan.matrix.length, 0);
  assert.equal(plan.sizeScaling, undefined);
  assert.deepEqual(plan.connScaling?.connections, [10, 100, 1000, 5000]);
  const both = makePlan(parseOptions(["--suites=size,matrix"]));
  assert.equal(both.matrix.length, 6);
  assert.equal(both.connScaling, undefined);
  assert.deepEqual(parseOptions([]).suites, ["matrix", "size", "conn", "workers"]);
  assert.throws(() => parseOptions(["--suites=latency"]), /unknown suite "latency"/);
});

test("the connection ladder compares the relay with Go, nginx and the Node floor (whose pool is capped)", () => {
  const targets = makePlan(parseOptions([])).connScaling?.targets;
  for (const t of ["go", "nginx", "node-floor", "relay"] as const) assert.ok(targets?.includes(t), t);
});
