import assert from "node:assert/strict";
import { test } from "node:test";
import { binaryOp, compareStrings, OperatorError, unaryOp } from "./operators.ts";
import { AlloyNumber, Capsule, OptionalSecret, Secret, type Value } from "./value.ts";

const f = (n: number) => AlloyNumber.float(n);
const i = (n: number) => AlloyNumber.int(BigInt(n));

function operatorError(fn: () => unknown): [number, string] {
  try {
    fn();
  } catch (e) {
    if (e instanceof OperatorError) return [e.operand, e.message];
    throw e;
  }
  assert.fail("expected an OperatorError");
}

test("strings compare in UTF-8 byte order", () => {
  const sorted = ["", "A", "B", "a", "ab", "abc", "\u00e9", "\uffff", "\u{10000}", "\u{1f600}"];
  for (let x = 0; x < sorted.length; x++) {
    for (let y = 0; y < sorted.length; y++) {
      assert.equal(Math.sign(compareStrings(sorted[x] as string, sorted[y] as string)), Math.sign(x - y));
    }
  }
});

test("NaN compares false every way and is never equal", () => {
  for (const op of ["<", "<=", ">", ">=", "=="] as const)
    assert.equal(binaryOp(f(Number.NaN), op, f(1)), false);
  assert.equal(binaryOp(f(Number.NaN), "!=", f(Number.NaN)), true);
});

test("float power follows Go's math.Pow", () => {
  assert.deepEqual(binaryOp(f(1), "^", f(Number.NaN)), f(1));
  assert.deepEqual(binaryOp(f(-1), "^", f(Number.POSITIVE_INFINITY)), f(1));
  assert.deepEqual(binaryOp(f(2), "^", f(10)), f(1024));
});

test("float division by zero is an error on the right operand", () => {
  assert.deepEqual(
    operatorError(() => binaryOp(f(1), "/", f(-0))),
    [1, "divide by zero error"],
  );
  assert.deepEqual(binaryOp(f(7.5), "%", i(2)), f(1.5));
});

test("the error names the operand after secrets are unwrapped", () => {
  assert.deepEqual(
    operatorError(() => binaryOp("a", "<", new Secret("b"))),
    [0, "should be one of [number string] for binop <, got capsule"],
  );
  assert.deepEqual(
    operatorError(() => binaryOp(i(1), "+", new OptionalSecret("x", false))),
    [1, "should be number, got capsule"],
  );
});

test("secret + another capsule keeps the secret's text", () => {
  const other = new Capsule("x.Y", 1);
  const s = binaryOp(new Secret("a"), "+", other as Value);
  assert.ok(s instanceof Secret);
  assert.equal(s.reveal(), "a");
});

test("unary operators", () => {
  assert.deepEqual(unaryOp("-", AlloyNumber.uint(5n)), i(-5));
  assert.deepEqual(unaryOp("-", f(0)), f(-0));
  assert.deepEqual(
    operatorError(() => unaryOp("!", null)),
    [0, "should be bool, got null"],
  );
});
