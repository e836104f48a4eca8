import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { sharedMissing, sharedUrl } from "../../test/support/shared.ts";
import type { File } from "./ast.ts";
import { DiagnosticsError } from "./diagnostics.ts";
import { parseExpression, parseFile } from "./parser.ts";
import { format, printExpression, printStatement } from "./printer.ts";

/** Alloy's printer and parser test files (third-party, outside the repository: see `test/support/shared.ts`). */
const UPSTREAM = "conformance/alloy-syntax/";
const TESTDATA = sharedUrl(UPSTREAM);
const PRINTER = new URL("printer/", TESTDATA);

const POSITION_KEYS = new Set([
  "start",
  "end",
  "opPos",
  "lbrack",
  "rbrack",
  "lcurly",
  "rcurly",
  "lparen",
  "rparen",
  "nameStart",
  "nameEnd",
  "labelStart",
]);

/** The AST without positions, with comments reduced to their texts. */
function stripPositions(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripPositions);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (!POSITION_KEYS.has(k)) out[k] = stripPositions(v);
    }
    return out;
  }
  return value;
}

function astOf(src: string): unknown {
  const { file, diagnostics } = parseFile(src, "x.alloy");
  assert.deepEqual(diagnostics, []);
  const f: File = file;
  return {
    body: stripPositions(f.body),
    comments: f.comments.flatMap((g) => g.comments.map((c) => c.text)),
  };
}

function assertRoundTrip(src: string, label: string): void {
  const once = format(src);
  const twice = format(once);
  assert.equal(twice, once, `${label}: formatting is idempotent`);
  assert.deepEqual(astOf(once), astOf(src), `${label}: formatting keeps the AST`);
  assert.ok(once.endsWith("\n") && !once.endsWith("\n\n"), `${label}: one trailing newline`);
}

describe("printer: formatting rules", () => {
  const cases: readonly [string, string][] = [
    ["", "\n"],
    ["a=1", "a = 1\n"],
    ["a=1\nbb=2\n", "a  = 1\nbb = 2\n"],
    ["a=1\n\nbb=2\n", "a = 1\n\nbb = 2\n"],
    ["a=1\n\n\n\nbb=2\n", "a = 1\n\nbb = 2\n"],
    ["blk {}", "blk { }\n"],
    ['blk "l" {\n\n}', 'blk "l" { }\n'],
    ["a = 1\nb {\n}\nc { }", "a = 1\n\nb { }\n\nc { }\n"],
    ["b {\nx=1\nyy=2\n}", "b {\n\tx  = 1\n\tyy = 2\n}\n"],
    ["x = -1 + !true", "x = -1 + !true\n"],
    ["x=(1+2)*3", "x = (1 + 2) * 3\n"],
    ["x = a.b[0]( 1,2 )", "x = a.b[0](1, 2)\n"],
    ["x = [1,2,3,]", "x = [1, 2, 3]\n"],
    ["x = {a=1,b=2,}", "x = {a = 1, b = 2}\n"],
    ['x = { "k.v" = 1 }', 'x = {"k.v" = 1}\n'],
    ["x = { `raw` = 1 }", 'x = {"raw" = 1}\n'],
    ["x = [\n1,\n2, ]", "x = [\n\t1,\n\t2]\n"],
    ["x = {\na = 1,\nlonger = 2,\n}", "x = {\n\ta      = 1,\n\tlonger = 2,\n}\n"],
    ["x = f(\n1,\n2,\n)", "x = f(\n\t1,\n\t2,\n)\n"],
    ["a = 1 // one\nbbb = 2 // two\n", "a   = 1 // one\nbbb = 2 // two\n"],
    ["/* head */ a = 1", "/* head */ a = 1\n"],
    ["a = 1 /* tail */", "a = 1 /* tail */\n"],
    ["a = [1, /* c */ 2]", "a = [1, /* c */ 2]\n"],
    ["// only\n", "// only\n"],
    ["a = 1\r\nb = 2\r\n", "a = 1\nb = 2\n"],
    ["\ufeffa = 1\n", "a = 1\n"],
    ["x = `a\n  b`", "x = `a\n  b`\n"],
    ['blk "métrica" { x = "é" }', 'blk "métrica" {\n\tx = "é"\n}\n'],
    ["x = 1.5e3 + .5 + 5.", "x = 1.5e3 + .5 + 5.\n"],
    ["blk { x = 1 }", "blk {\n\tx = 1\n}\n"],
    ["a { b { c { } } }", "a {\n\tb {\n\t\tc { }\n\t}\n}\n"],
  ];
  for (const [input, expected] of cases) {
    it(JSON.stringify(input), () => {
      assert.equal(format(input), expected);
    });
  }

  it("throws DiagnosticsError with every parse diagnostic", () => {
    assert.throws(
      () => format("a = 1 2\nb = 'x'", "bad.alloy"),
      (err: unknown) =>
        err instanceof DiagnosticsError &&
        err.diagnostics.length === 3 &&
        err.message === "bad.alloy:1:7: expected TERMINATOR, got NUMBER (and 2 more diagnostics)",
    );
  });

  it("accepts bytes", () => {
    assert.equal(format(new TextEncoder().encode("a=1")), "a = 1\n");
  });
});

