import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { positionString, printDiagnostics } from "./diagnostic-printer.ts";
import type { Diagnostic } from "./diagnostics.ts";
import { parseFile } from "./parser.ts";
import type { Position } from "./position.ts";

function pos(line: number, column: number): Position {
  return { offset: 0, line, column };
}

function synthetic(input: string, start: Position, end?: Position): string {
  const d: Diagnostic = { severity: "error", file: "testfile", start, end, message: "synthetic error" };
  return printDiagnostics([d], new Map([["testfile", input]]));
}

describe("printDiagnostics: Alloy's printer_test.go cases", () => {
  it("highlights on the same line, with tabs as 4 spaces", () => {
    const input = 'test.block "label" {\n\tattr       = 1\n\tother_attr = 2\n}';
    assert.equal(
      synthetic(input, pos(2, 2), pos(2, 5)),
      [
        "Error: testfile:2:2: synthetic error",
        "",
        '1 | test.block "label" {',
        "2 |     attr       = 1",
        "  |     ^^^^",
        "3 |     other_attr = 2",
        "",
      ].join("\n"),
    );
  });

  it("treats a missing end as a single character", () => {
    assert.equal(
      synthetic("foo,bar", pos(1, 4)),
      ["Error: testfile:1:4: synthetic error", "", "1 | foo,bar", "  |    ^", ""].join("\n"),
    );
  });

  it("pads line numbers of different lengths", () => {
    const input = Array.from({ length: 11 }, (_, i) => `LINE_${i + 1}`).join("\n");
    assert.equal(
      synthetic(input, pos(9, 1), pos(9, 6)),
      [
        "Error: testfile:9:1: synthetic error",
        "",
        " 8 | LINE_8",
        " 9 | LINE_9",
        "   | ^^^^^^",
        "10 | LINE_10",
        "",
      ].join("\n"),
    );
  });

  it("draws ranges over several lines from the start of a line", () => {
    const input = "FILE_BEGIN\nSTART\nTEXT\n\tTEXT\n\t\tTEXT\n\t\t\tDONE after\nFILE_END";
    assert.equal(
      synthetic(input, pos(2, 1), pos(6, 7)),
      [
        "Error: testfile:2:1: synthetic error",
        "",
        "1 |   FILE_BEGIN",
        "2 |   START",
        "  |  _^^^^^",
        "3 | | TEXT",
        "4 | |     TEXT",
        "5 | |         TEXT",
        "6 | |             DONE after",
        "  | |_____________^^^^",
        "7 |   FILE_END",
        "",
      ].join("\n"),
    );
  });

  it("draws ranges over several lines from the middle of a line", () => {
    const input = "FILE_BEGIN\nbefore START\nTEXT\n\tTEXT\n\t\tTEXT\n\t\t\tDONE after\nFILE_END";
    assert.equal(
      synthetic(input, pos(2, 8), pos(6, 7)),
      [
        "Error: testfile:2:8: synthetic error",
        "",
        "1 |   FILE_BEGIN",
        "2 |   before START",
        "  |  ________^^^^^",
        "3 | | TEXT",
        "4 | |     TEXT",
        "5 | |         TEXT",
        "6 | |             DONE after",
        "  | |_____________^^^^",
        "7 |   FILE_END",
        "",
      ].join("\n"),
    );
  });

  it("prints several diagnostics in several files, warnings too", () => {
    const files = new Map([
      ["file_a", "old_field = 15\n3 & 4"],
      ["file_b", "old_field = 22"],
    ]);
    const diags: Diagnostic[] = [
      {
        severity: "warning",
        file: "file_a",
        start: pos(1, 1),
        end: pos(1, 9),
        message: "old_field is deprecated",
      },
      { severity: "error", file: "file_a", start: pos(2, 3), message: "unrecognized operator &" },
      {
        severity: "warning",
        file: "file_b",
        start: pos(1, 1),
        end: pos(1, 9),
        message: "old_field is deprecated",
      },
    ];
    assert.equal(
      printDiagnostics(diags, files),
      [
        "Warning: file_a:1:1: old_field is deprecated",
        "",
        "1 | old_field = 15",
        "  | ^^^^^^^^^",
        "2 | 3 & 4",
        "",
        "Error: file_a:2:3: unrecognized operator &",
        "",
        "1 | old_field = 15",
        "2 | 3 & 4",
        "  |   ^",
        "",
        "Warning: file_b:1:1: old_field is deprecated",
        "",
        "1 | old_field = 22",
        "  | ^^^^^^^^^",
        "",
      ].join("\n"),
    );
  });
});

