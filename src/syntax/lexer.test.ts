import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeRune, isValidIdentifier, isValidUtf8, Scanner, SourceFile, utf8Encode } from "./lexer.ts";
import type { TokenKind } from "./token.ts";
import { goQuote, goRuneDescription } from "./token.ts";

interface Tok {
  tok: TokenKind;
  lit: string;
  offset: number;
}

function scanAll(src: string | Uint8Array, mode: { comments?: boolean; noTerms?: boolean } = {}) {
  const bytes = typeof src === "string" ? utf8Encode(src) : src;
  const errors: { offset: number; msg: string }[] = [];
  const s = new Scanner(bytes, (offset, msg) => errors.push({ offset, msg }), {
    includeComments: mode.comments ?? true,
    dontInsertTerms: mode.noTerms ?? false,
  });
  const toks: Tok[] = [];
  for (let i = 0; i < 10_000; i++) {
    const t = s.scan();
    toks.push({ tok: t.tok, lit: t.lit, offset: t.offset });
    if (t.tok === "EOF") break;
  }
  return { toks, errors };
}

function kinds(src: string): string[] {
  return scanAll(src, { comments: false }).toks.map((t) => t.tok);
}

// The token table of Alloy's scanner_test.go.
const TOKENS: readonly [TokenKind, string][] = [
  ["COMMENT", "/* a comment */"],
  ["COMMENT", "// a comment \n"],
  ["COMMENT", "/*\r*/"],
  ["COMMENT", "/**\r/*/"],
  ["COMMENT", "/**\r\r/*/"],
  ["COMMENT", "//\r\n"],
  ["IDENT", "foobar"],
  ["IDENT", "a۰۱۸"],
  ["IDENT", "foo६४"],
  ["IDENT", "bar９８７６"],
  ["IDENT", "ŝ"],
  ["IDENT", "ŝfoo"],
  ["NUMBER", "0"],
  ["NUMBER", "1"],
  ["NUMBER", "123456789012345678890"],
  ["NUMBER", "01234567"],
  ["FLOAT", "0."],
  ["FLOAT", ".0"],
  ["FLOAT", "3.14159265"],
  ["FLOAT", "1e0"],
  ["FLOAT", "1e+100"],
  ["FLOAT", "1e-100"],
  ["FLOAT", "2.71828e-1000"],
  ["STRING", '"Hello, world!"'],
  ["STRING", "`Hello, world!\\\\`"],
  ["+", "+"],
  ["-", "-"],
  ["*", "*"],
  ["/", "/"],
  ["%", "%"],
  ["^", "^"],
  ["&&", "&&"],
  ["||", "||"],
  ["==", "=="],
  ["<", "<"],
  [">", ">"],
  ["=", "="],
  ["!", "!"],
  ["!=", "!="],
  ["<=", "<="],
  [">=", ">="],
  ["(", "("],
  ["[", "["],
  ["{", "{"],
  [",", ","],
  [".", "."],
  [")", ")"],
  ["]", "]"],
  ["}", "}"],
  ["NULL", "null"],
  ["BOOL", "true"],
  ["BOOL", "false"],
];

const WHITESPACE = "  \t  \n\n\n";

/** Go's scanner test's expectation for a comment literal: CRs stripped, no final newline. */
function expectedComment(lit: string): string {
  const block = lit[1] === "*";
  let out = "";
  for (let j = 0; j < lit.length; j++) {
    const ch = lit[j];
    if (ch !== "\r" || (block && out.length > 2 && out.endsWith("*") && lit[j + 1] === "/")) out += ch;
  }
  return out[1] === "/" ? out.slice(0, -1) : out;
}

