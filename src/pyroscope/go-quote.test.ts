import assert from "node:assert/strict";
import { test } from "node:test";
import { goQuote, goQuoteRune, goTrimSpace } from "./go-quote.ts";

test("goQuoteRune matches Go's %q of a rune", () => {
  const cases: [string, string][] = [
    ["-", "'-'"],
    [" ", "' '"],
    ["'", "'\\''"],
    ['"', "'\"'"],
    ["\\", "'\\\\'"],
    ["\n", "'\\n'"],
    ["\x07", "'\\a'"],
    ["\x00", "'\\x00'"],
    ["\x7f", "'\\x7f'"],
    ["é", "'é'"],
    ["\u00a0", "'\\u00a0'"],
    ["\u200b", "'\\u200b'"],
    ["😀", "'😀'"],
    ["\u{e0001}", "'\\U000e0001'"],
    ["\ud800", "'\ufffd'"], // not a valid rune: Go quotes U+FFFD, which is printable
  ];
  for (const [ch, want] of cases) {
    assert.equal(goQuoteRune(ch.codePointAt(0)!), want, JSON.stringify(ch));
  }
});

test("goQuote matches Go's strconv.Quote", () => {
  assert.equal(goQuote('a"b'), '"a\\"b"');
  assert.equal(goQuote("it's"), `"it's"`);
  assert.equal(goQuote("tab\there"), '"tab\\there"');
  assert.equal(goQuote(""), '""');
});

test("goTrimSpace trims Go's white space only", () => {
  assert.equal(goTrimSpace(" \t\n\v\f\r\u0085\u00a0x y\u3000"), "x y");
  assert.equal(goTrimSpace("\ufeffx"), "\ufeffx");
});
