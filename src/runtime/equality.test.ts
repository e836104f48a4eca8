import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AlloyFunction, AlloyNumber, Capsule, Secret } from "../syntax/value.ts";
import { deepEqual } from "./equality.ts";

describe("deepEqual", () => {
  it("compares plain data by content", () => {
    assert.ok(deepEqual({ a: [1, { b: "x" }], c: undefined }, { a: [1, { b: "x" }] }));
    assert.ok(!deepEqual({ a: [1, 2] }, { a: [1, 3] }));
    assert.ok(deepEqual(Number.NaN, Number.NaN));
    assert.ok(deepEqual(new Map([["k", AlloyNumber.int(1n)]]), new Map([["k", AlloyNumber.int(1n)]])));
    assert.ok(!deepEqual(AlloyNumber.int(1n), AlloyNumber.float(1)));
  });

  it("compares secrets by text and capsules by host value identity", () => {
    assert.ok(deepEqual(new Secret("a"), new Secret("a")));
    assert.ok(!deepEqual(new Secret("a"), new Secret("b")));
    const host = {};
    assert.ok(deepEqual(new Capsule("t", host), new Capsule("t", host)));
    assert.ok(!deepEqual(new Capsule("t", host), new Capsule("t", {})));
  });

  it("compares other objects (receivers, functions) by identity", () => {
    const r = { push() {} };
    assert.ok(deepEqual([r], [r]));
    assert.ok(!deepEqual([r], [{ push() {} }]));
    const f = new AlloyFunction("f", () => null);
    assert.ok(deepEqual(f, f));
    assert.ok(!deepEqual(f, new AlloyFunction("f", () => null)));
  });
});