describe("printer: round trip", () => {
  it("mixed", () =>
    assertRoundTrip(
      'a = 1 // c\nlonger_name = [\n  1, // one\n  {\n    k = "v",\n    kk = f(1,\n      2),\n  },\n]\n\n/* block */\nblk "l" {\n  // inner\n  x = `raw\nstring`\n\n  nested.block { y = -(1 + 2) ^ 3 }\n} // after\n',
      "mixed",
    ));
});

describe("printer: Alloy's upstream test files", { skip: sharedMissing(UPSTREAM) }, () => {
  describe("golden files", () => {
    const inputs = readdirSync(PRINTER).filter((f) => f.endsWith(".in"));
    assert.ok(inputs.length >= 10);
    for (const name of inputs) {
      const base = name.slice(0, -3);
      it(base, () => {
        const input = readFileSync(new URL(name, PRINTER));
        const errorFile = readdirSync(PRINTER).includes(`${base}.error`)
          ? readFileSync(new URL(`${base}.error`, PRINTER), "utf8")
          : undefined;
        if (errorFile !== undefined) {
          assert.throws(
            () => format(input, name),
            (err: unknown) => err instanceof DiagnosticsError && err.message.includes(errorFile.trim()),
          );
          return;
        }
        const expect = readFileSync(new URL(`${base}.expect`, PRINTER), "utf8");
        // Alloy's test compares the printer output with the .expect file trimmed of trailing space; `format`
        // adds the single newline `alloy fmt` writes.
        assert.equal(format(input, name), `${expect.trimEnd()}\n`);
      });
    }
  });

  describe("round trip over every upstream test input", () => {
    const inputs: [string, string][] = [];
    for (const name of readdirSync(PRINTER).filter((f) => f.endsWith(".in") && !f.includes("error"))) {
      inputs.push([`printer/${name}`, readFileSync(new URL(name, PRINTER), "utf8")]);
    }
    const valid = new URL("parser/valid/", TESTDATA);
    for (const name of readdirSync(valid)) {
      inputs.push([`parser/valid/${name}`, readFileSync(new URL(name, valid), "utf8")]);
    }
    for (const [label, src] of inputs) {
      it(label, () => assertRoundTrip(src, label));
    }
  });
});

describe("printExpression", () => {
  const cases: readonly [string, string][] = [
    ["true", "true"],
    ['"Hello, world!"', '"Hello, world!"'],
    ["key_value.object.field1[2]", "key_value.object.field1[2]"],
    ["[0,1,2]", "[0, 1, 2]"],
    ["encoding.to_json", "encoding.to_json"],
    ['sys.env( "HOME" )', 'sys.env("HOME")'],
    ["1+2*3", "1 + 2 * 3"],
    ['{a=1, "b"=[true]}', '{a = 1, "b" = [true]}'],
    ["-x", "-x"],
    ["(a||b)&&!c", "(a || b) && !c"],
    ["[\n  1,\n  2,\n]", "[\n\t1,\n\t2,\n]"],
  ];
  for (const [src, want] of cases) {
    it(src, () => {
      const { expr } = parseExpression(src);
      assert.ok(expr);
      assert.equal(printExpression(expr), want);
    });
  }

  it("prints sub-expressions of a parsed file", () => {
    const { file } = parseFile('x = ["a", key.value[1]]\n', "f");
    const attr = file.body[0];
    assert.ok(attr?.kind === "Attribute" && attr.value.kind === "Array");
    assert.equal(printExpression(attr.value.elements[1] as never), "key.value[1]");
    assert.equal(printStatement(attr), 'x = ["a", key.value[1]]');
  });
});
