/**
 * Alloy's pretty printer for diagnostics (`syntax/diag/printer.go`): a header line, then the source lines
 * around the problem with a caret line under it, exactly as `alloy run` and `alloy validate` print them.
 */
import type { Diagnostic } from "./diagnostics.ts";
import type { Position } from "./position.ts";
import { maskLine, type SecretLiteral, type SecretLiterals } from "./secret-literals.ts";

const TAB_WIDTH = 4;
const CONTEXT_BEFORE = 1;
const CONTEXT_AFTER = 1;

const RED_BOLD = "\x1b[31;1m";
const YELLOW_BOLD = "\x1b[33;1m";
const BOLD = "\x1b[1m";
const RESET = "\x1b[0m";

/** Options for `printDiagnostics`. */
export interface PrintDiagnosticsOptions {
  /** Bold red `Error:`, bold yellow `Warning:` and a bold header, as Alloy does on a terminal. */
  readonly color?: boolean;
  /** String literals to mask in the source excerpts (secrets written into the config). */
  readonly secrets?: SecretLiterals;
}

/** Go's `token.Position.String()`: `file:line:col`, `line:col`, `file`, or `-`. */
export function positionString(file: string | undefined, pos: Position | undefined): string {
  let s = file ?? "";
  if (pos !== undefined && pos.line > 0) {
    if (s !== "") s += ":";
    s += `${pos.line}:${pos.column}`;
  }
  return s === "" ? "-" : s;
}

function header(d: Diagnostic, color: boolean): string {
  const label = d.severity === "error" ? "Error: " : "Warning: ";
  const text = `${positionString(d.file, d.start)}: ${d.message}\n`;
  if (!color) return label + text;
  const labelColor = d.severity === "error" ? RED_BOLD : YELLOW_BOLD;
  return `${labelColor}${label}${RESET}${BOLD}${text}${RESET}`;
}

/** Whether (line, col) is inside the inclusive range start..end. */
function inRange(line: number, col: number, start: Position, end: Position): boolean {
  if (line < start.line || line > end.line) return false;
  if (line === start.line) return col >= start.column;
  if (line === end.line) return col <= end.column;
  return true;
}

/** The code points of a line with the 1-based byte column each starts at. */
function* runesWithColumns(line: string): Generator<[string, number]> {
  let byte = 0;
  for (const ch of line) {
    yield [ch, byte + 1];
    const cp = ch.codePointAt(0) ?? 0;
    byte += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
}

function printFocus(line: string, lineNum: number, start: Position, end: Position): string {
  let out = "";
  const blank = end.line - start.line > 0 ? "_" : " ";
  for (const [ch, column] of runesWithColumns(line)) {
    if (lineNum === end.line && column > end.column) break;
    if (ch === "\t" || ch === "\v") out += blank.repeat(TAB_WIDTH);
    else if (inRange(lineNum, column, start, end)) out += "^";
    else out += blank;
  }
  return out;
}

function printRange(
  lines: readonly string[],
  start: Position,
  end: Position,
  secrets: readonly SecretLiteral[],
): string {
  let out = "\n";
  const startLine = Math.max(start.line - CONTEXT_BEFORE, 1);
  const endLine = Math.min(end.line + CONTEXT_AFTER, lines.length);
  const multiline = end.line - start.line > 0;
  const width = String(endLine).length;

  for (let lineNum = startLine; lineNum <= endLine; lineNum++) {
    const line = lines[lineNum - 1] ?? "";
    out += `${String(lineNum).padStart(width, " ")} | `;
    if (multiline) out += inRange(lineNum, 0, start, end) ? "| " : "  ";
    for (const ch of maskLine(line, lineNum, secrets)) {
      if (ch === "\r") continue;
      out += ch === "\t" || ch === "\v" ? " ".repeat(TAB_WIDTH) : ch;
    }
    out += "\n";

    if (lineNum === start.line || (multiline && lineNum === end.line)) {
      out += " ".repeat(width);
      if (multiline && lineNum === start.line) out += " |  _";
      else if (multiline && lineNum === end.line) out += " | |_";
      else out += " | ";
      out += printFocus(line, lineNum, start, end);
      out += "\n";
    }
  }
  return out;
}

/**
 * Pretty-prints diagnostics the way Alloy does: `Error: file:line:col: message`, a blank line, the source
 * lines around the range (one line of context each side) with a right-aligned line-number gutter and a
 * caret line, tabs shown as 4 spaces, multi-line ranges drawn with `|` and `_`, and a blank line between
 * diagnostics. `sources` maps a diagnostic's `file` to that file's text; without it only the header is
 * printed. Colour is only used when asked for; `secrets` are masked in the source lines (unlike Alloy).
 */
export function printDiagnostics(
  diags: readonly Diagnostic[],
  sources: ReadonlyMap<string, string>,
  opts: PrintDiagnosticsOptions = {},
): string {
  let out = "";
  // Each file is split into lines once, however many diagnostics it has (a file of random text can have
  // one per line).
  const linesByFile = new Map<string, readonly string[]>();
  diags.forEach((d, i) => {
    out += header(d, opts.color === true);
    const start = d.start;
    const file = d.file ?? "";
    const text = sources.get(file);
    if (start !== undefined && start.line > 0 && text !== undefined) {
      const end = d.end !== undefined && d.end.line > 0 ? d.end : start;
      let lines = linesByFile.get(file);
      if (lines === undefined) {
        lines = text.split("\n");
        linesByFile.set(file, lines);
      }
      out += printRange(lines, start, end, opts.secrets?.get(file) ?? []);
    }
    if (i + 1 < diags.length) out += "\n";
  });
  return out;
}
