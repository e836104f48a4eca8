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