describe("scanner: Alloy's token table", () => {
  it("classifies every token, with its literal and byte position", () => {
    const source = TOKENS.map(([, lit]) => lit + WHITESPACE).join("");
    const bytes = utf8Encode(source);
    const file = new SourceFile(bytes);
    const { toks, errors } = scanAll(source, { noTerms: true });
    assert.deepEqual(errors, []);
    let offset = 0;
    let line = 1;
    for (let i = 0; i <= TOKENS.length; i++) {
      const got = toks[i];
      assert.ok(got);
      const [tok, lit] = TOKENS[i] ?? ["EOF", ""];
      assert.equal(got.tok, tok, `token ${i} (${lit})`);
      assert.equal(got.offset, offset, `offset of ${lit}`);
      const pos = file.position(got.offset);
      assert.equal(pos.line, line, `line of ${lit}`);
      assert.equal(pos.column, 1, `column of ${lit}`);
      let expectLit = "";
      if (tok === "COMMENT") expectLit = expectedComment(lit);
      else if (["IDENT", "NUMBER", "FLOAT", "STRING", "NULL", "BOOL"].includes(tok)) expectLit = lit;
      assert.equal(got.lit, expectLit, `literal of ${lit}`);
      if (tok === "EOF") break;
      offset += utf8Encode(lit).length + WHITESPACE.length;
      line += (lit.match(/\n/g)?.length ?? 0) + 3;
    }
  });
});

// The error table of Alloy's scanner_test.go: [input, first token, error offset, literal, error].
const ERROR_CASES: readonly [string, TokenKind, number, string, string][] = [
  ["\x07", "ILLEGAL", 0, "", "illegal character U+0007"],
  ["…", "ILLEGAL", 0, "", "illegal character U+2026 '…'"],
  ["..", ".", 0, "", ""],
  ["'illegal string'", "ILLEGAL", 0, "", "illegal single-quoted string; use double quotes"],
  ['""', "STRING", 0, '""', ""],
  ['"abc', "STRING", 0, '"abc', "string literal not terminated"],
  ['"abc\n', "STRING", 0, '"abc', "string literal not terminated"],
  ['"abc\n   ', "STRING", 0, '"abc', "string literal not terminated"],
  ['"abc\x00def"', "STRING", 4, '"abc\x00def"', "illegal character NUL"],
  ["\ufeff\ufeff", "ILLEGAL", 3, "\ufeff", "illegal byte order mark"],
  ["//\ufeff", "COMMENT", 2, "//\ufeff", "illegal byte order mark"],
  ['"abc\ufeffdef"', "STRING", 4, '"abc\ufeffdef"', "illegal byte order mark"],
  ["abc\x00def", "IDENT", 3, "abc", "illegal character NUL"],
  ["abc\x00", "IDENT", 3, "abc", "illegal character NUL"],
  ["10E", "FLOAT", 0, "10E", "exponent has no digits"],
];

describe("scanner: errors", () => {
  for (const [input, tok, offset, lit, err] of ERROR_CASES) {
    it(`${JSON.stringify(input)} → ${err || "no error"}`, () => {
      const errors: { offset: number; msg: string }[] = [];
      const s = new Scanner(utf8Encode(input), (o, msg) => errors.push({ offset: o, msg }), {
        includeComments: true,
        dontInsertTerms: true,
      });
      const t = s.scan();
      assert.equal(t.tok, tok);
      if (t.tok !== "ILLEGAL") assert.equal(t.lit, lit);
      assert.deepEqual(
        errors.map((e) => e.msg),
        err === "" ? [] : [err],
      );
      if (err !== "") assert.equal(errors[0]?.offset, offset);
    });
  }

  it("reports invalid UTF-8 at the offending byte", () => {
    const bytes = new Uint8Array([0x22, 0x61, 0x62, 0x63, 0x80, 0x64, 0x22]);
    const { toks, errors } = scanAll(bytes);
    assert.equal(toks[0]?.tok, "STRING");
    assert.deepEqual(errors, [{ offset: 4, msg: "illegal UTF-8 encoding" }]);
  });

  const escapes: readonly [string, string, number][] = [
    ['"\\q"', "unknown escape sequence", 2],
    ['"\\\'"', "unknown escape sequence", 2],
    ['"\\x4"', "illegal character U+0022 '\"' in escape sequence", 2],
    ['"\\u12"', "illegal character U+0022 '\"' in escape sequence", 2],
    ['"\\U0000004"', "illegal character U+0022 '\"' in escape sequence", 2],
    ['"\\12"', "illegal character U+0022 '\"' in escape sequence", 2],
    ['"\\400"', "escape sequence is invalid Unicode code point", 2],
    ['"\\ud800"', "escape sequence is invalid Unicode code point", 2],
    ['"\\U00110000"', "escape sequence is invalid Unicode code point", 2],
    ['"\\', "escape sequence not terminated", 2],
    ['"\\x', "escape sequence not terminated", 2],
    ["x = 1 & 2", "missing second & in &&", 7],
    ["x = 1 | 2", "missing second | in ||", 7],
    ["/* open", "block comment not terminated", 0],
    ["`raw", "string literal not terminated", 0],
    ["#", "illegal character U+0023 '#'", 0],
    ["@", "illegal character U+0040 '@'", 0],
    [":", "illegal character U+003A ':'", 0],
  ];
  for (const [input, msg, offset] of escapes) {
    it(`${JSON.stringify(input)} → ${msg}`, () => {
      const { errors } = scanAll(input);
      assert.deepEqual(errors[0], { offset, msg });
    });
  }

  it("accepts every valid escape", () => {
    const { errors, toks } = scanAll('"\\a\\b\\f\\n\\r\\t\\v\\\\\\"\\101\\x41\\u0041\\U0001F600\\377"');
    assert.deepEqual(errors, []);
    assert.equal(toks[0]?.tok, "STRING");
  });

  it("skips a BOM only at the very start", () => {
    assert.deepEqual(scanAll("\ufeffa").errors, []);
    assert.equal(scanAll("\ufeffa").toks[0]?.offset, 3);
    assert.deepEqual(scanAll("a\ufeff").errors, [{ offset: 1, msg: "illegal byte order mark" }]);
  });
});