describe("printDiagnostics: parser output", () => {
  it("shows an unterminated string like Alloy's docs", () => {
    const src =
      '// Missing string termination.\nlocal.file_match "applogs {\n    path_targets = [{"__path__" = "/tmp/app-logs/app.log"}]\n}\n';
    const { diagnostics } = parseFile(src, "main.alloy");
    const out = printDiagnostics(diagnostics.slice(0, 1), new Map([["main.alloy", src]]));
    assert.equal(
      out,
      [
        "Error: main.alloy:2:18: string literal not terminated",
        "",
        "1 | // Missing string termination.",
        '2 | local.file_match "applogs {',
        "  |                  ^",
        '3 |     path_targets = [{"__path__" = "/tmp/app-logs/app.log"}]',
        "",
      ].join("\n"),
    );
  });

  it("gives an end-of-line diagnostic an empty caret line", () => {
    const src = "a = [\n  1,\n  2\n]\n";
    const { diagnostics } = parseFile(src, "f.alloy");
    assert.equal(
      printDiagnostics(diagnostics, new Map([["f.alloy", src]])),
      [
        "Error: f.alloy:3:4: missing ',' in expression list",
        "",
        "2 |   1,",
        "3 |   2",
        // Blanks up to the end of the line, but no caret: the position is the newline itself.
        "  |    ",
        "4 | ]",
        "",
      ].join("\n"),
    );
  });

  it("counts byte columns but draws one caret per character", () => {
    const src = 'é = "x" 1\n';
    const { diagnostics } = parseFile(src, "u.alloy");
    assert.equal(
      printDiagnostics(diagnostics, new Map([["u.alloy", src]])),
      [
        "Error: u.alloy:1:10: expected TERMINATOR, got NUMBER",
        "",
        '1 | é = "x" 1',
        "  |         ^",
        "2 | ",
        "",
      ].join("\n"),
    );
  });

  it("drops CRs and clips context at the end of the file", () => {
    const src = "a = 1\r\nb = 2 3\r\n";
    const { diagnostics } = parseFile(src, "crlf.alloy");
    assert.equal(
      printDiagnostics(diagnostics, new Map([["crlf.alloy", src]])),
      [
        "Error: crlf.alloy:2:7: expected TERMINATOR, got NUMBER",
        "",
        "1 | a = 1",
        "2 | b = 2 3",
        "  |       ^",
        "3 | ",
        "",
      ].join("\n"),
    );
  });

  it("prints only the header without the source, or without a position", () => {
    const d: Diagnostic = { severity: "error", file: "missing", start: pos(1, 1), message: "m" };
    assert.equal(printDiagnostics([d], new Map()), "Error: missing:1:1: m\n");
    assert.equal(
      printDiagnostics([{ severity: "error", message: "no place" }], new Map()),
      "Error: -: no place\n",
    );
    assert.equal(printDiagnostics([], new Map()), "");
  });

  it("colours only when asked", () => {
    const d: Diagnostic = { severity: "error", file: "f", start: pos(1, 1), message: "m" };
    const w: Diagnostic = { severity: "warning", file: "f", start: pos(1, 1), message: "w" };
    assert.equal(
      printDiagnostics([d, w], new Map(), { color: true }),
      "\x1b[31;1mError: \x1b[0m\x1b[1mf:1:1: m\n\x1b[0m\n\x1b[33;1mWarning: \x1b[0m\x1b[1mf:1:1: w\n\x1b[0m",
    );
    assert.ok(!printDiagnostics([d], new Map()).includes("\x1b"));
  });
});

describe("positionString", () => {
  it("follows Go's token.Position.String", () => {
    assert.equal(positionString("f", pos(1, 2)), "f:1:2");
    assert.equal(positionString(undefined, pos(1, 2)), "1:2");
    assert.equal(positionString("f", undefined), "f");
    assert.equal(positionString(undefined, undefined), "-");
  });
});
