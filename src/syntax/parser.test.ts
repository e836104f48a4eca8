import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { sharedMissing, sharedUrl } from "../../test/support/shared.ts";
import type { BlockStmt, Expr, File } from "./ast.ts";
import type { Diagnostic } from "./diagnostics.ts";
import { Scanner, utf8Encode, utf8Length } from "./lexer.ts";
import { parseExpression, parseFile } from "./parser.ts";

/** Alloy's parser test files and fuzz corpus (third-party, outside the repository: `test/support/shared.ts`). */
const UPSTREAM = "conformance/alloy-syntax/parser/";
const TESTDATA = sharedUrl(UPSTREAM);

/** The input of a Go fuzz corpus file (`go test fuzz v1` then one `[]byte("...")` with Go escapes). */
function goFuzzInput(file: Buffer): Uint8Array {
  const m = /^go test fuzz v1\n\[\]byte\("((?:[^"\\]|\\.)*)"\)\s*$/.exec(file.toString("latin1"));
  assert.ok(m, "a Go fuzz corpus file with one []byte value");
  const out: number[] = [];
  const text = m[1] ?? "";
  const simple: Record<string, number> = {
    n: 10,
    t: 9,
    r: 13,
    a: 7,
    b: 8,
    f: 12,
    v: 11,
    "\\": 92,
    '"': 34,
    "'": 39,
  };
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== "\\") {
      out.push(text.charCodeAt(i));
      continue;
    }
    const c = text[++i] ?? "";
    if (c === "x") {
      out.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c === "u" || c === "U") {
      const digits = c === "u" ? 4 : 8;
      out.push(...Buffer.from(String.fromCodePoint(Number.parseInt(text.slice(i + 1, i + 1 + digits), 16))));
      i += digits;
    } else if (/[0-7]/.test(c)) {
      out.push(Number.parseInt(text.slice(i, i + 3), 8));
      i += 2;
    } else {
      const v = simple[c];
      assert.ok(v !== undefined, `unknown escape \\${c}`);
      out.push(v);
    }
  }
  return Uint8Array.from(out);
}

function fmtDiag(d: Diagnostic): string {
  const at = `${d.start?.line}:${d.start?.column}`;
  const end = d.end ? `-${d.end.line}:${d.end.column}` : "";
  return `${at}${end}: ${d.message}`;
}

function diagsOf(src: string): string[] {
  return parseFile(src, "test.alloy").diagnostics.map(fmtDiag);
}

/** A compact, position-free rendering of an expression, to check the tree's shape. */
function shape(e: Expr): string {
  switch (e.kind) {
    case "Literal":
      return e.raw;
    case "Identifier":
      return e.ident.name;
    case "Array":
      return `[${e.elements.map(shape).join(" ")}]`;
    case "Object":
      return `{${e.fields.map((f) => `${f.quoted ? `"${f.name.name}"` : f.name.name}=${shape(f.value)}`).join(" ")}}`;
    case "Access":
      return `${shape(e.value)}.${e.name.name}`;
    case "Index":
      return `${shape(e.value)}[${shape(e.index)}]`;
    case "Call":
      return `${shape(e.value)}(${e.args.map(shape).join(" ")})`;
    case "Unary":
      return `(${e.op}${shape(e.value)})`;
    case "Binary":
      return `(${shape(e.left)} ${e.op} ${shape(e.right)})`;
    case "Paren":
      return `<${shape(e.inner)}>`;
  }
}

function exprShape(src: string): string {
  const r = parseExpression(src);
  assert.deepEqual(r.diagnostics.map(fmtDiag), []);
  assert.ok(r.expr);
  return shape(r.expr);
}

/**
 * Alloy's parser test harness: a `/* ERROR "rx" *\/` comment right after a token expects an error matching
 * rx at that token; `/* ERROR HERE "rx" *\/` expects it just after the token.
 */
