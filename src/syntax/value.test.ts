import assert from "node:assert/strict";
import { test } from "node:test";
import { inspect } from "node:util";
import { AlloyNumber, Capsule, Secret, typeOf } from "./value.ts";

test("a secret never prints its text", () => {
  const s = new Secret("hunter2");
  assert.equal(String(s), "(secret)");
  assert.equal(`${s}`, "(secret)");
  assert.equal(JSON.stringify({ s }), '{"s":"(secret)"}');
  assert.equal(inspect(s), "(secret)");
  assert.equal(inspect({ nested: [s] }).includes("hunter2"), false);
  assert.equal(s.reveal(), "hunter2");
});

test("numbers keep Go's kinds and wrap in 64 bits", () => {
  assert.equal(AlloyNumber.int(9223372036854775807n + 1n).value, -9223372036854775808n);
  assert.equal(AlloyNumber.uint(-1n).value, 18446744073709551615n);
  assert.equal(AlloyNumber.from(1.5).kind, "float");
  assert.equal(AlloyNumber.from(3).kind, "int");
});

test("type names match Alloy's", () => {
  assert.equal(typeOf(null), "null");
  assert.equal(typeOf(new Map()), "object");
  assert.equal(typeOf([]), "array");
  assert.equal(typeOf(new Secret("x")), "capsule");
  assert.equal(typeOf(new Capsule("pyroscope.Appendable", {})), "capsule");
});
