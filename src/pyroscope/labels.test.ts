import assert from "node:assert/strict";
import { test } from "node:test";
import { Labels } from "./labels.ts";

test("labels are sorted and the last duplicate wins", () => {
  const l = Labels.from([
    { name: "service_name", value: "a" },
    { name: "__name__", value: "process_cpu" },
    { name: "service_name", value: "b" },
  ]);
  assert.deepEqual(l.toArray(), [
    { name: "__name__", value: "process_cpu" },
    { name: "service_name", value: "b" },
  ]);
  assert.equal(l.with("env", "x").get("env"), "x");
  assert.equal(l.without("service_name").has("service_name"), false);
  assert.ok(l.equals(Labels.from({ service_name: "b", __name__: "process_cpu" })));
});

test("with keeps the set sorted and replaces a value in place", () => {
  const base = Labels.from({ b: "2", d: "4" });
  assert.deepEqual(
    base
      .with("a", "1")
      .toArray()
      .map((l) => l.name),
    ["a", "b", "d"],
  );
  assert.deepEqual(
    base
      .with("c", "3")
      .toArray()
      .map((l) => l.name),
    ["b", "c", "d"],
  );
  assert.deepEqual(
    base
      .with("e", "5")
      .toArray()
      .map((l) => l.name),
    ["b", "d", "e"],
  );
  assert.deepEqual(base.with("b", "x").toRecord(), { b: "x", d: "4" });
  assert.equal(base.with("b", "2"), base);
  assert.deepEqual(base.toRecord(), { b: "2", d: "4" }, "the original is unchanged");
});