function expectedErrors(src: Uint8Array): Map<number, string> {
  const errors = new Map<number, string>();
  const s = new Scanner(src, undefined, { includeComments: true });
  let prev = 0;
  let here = 0;
  for (let i = 0; i < 100_000; i++) {
    const t = s.scan();
    if (t.tok === "EOF") break;
    if (t.tok === "COMMENT") {
      const m = /^\/\* *ERROR *(HERE)? *"([^"]*)" *\*\/$/.exec(t.lit);
      if (m) errors.set(m[1] === "HERE" ? here : prev, m[2] ?? "");
      continue;
    }
    if (t.tok === "TERMINATOR") continue;
    prev = t.offset;
    const literal = t.tok === "IDENT" || t.tok === "NUMBER" || t.tok === "FLOAT" || t.tok === "STRING";
    here = prev + (literal ? utf8Length(t.lit) : t.tok.length);
  }
  return errors;
}

describe("parser: Alloy's upstream test files", { skip: sharedMissing(UPSTREAM) }, () => {
  describe("parser: upstream error testdata", () => {
    const files = readdirSync(TESTDATA).filter((f) => f.endsWith(".alloy"));
    assert.ok(files.length >= 6);
    for (const name of files) {
      it(name, () => {
        const src = new Uint8Array(readFileSync(new URL(name, TESTDATA)));
        const expected = expectedErrors(src);
        assert.ok(expected.size > 0, "the file declares expected errors");
        const { diagnostics } = parseFile(src, name);
        for (const d of diagnostics) {
          const rx = expected.get(d.start?.offset ?? -1);
          assert.ok(rx !== undefined, `unexpected error: ${fmtDiag(d)}`);
          assert.match(d.message, new RegExp(rx));
          expected.delete(d.start?.offset ?? -1);
        }
        assert.deepEqual([...expected.values()], [], "errors not reported");
      });
    }
  });

  describe("parser: upstream valid testdata and fuzz regressions", () => {
    const validDir = new URL("valid/", TESTDATA);
    for (const name of readdirSync(validDir)) {
      it(`valid/${name} parses without diagnostics`, () => {
        const { diagnostics } = parseFile(readFileSync(new URL(name, validDir)), name);
        assert.deepEqual(diagnostics.map(fmtDiag), []);
      });
    }
    const fuzzDir = new URL("fuzz/FuzzParser/", TESTDATA);
    // by the first 8 hex digits of the corpus file's name
    const fuzzExpect: Record<string, string[]> = {
      "1a39f4e3": ["1:18: expected block label, got TERMINATOR"],
      "248cf439": ["1:5: expected =, got !", "1:8: string literal not terminated"],
      b919fa00: [
        "1:2: string literal not terminated",
        "1:3: expected attribute assignment or block body, got TERMINATOR",
      ],
    };
    for (const name of readdirSync(fuzzDir)) {
      it(`fuzz/FuzzParser/${name.slice(0, 8)} terminates with diagnostics`, () => {
        const { diagnostics } = parseFile(goFuzzInput(readFileSync(new URL(name, fuzzDir))), name);
        assert.deepEqual(diagnostics.map(fmtDiag), fuzzExpect[name.slice(0, 8)]);
      });
    }
  });
});

describe("parser: valid constructs", () => {
  const valid: readonly string[] = [
    "",
    "// only a comment\n",
    "/* block\ncomment */",
    "a = 1",
    "a = 1\n",
    "a = 1\r\nb = 2\r\n",
    "blk { }",
    "blk {}",
    "blk { x = 1 }",
    'blk "label" { x = 1 }',
    'a.b.c "l" {\n  d.e {\n    f = 1\n  }\n}\n',
    'blk "" { }',
    "x = [\n]",
    "x = {\n}",
    "x = [1, 2, 3,]",
    "x = [\n  1,\n  2,\n]",
    "x = { a = 1, b = 2, }",
    'x = { "app.kubernetes.io/name" = 1 }',
    "x = f(\n  1,\n  2,\n)",
    "x = 1 +\n 2",
    "c = 3 /* multi\nline */ d = 4",
    "a = 1\na = 2",
    "métrica_café = 1",
    'blk "métrica" { }',
    "x = `raw\nstring`",
    "x = .5 + 5. + 1.e5 + 1e3",
    "\ufeffa = 1",
    "x = a.b[0].c(1)[2]",
    "x = !!true",
    "x = --1",
  ];
  for (const src of valid) {
    it(JSON.stringify(src), () => {
      assert.deepEqual(diagsOf(src), []);
    });
  }
});

