import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  ConversionError,
  convertArrayOf,
  convertObjectOf,
  convertToCapsule,
  convertToNumber,
  convertToOptionalSecret,
  convertToSecret,
  convertToString,
  fromPlain,
  toPlain,
  valuesEqual,
} from "./convert.ts";
import { ArgumentError, FunctionError } from "./function-errors.ts";
import { AlloyFunction, AlloyNumber, Capsule, OptionalSecret, Secret, type Value } from "./value.ts";

const int = (n: number | bigint) => AlloyNumber.int(BigInt(n));
const uint = (n: number | bigint) => AlloyNumber.uint(BigInt(n));
const float = (n: number) => AlloyNumber.float(n);

function reason(fn: () => unknown): [string, string] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConversionError) return [e.path, e.message];
    throw e;
  }
  assert.fail("expected a ConversionError");
}

describe("valuesEqual", () => {
  test("numbers compare by value across kinds", () => {
    assert.equal(valuesEqual(int(3), float(3)), true);
    assert.equal(valuesEqual(uint(5), int(5)), true);
    assert.equal(valuesEqual(uint(2n ** 64n - 1n), int(-1)), true);
    assert.equal(valuesEqual(float(Number.NaN), float(Number.NaN)), false);
  });

  test("secrets and capsules", () => {
    assert.equal(valuesEqual(new Secret("a"), new Secret("a")), true);
    assert.equal(valuesEqual(new Secret("a"), new OptionalSecret("a", true)), false);
    assert.equal(valuesEqual(new OptionalSecret("a", false), new OptionalSecret("a", true)), false);
    assert.equal(valuesEqual(new Capsule("t", { a: [1] }), new Capsule("t", { a: [1] })), true);
    assert.equal(valuesEqual(new Capsule("t", { a: [1] }), new Capsule("u", { a: [1] })), false);
  });

  test("functions are never equal", () => {
    const f = new AlloyFunction("f", () => null);
    assert.equal(valuesEqual(f, f), false);
  });

  test("objects ignore key order", () => {
    const a = new Map<string, Value>([
      ["x", int(1)],
      ["y", [true]],
    ]);
    const b = new Map<string, Value>([
      ["y", [true]],
      ["x", float(1)],
    ]);
    assert.equal(valuesEqual(a, b), true);
  });
});

describe("assignment conversions", () => {
  test("number to string never uses an exponent", () => {
    assert.equal(convertToString(float(1e21)), "1000000000000000000000");
    assert.equal(convertToString(float(-0)), "-0");
    assert.equal(convertToString(uint(2n ** 64n - 1n)), "18446744073709551615");
    assert.equal(convertToString(null), "");
  });

  test("string to number follows Alloy's three cases", () => {
    assert.deepEqual(convertToNumber("-12"), int(-12));
    assert.deepEqual(convertToNumber("1.5"), float(1.5));
    assert.deepEqual(convertToNumber("1e3"), float(1000));
    assert.deepEqual(convertToNumber("+1.5"), float(1.5));
    assert.deepEqual(convertToNumber("18446744073709551615"), uint(2n ** 64n - 1n));
    for (const bad of [
      "",
      "-1.5",
      "+5",
      "18446744073709551616",
      "-9223372036854775809",
      "1e400",
      "0x10",
      " 1",
    ]) {
      assert.deepEqual(
        reason(() => convertToNumber(bad)),
        ["", "should be number, got string"],
        bad,
      );
    }
    assert.deepEqual(convertToNumber(new OptionalSecret("7", false)), uint(7));
    assert.deepEqual(
      reason(() => convertToNumber(new OptionalSecret("7", true))),
      ["", "should be number, got capsule"],
    );
  });

  test("secrets", () => {
    assert.deepEqual(
      reason(() => convertToString(new Secret("x"))),
      ["", "secrets may not be converted into strings"],
    );
    assert.deepEqual(
      reason(() => convertToString(new OptionalSecret("x", true))),
      ["", "secrets may not be converted into strings"],
    );
    assert.equal(convertToString(new OptionalSecret("x", false)), "x");
    assert.equal(convertToSecret("x").reveal(), "x");
    assert.equal(convertToSecret(new OptionalSecret("o", false)).reveal(), "o");
    assert.deepEqual(
      reason(() => convertToSecret(int(1))),
      ["", "should be capsule, got number"],
    );
    assert.equal(convertToOptionalSecret(new Secret("s")).isSecret, true);
    assert.equal(convertToOptionalSecret("s").isSecret, false);
  });

  test("capsules need the same host type", () => {
    const c = new Capsule("a.B", 1);
    assert.equal(convertToCapsule(c, "a.B"), c);
    assert.equal(convertToCapsule(null, "a.B"), null);
    assert.deepEqual(
      reason(() => convertToCapsule(new Capsule("x.Y", 1), "a.B")),
      ["", 'expected capsule("a.B"), got capsule("x.Y")'],
    );
    assert.deepEqual(
      reason(() => convertToCapsule("s", "a.B")),
      ["", "should be capsule, got string"],
    );
  });

  test("element and field errors carry their path", () => {
    const v: Value = [new Map<string, Value>([["k", ["a", true]]])];
    const fn = () => convertArrayOf(v, (e) => convertObjectOf(e, (f) => convertArrayOf(f, convertToString)));
    assert.deepEqual(reason(fn), ["[0].k[1]", "should be string, got bool"]);
  });

  test("the path feeds ArgumentError directly", () => {
    try {
      convertArrayOf([int(1), true], convertToString);
      assert.fail("expected an error");
    } catch (e) {
      assert.ok(e instanceof ConversionError);
      const arg = new ArgumentError(0, e.message, e.path);
      assert.equal(arg.path, "[1]");
    }
  });
});