describe("scanner: literals", () => {
  it("scans numbers and floats", () => {
    assert.deepEqual(kinds("1 .5 5. 1.e5 1e3 2.5e-3 0755"), [
      "NUMBER",
      "FLOAT",
      "FLOAT",
      "FLOAT",
      "FLOAT",
      "FLOAT",
      "NUMBER",
      "TERMINATOR",
      "EOF",
    ]);
  });

  it("scans 0x10 as a number followed by an identifier", () => {
    assert.deepEqual(kinds("0x10"), ["NUMBER", "IDENT", "TERMINATOR", "EOF"]);
  });

  it("keeps raw strings across lines and allows anything but a backtick", () => {
    const { toks, errors } = scanAll('`a\n"b\\q`');
    assert.deepEqual(errors, []);
    assert.equal(toks[0]?.lit, '`a\n"b\\q`');
  });

  it("treats keywords as BOOL and NULL only when whole", () => {
    assert.deepEqual(kinds("true false null truex nul"), [
      "BOOL",
      "BOOL",
      "NULL",
      "IDENT",
      "IDENT",
      "TERMINATOR",
      "EOF",
    ]);
  });

  it("accepts Unicode letters and decimal digits in identifiers", () => {
    assert.deepEqual(kinds("métrica_café"), ["IDENT", "TERMINATOR", "EOF"]);
    assert.deepEqual(kinds("a-b"), ["IDENT", "-", "IDENT", "TERMINATOR", "EOF"]);
  });
});