describe("parser: invalid constructs (message and position)", () => {
  const invalid: readonly [string, string[]][] = [
    ["a = [\n 1,\n 2\n]", ["3:3: missing ',' in expression list"]],
    ["a = {\n b = 1,\n c = 2\n}", ["3:7: missing ',' in field list"]],
    ["x = f(\n a,\n b\n)", ["3:3: missing ',' in expression list"]],
    ["x = 1\n + 2", ["2:2: expected identifier, got +"]],
    ["x = (1\n + 2)", ["1:7: expected ), got TERMINATOR", "2:5: expected TERMINATOR, got )"]],
    ["blk\n{\n}", ["1:4: expected block label, got TERMINATOR"]],
    ['blk "l"\n{\n}', ["1:8: expected block body, got TERMINATOR"]],
    ["blk = ", ["1:7: expected expression, got EOF"]],
    ["blk ]", ["1:5: expected block label, got ]"]],
    ["a.b\n{\n}", ["1:4: expected block label, got TERMINATOR"]],
    ["a { } b { }", ["1:7: expected TERMINATOR, got IDENT"]],
    ["x = 1 y = 2", ["1:7: expected TERMINATOR, got IDENT"]],
    ["blk {\n a = 1,\n b = 2\n}", ["2:7: expected TERMINATOR, got ,"]],
    ["a = 1 /* c */ b = 2", ["1:15: expected TERMINATOR, got IDENT"]],
    ["# comment", ["1:1: illegal character U+0023 '#'", "1:1: expected identifier, got ILLEGAL"]],
    [
      "x = 'a'",
      ["1:5: illegal single-quoted string; use double quotes", "1:5: expected expression, got ILLEGAL"],
    ],
    ['x = "abc', ["1:5: string literal not terminated"]],
    ['blk "a b" { }', ['1:5: expected block label to be a valid identifier, but got "a b"']],
    ['blk "my-writer" { }', ['1:5: expected block label to be a valid identifier, but got "my-writer"']],
    ['blk "true" { }', ['1:5: expected block label to be a valid identifier, but got "true"']],
    ['blk "1st" { }', ['1:5: expected block label to be a valid identifier, but got "1st"']],
    ["blk `x` { }", ['1:5: expected block label to be a double quoted string, but got "`x`"']],
    ["blk x { }", ["1:5: expected block label, got IDENT"]],
    ["blk null { }", ["1:5: expected block label, got NULL"]],
    ['blk "a" "b" { }', ["1:9: expected block body, got STRING"]],
    ["a.b = 1", ['1:1-1:3: attribute names may only consist of a single identifier with no "."']],
    ['a "l" = 1', ["1:3-1:5: attribute names may not have labels"]],
    [
      'x = prometheus.remote_write "default" {\n  url = "x"\n}',
      ["1:5-3:1: cannot use a block as an expression"],
    ],
    ["x = a.true", ["1:7: expected IDENT, got BOOL"]],
    ["x = { true = 1 }", ["1:7: expected field name (string or identifier), got BOOL"]],
    ["x = { a: 1 }", ["1:8: illegal character U+003A ':'", "1:8: expected =, got ILLEGAL"]],
    ["x = 1 + +", ["1:9: expected expression, got +"]],
    ["x = 0x10", ["1:6: expected TERMINATOR, got IDENT"]],
    ["x = 10e", ["1:5: exponent has no digits"]],
    ['x = "\\q"', ["1:7: unknown escape sequence"]],
    ['x = "\\\'"', ["1:7: unknown escape sequence"]],
    ["x = 1 & 2", ["1:8: missing second & in &&"]],
    ["x =", ["1:4: expected expression, got EOF"]],
    ["x = 1\n", []],
    ["blk {\n", ["2:1: expected }, got EOF"]],
    // Recovery skips to the next identifier, so the statement after a bad one is reported too (as in Alloy).
    ["a = 1\n2 = 3\nb = 4", ["2:1: expected identifier, got NUMBER", "3:1: expected TERMINATOR, got IDENT"]],
    ["true = 1", ["1:1: expected identifier, got BOOL"]],
    ["a.null { }", ["1:3: expected identifier, got NULL"]],
    ["a = 1\ufeff", ["1:6: illegal byte order mark", "1:6: expected TERMINATOR, got ILLEGAL"]],
    [
      "a = 1\x00",
      [
        "1:6: illegal character NUL",
        "1:6: illegal character U+0000",
        "1:6: expected TERMINATOR, got ILLEGAL",
      ],
    ],
    [
      "a = [1, 2\nb = 3\nc = {",
      [
        "1:10: missing ',' in expression list",
        "2:3: missing ',' in expression list",
        "3:3: missing ',' in expression list",
      ],
    ],
  ];
  for (const [src, expected] of invalid) {
    it(JSON.stringify(src), () => {
      assert.deepEqual(diagsOf(src), expected);
    });
  }

  it("reports at most one parser error per line but keeps scanner errors", () => {
    assert.deepEqual(diagsOf("a = 1 b = 2 c = 3"), ["1:7: expected TERMINATOR, got IDENT"]);
    assert.deepEqual(diagsOf("a = # #"), [
      "1:5: illegal character U+0023 '#'",
      "1:5: expected expression, got ILLEGAL",
      "1:7: illegal character U+0023 '#'",
    ]);
  });

  it("reports errors on several lines in one run", () => {
    assert.deepEqual(diagsOf("a = 1 2\nb = 3 +\nc = )\nd = (\n"), [
      "1:7: expected TERMINATOR, got NUMBER",
      "3:3: expected TERMINATOR, got =",
      "5:1: expected expression, got EOF",
    ]);
  });

  it("counts columns in bytes", () => {
    assert.deepEqual(diagsOf('é = "a" 1'), ["1:10: expected TERMINATOR, got NUMBER"]);
  });

  it("reads bytes and rejects invalid UTF-8", () => {
    const r = parseFile(new Uint8Array([0x61, 0x20, 0x3d, 0x20, 0x22, 0xff, 0x22]), "bytes.alloy");
    assert.deepEqual(r.diagnostics.map(fmtDiag), ["1:6: illegal UTF-8 encoding"]);
    assert.equal(r.diagnostics[0]?.file, "bytes.alloy");
  });

  it("puts the filename on every diagnostic", () => {
    const r = parseFile("a = 1 2\n#", "dir/x.alloy");
    assert.ok(r.diagnostics.length >= 2);
    for (const d of r.diagnostics) assert.equal(d.file, "dir/x.alloy");
  });
});