describe("plain data", () => {
  test("toPlain", () => {
    const v: Value = new Map<string, Value>([
      ["n", int(1)],
      ["big", uint(2n ** 64n - 1n)],
      ["f", float(1.5)],
      ["list", ["a", null, false]],
      ["__proto__", "safe"],
      ["opt", new OptionalSecret("o", false)],
    ]);
    const p = toPlain(v) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(p), Object.prototype);
    assert.equal(p["n"], 1);
    assert.equal(p["big"], 18446744073709551615n);
    assert.equal(p["f"], 1.5);
    assert.deepEqual(p["list"], ["a", null, false]);
    assert.equal(Object.getOwnPropertyDescriptor(p, "__proto__")?.value, "safe");
    assert.equal(p["opt"], "o");
    const hidden = toPlain(new OptionalSecret("x", true));
    assert.ok(hidden instanceof Secret && hidden.reveal() === "x");
  });

  test("fromPlain", () => {
    const v = fromPlain({
      a: 1,
      b: 1.5,
      c: [true, "s", null],
      d: 2n ** 63n,
      e: undefined,
      s: new Secret("x"),
    });
    assert.ok(v instanceof Map);
    assert.deepEqual(v.get("a"), int(1));
    assert.deepEqual(v.get("b"), float(1.5));
    assert.deepEqual(v.get("c"), [true, "s", null]);
    assert.deepEqual(v.get("d"), uint(2n ** 63n));
    assert.equal(v.get("e"), null);
    assert.ok(v.get("s") instanceof Secret);
    assert.throws(() => fromPlain(new Date()), TypeError);
    assert.throws(() => fromPlain(2n ** 64n), RangeError);
    assert.throws(() => fromPlain(Symbol("x")), TypeError);
  });

  test("a JS function becomes an Alloy function over plain data", () => {
    const f = fromPlain((a: unknown, b: unknown) => `${a}-${b}`);
    assert.ok(f instanceof AlloyFunction);
    assert.equal(f.call([int(1), "x"]), "1-x");
    const failing = fromPlain(() => {
      throw new Error("nope");
    }) as AlloyFunction;
    assert.throws(
      () => failing.call([]),
      (e) => e instanceof FunctionError && e.message === "nope",
    );
  });

  test("round trip", () => {
    const plain = { list: [1, "a", { x: null }], flag: true };
    assert.deepEqual(toPlain(fromPlain(plain)), plain);
  });
});