describe("scanner: terminators", () => {
  const cases: readonly [string, string[]][] = [
    ["a\nb", ["IDENT", "TERMINATOR", "IDENT", "TERMINATOR", "EOF"]],
    ["1\n", ["NUMBER", "TERMINATOR", "EOF"]],
    ['"s"\n', ["STRING", "TERMINATOR", "EOF"]],
    ["true\n", ["BOOL", "TERMINATOR", "EOF"]],
    ["null\n", ["NULL", "TERMINATOR", "EOF"]],
    [")\n]\n}\n", [")", "TERMINATOR", "]", "TERMINATOR", "}", "TERMINATOR", "EOF"]],
    ["+\n-\n=\n,\n.\n(\n[\n{\n", ["+", "-", "=", ",", ".", "(", "[", "{", "EOF"]],
    ["a // c\nb", ["IDENT", "TERMINATOR", "COMMENT", "IDENT", "TERMINATOR", "EOF"]],
    ["a /* c */\nb", ["IDENT", "TERMINATOR", "COMMENT", "IDENT", "TERMINATOR", "EOF"]],
    ["a /* c\nd */ b", ["IDENT", "TERMINATOR", "COMMENT", "IDENT", "TERMINATOR", "EOF"]],
    ["a /* c */ b", ["IDENT", "COMMENT", "IDENT", "TERMINATOR", "EOF"]],
    ["a /* c */ /* d */\nb", ["IDENT", "TERMINATOR", "COMMENT", "COMMENT", "IDENT", "TERMINATOR", "EOF"]],
    ["a /* c */ /* d */ b", ["IDENT", "COMMENT", "COMMENT", "IDENT", "TERMINATOR", "EOF"]],
    ["a /* c */", ["IDENT", "TERMINATOR", "COMMENT", "EOF"]],
    ["a\r\nb\r\n", ["IDENT", "TERMINATOR", "IDENT", "TERMINATOR", "EOF"]],
    ["a #\nb", ["IDENT", "ILLEGAL", "TERMINATOR", "IDENT", "TERMINATOR", "EOF"]],
  ];
  for (const [input, expected] of cases) {
    it(JSON.stringify(input), () => {
      assert.deepEqual(
        scanAll(input).toks.map((t) => t.tok),
        expected,
      );
    });
  }

  it("puts a terminator before a line comment at the comment's position", () => {
    const { toks } = scanAll("a = 1 // c\n");
    assert.deepEqual(
      toks.map((t) => [t.tok, t.offset]),
      [
        ["IDENT", 0],
        ["=", 2],
        ["NUMBER", 4],
        ["TERMINATOR", 6],
        ["COMMENT", 6],
        ["EOF", 11],
      ],
    );
  });

  it("puts an inserted terminator at the newline", () => {
    const { toks } = scanAll("ab\n");
    assert.deepEqual(toks[1], { tok: "TERMINATOR", lit: "\n", offset: 2 });
  });

  it("strips CRs from comments", () => {
    assert.equal(scanAll("// c\r\n").toks[0]?.lit, "// c");
    assert.equal(scanAll("/* a\r\nb */").toks[0]?.lit, "/* a\nb */");
  });
});

describe("source positions", () => {
  it("counts columns in UTF-8 bytes", () => {
    const f = new SourceFile(utf8Encode("é = 1\nab"));
    assert.deepEqual(f.position(3), { offset: 3, line: 1, column: 4 });
    assert.deepEqual(f.position(7), { offset: 7, line: 2, column: 1 });
  });

  it("places the end of a file ending in a newline on the next line", () => {
    const f = new SourceFile(utf8Encode("a\n"));
    assert.deepEqual(f.position(2), { offset: 2, line: 2, column: 1 });
  });
});

describe("helpers", () => {
  it("validates identifiers like Alloy's labels", () => {
    assert.ok(isValidIdentifier("default"));
    assert.ok(isValidIdentifier("métrica"));
    assert.ok(isValidIdentifier("_x1"));
    for (const bad of ["my-writer", "1st", "a b", "true", "null", "", "a.b"]) {
      assert.equal(isValidIdentifier(bad), false, bad);
    }
  });

  it("decodes UTF-8 with Go's rules", () => {
    assert.deepEqual(decodeRune(new Uint8Array([0xe2, 0x80, 0xa6]), 0), [0x2026, 3]);
    assert.deepEqual(decodeRune(new Uint8Array([0xed, 0xa0, 0x80]), 0), [0xfffd, 1]); // surrogate
    assert.deepEqual(decodeRune(new Uint8Array([0xc0, 0x80]), 0), [0xfffd, 1]); // overlong
    assert.deepEqual(decodeRune(new Uint8Array([0xf4, 0x90, 0x80, 0x80]), 0), [0xfffd, 1]); // > U+10FFFF
    assert.ok(isValidUtf8(utf8Encode("héllo 😀")));
    assert.equal(isValidUtf8(new Uint8Array([0x61, 0xff])), false);
  });

  it("quotes like Go's %q and describes runes like %#U", () => {
    assert.equal(goQuote('a"b\\c\n\t\x01é😀\u00ad'), '"a\\"b\\\\c\\n\\t\\x01é😀\\u00ad"');
    assert.equal(goRuneDescription(0x23), "U+0023 '#'");
    assert.equal(goRuneDescription(0x07), "U+0007");
    assert.equal(goRuneDescription(0x1f600), "U+1F600 '😀'");
  });
});