describe("parser: AST", () => {
  it("applies Alloy's precedence and associativity", () => {
    const cases: readonly [string, string][] = [
      ["1 + 2 * 3", "(1 + (2 * 3))"],
      ["1 - 2 - 3", "((1 - 2) - 3)"],
      ["2 ^ 3 ^ 2", "(2 ^ (3 ^ 2))"],
      ["-2 ^ 2", "((-2) ^ 2)"],
      ["1 < 2 == true", "((1 < 2) == true)"],
      ["a || b && c", "(a || (b && c))"],
      ["!a == b", "((!a) == b)"],
      ["1 * 3 + 5 ^ 3 - 2 % 1", "(((1 * 3) + (5 ^ 3)) - (2 % 1))"],
      ["(5 * 2) + 5", "(<(5 * 2)> + 5)"],
      ["a.b[0](1, 2).c", "a.b[0](1 2).c"],
      ["(a.b.c)(1, 3 * l[i * 2]).f", "<a.b.c>(1 (3 * l[(i * 2)])).f"],
      ['{ a = 1, "b.c" = [2, 3] }', '{a=1 "b.c"=[2 3]}'],
      ["1 != 2 <= 3 >= 4 > 5", "((((1 != 2) <= 3) >= 4) > 5)"],
    ];
    for (const [src, want] of cases) assert.equal(exprShape(src), want, src);
  });

  it("keeps positions of every node", () => {
    const { file } = parseFile('pyroscope.write "w" {\n  endpoint {\n    url = "http://x"\n  }\n}\n', "f");
    const block = file.body[0] as BlockStmt;
    assert.equal(block.kind, "Block");
    assert.deepEqual(block.name, ["pyroscope", "write"]);
    assert.equal(block.label, "w");
    assert.deepEqual(block.nameStart, { offset: 0, line: 1, column: 1 });
    assert.deepEqual(block.nameEnd, { offset: 14, line: 1, column: 15 });
    assert.deepEqual(block.labelStart, { offset: 16, line: 1, column: 17 });
    assert.deepEqual(block.lcurly, { offset: 20, line: 1, column: 21 });
    assert.deepEqual(block.rcurly, { offset: 60, line: 5, column: 1 });
    const inner = block.body[0] as BlockStmt;
    const attr = inner.body[0];
    assert.equal(attr?.kind, "Attribute");
    if (attr?.kind !== "Attribute") return;
    assert.equal(attr.name.name, "url");
    assert.deepEqual(attr.name.start, { offset: 39, line: 3, column: 5 });
    assert.deepEqual(attr.name.end, { offset: 41, line: 3, column: 7 });
    assert.equal(attr.value.kind, "Literal");
    if (attr.value.kind !== "Literal") return;
    assert.equal(attr.value.raw, '"http://x"');
    assert.deepEqual(attr.value.start, { offset: 45, line: 3, column: 11 });
    assert.deepEqual(attr.value.end, { offset: 54, line: 3, column: 20 });
  });

  it("ends a multi-line raw string on its last line", () => {
    const r = parseExpression("`a\nbc`");
    assert.ok(r.expr?.kind === "Literal");
    assert.deepEqual(r.expr.end, { offset: 5, line: 2, column: 3 });
  });

  it("treats an empty label as none", () => {
    const b = parseFile('blk "" { }', "f").file.body[0] as BlockStmt;
    assert.equal(b.label, undefined);
  });

  it("keeps quoted keys raw, as Alloy does", () => {
    const r = parseExpression('{ "a.b" = 1, "" = 2, `c` = 3 }');
    assert.ok(r.expr?.kind === "Object");
    assert.deepEqual(
      r.expr.fields.map((f) => [f.name.name, f.quoted]),
      [
        ["a.b", true],
        ['""', false],
        ["c", true],
      ],
    );
  });

  it("groups comments that have no blank line between them", () => {
    const { file } = parseFile("// a\n// b\n\n// c\nx = 1 // d\n/* e\n*/\n// f\n", "f");
    assert.deepEqual(
      file.comments.map((g) => g.comments.map((c) => c.text)),
      [["// a", "// b"], ["// c"], ["// d", "/* e\n*/", "// f"]],
    );
    const d = file.comments[2]?.comments[0];
    assert.deepEqual(d?.start, { offset: 22, line: 5, column: 7 });
    assert.deepEqual(d?.end, { offset: 25, line: 5, column: 10 });
  });

  it("returns a File with the filename", () => {
    const { file } = parseFile("a = 1", "name.alloy");
    const expected: Pick<File, "kind" | "filename"> = { kind: "File", filename: "name.alloy" };
    assert.deepEqual({ kind: file.kind, filename: file.filename }, expected);
  });
});

