/**
 * Inputs shaped to break a naive implementation: nesting deep enough to overflow the JavaScript stack (the
 * parser, evaluator and printer recurse over the AST), and files big enough that work repeated per line or
 * per diagnostic turns quadratic. Each gets diagnostics or output, never a crash or a hang (the timeouts
 * are generous bounds: these finish in well under a second).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { printDiagnostics } from "./diagnostic-printer.ts";
import { DiagnosticsError } from "./diagnostics.ts";
import { evaluateExpression } from "./index.ts";
import { MAX_NESTING, NESTING_MESSAGE, parseFile } from "./parser.ts";
import { format } from "./printer.ts";

const SHAPES: Readonly<Record<string, (n: number) => string>> = {
  arrays: (n) => "[".repeat(n) + "]".repeat(n),
  objects: (n) => "{a = ".repeat(n) + "1" + "}".repeat(n),
  parentheses: (n) => "(".repeat(n) + "1" + ")".repeat(n),
  calls: (n) => "concat(".repeat(n) + ")".repeat(n),
  negations: (n) => "!".repeat(n) + "true",
  "binary chain": (n) => "1 + ".repeat(n) + "1",
  "power chain": (n) => "1 ^ ".repeat(n) + "1",
  "field accesses": (n) => `{a = 1}${".a".repeat(n)}`,
  indexes: (n) => `[1]${"[0]".repeat(n)}`,
};

describe("nesting deeper than the stack allows", () => {
  for (const [shape, make] of Object.entries(SHAPES)) {
    test(`${shape}: 100 000 levels are one diagnostic, not a stack overflow`, () => {
      const source = `a = ${make(100_000)}\n`;
      const { diagnostics } = parseFile(source, "deep.alloy");
      assert.equal(diagnostics.length, 1);
      assert.equal(diagnostics[0]?.message, NESTING_MESSAGE);
      assert.equal(diagnostics[0]?.file, "deep.alloy");
      assert.equal(diagnostics[0]?.start?.line, 1);
      assert.throws(() => format(source), DiagnosticsError);
      assert.throws(
        () => evaluateExpression(make(100_000)),
        (err: unknown) => {
          assert.ok(err instanceof DiagnosticsError);
          assert.equal(err.diagnostics[0]?.message, NESTING_MESSAGE);
          return true;
        },
      );
    });
  }

  test("blocks in blocks: 100 000 levels are one diagnostic, at the block past the limit", () => {
    const source = "b {\n".repeat(100_000) + "}\n".repeat(100_000);
    const { diagnostics } = parseFile(source, "deep.alloy");
    assert.equal(diagnostics.length, 1);
    assert.equal(diagnostics[0]?.message, NESTING_MESSAGE);
    // the file itself is the first level: the limit is passed in the body of block MAX_NESTING, which
    // starts on the next line
    assert.equal(diagnostics[0]?.start?.line, MAX_NESTING + 1);
  });

  test("well below the limit, every shape parses, formats and evaluates", () => {
    for (const [shape, make] of Object.entries(SHAPES)) {
      const depth = shape === "calls" ? 200 : 450;
      const source = `a = ${make(depth)}\n`;
      assert.deepEqual(parseFile(source, "ok.alloy").diagnostics, [], shape);
      const once = format(source);
      assert.equal(format(once), once, shape);
      assert.doesNotThrow(() => {
        try {
          evaluateExpression(make(depth));
        } catch (err) {
          // a value error (e.g. `!` on a number) is fine; only the nesting must not be the problem
          if (!(err instanceof DiagnosticsError)) throw err;
          assert.notEqual(err.diagnostics[0]?.message, NESTING_MESSAGE, shape);
        }
      }, shape);
    }
  });
});

describe("values nested deeper than the stack allows", () => {
  // Go's JSON decoder, and so encoding.from_json, accepts 10 000 levels: more than code recursing over
  // values can follow
  const json = "[".repeat(9_000) + "]".repeat(9_000);
  for (const source of [
    "encoding.from_json(j)",
    "encoding.from_json(j) == encoding.from_json(j)",
    "encoding.to_json(encoding.from_json(j))",
    "array.concat(encoding.from_json(j), [1])",
  ]) {
    test(`${source} is a positioned diagnostic, not a stack overflow`, () => {
      assert.throws(
        () => evaluateExpression(source, { j: json }),
        (err: unknown) => {
          assert.ok(err instanceof DiagnosticsError, String(err));
          assert.match(err.diagnostics[0]?.message ?? "", /nested too deeply/);
          assert.equal(err.diagnostics[0]?.start?.column, 1);
          return true;
        },
      );
    });
  }

  test("a value of ordinary depth still evaluates", () => {
    assert.deepEqual(evaluateExpression("encoding.from_json(j)", { j: "[[[1]]]" }), [[[1]]]);
  });
});

describe("large files", () => {
  test("100 000 diagnostics in one file print with their source lines", { timeout: 60_000 }, () => {
    const text = "x\n".repeat(100_000);
    const { diagnostics } = parseFile(text, "big.alloy");
    assert.equal(diagnostics.length, 100_000);
    const printed = printDiagnostics(diagnostics, new Map([["big.alloy", text]]));
    assert.equal(printed.split("Error: big.alloy:").length - 1, 100_000);
    assert.match(printed, /\n100000 \| x\n/);
  });

  test("a block of 100 000 attributes formats", { timeout: 60_000 }, () => {
    const lines = Array.from({ length: 100_000 }, (_, i) => `  attr${i} = ${i}\n`);
    const out = format(`b {\n${lines.join("")}}\n`);
    assert.ok(out.startsWith("b {\n\tattr0     = 0\n"));
    assert.ok(out.endsWith("\tattr99999 = 99999\n}\n"));
  });
});
