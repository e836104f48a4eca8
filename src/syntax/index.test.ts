import assert from "node:assert/strict";
import { test } from "node:test";
import {
  AlloyFunction,
  Capsule,
  DiagnosticsError,
  diagnosticOneLine,
  evaluateExpression,
  format,
  parse,
  Secret,
} from "./index.ts";

test("evaluateExpression returns plain data", () => {
  assert.deepEqual(evaluateExpression('{ a = [1, 2.5, "x", true, null], "b.c" = {} }'), {
    a: [1, 2.5, "x", true, null],
    "b.c": {},
  });
  assert.equal(evaluateExpression("18446744073709551615"), 18446744073709551615n);
  assert.equal(evaluateExpression("7 / 2"), 3);
});

test("evaluateExpression takes a scope of plain data", () => {
  const receiver = new Capsule("pyroscope.Appendable", {});
  const scope = { pyroscope: { write: { default: { receiver } } }, port: 4040, name: "app" };
  assert.equal(evaluateExpression("pyroscope.write.default.receiver", scope), receiver);
  assert.equal(evaluateExpression('name + ":" + string.format("%d", port)', scope), "app:4040");
});

test("secrets stay secrets", () => {
  const v = evaluateExpression('token + "-suffix"', { token: new Secret("hunter2") });
  assert.ok(v instanceof Secret);
  assert.equal(v.reveal(), "hunter2-suffix");
  assert.equal(String(v), "(secret)");
});

test("functions are returned as functions", () => {
  assert.ok(evaluateExpression("sys.env") instanceof AlloyFunction);
  assert.equal(evaluateExpression("twice(21)", { twice: (n: number) => n * 2 }), 42);
});

test("errors carry the diagnostics", () => {
  assert.throws(
    () => evaluateExpression('1 + "a"'),
    (e) =>
      e instanceof DiagnosticsError &&
      e.message === '1:5: "a" should be number, got string' &&
      e.diagnostics.length === 1,
  );
  assert.throws(
    () => evaluateExpression("1 +"),
    (e) => e instanceof DiagnosticsError && e.diagnostics.length > 0,
  );
  assert.throws(() => evaluateExpression('array.group_by([], "k", true)'), DiagnosticsError);
  assert.deepEqual(evaluateExpression('array.group_by([], "k", true)', {}, { allowExperimental: true }), []);
});

test("parse and format", () => {
  const { file, diagnostics } = parse('a   =  1\nb "x" { c = [1,2] }\n', "x.alloy");
  assert.deepEqual(diagnostics, []);
  assert.equal(file.body.length, 2);
  assert.equal(format("a   =  1\n"), "a = 1\n");
  const bad = parse("a = ", "bad.alloy");
  assert.ok(bad.diagnostics.length > 0);
  assert.match(diagnosticOneLine(bad.diagnostics[0] as never), /^bad\.alloy:/);
  assert.throws(() => format("a = "), DiagnosticsError);
});