describe("parseExpression", () => {
  it("parses one expression", () => {
    assert.equal(exprShape("a.b + 1"), "(a.b + 1)");
    assert.equal(exprShape("[\n  1,\n]\n"), "[1]");
  });

  it("rejects trailing text", () => {
    assert.deepEqual(parseExpression("1 2").diagnostics.map(fmtDiag), [
      "1:3: expected TERMINATOR, got NUMBER",
    ]);
    assert.deepEqual(parseExpression("1\n2").diagnostics.map(fmtDiag), ["2:1: expected EOF, got NUMBER"]);
    assert.equal(parseExpression("1 2").expr, undefined);
  });

  it("reports errors with the given filename", () => {
    const r = parseExpression("1 +", "expr");
    assert.deepEqual(r.diagnostics.map(fmtDiag), ["1:4: expected expression, got EOF"]);
    assert.equal(r.diagnostics[0]?.file, "expr");
    assert.equal(parseExpression("1 +").diagnostics[0]?.file, undefined);
  });

  it("takes a string with non-ASCII text", () => {
    const r = parseExpression('"héllo" + x', "e");
    assert.deepEqual(r.diagnostics, []);
    assert.ok(r.expr?.kind === "Binary");
    assert.deepEqual(r.expr.opPos, { offset: 9, line: 1, column: 10 });
    assert.equal(utf8Encode('"héllo"').length, 8);
  });
});
