/**
 * Text from outside (label values, file names, a backend's error message) printed to a terminal. A label value
 * may hold ESC or BEL sequences that would move the cursor, retitle the window or hide lines when printed
 * raw, so every control character is shown as an escape instead: C0 controls (except tab and newline, which
 * the caller decides about), DEL, C1 controls (U+0080–U+009F, which some terminals take as CSI/OSC) and the
 * Unicode bidirectional overrides and line separators that reorder or break what a reader sees ("Trojan
 * Source"). The escapes follow Go's `%q` (`\x1b`, `\u202e`), so they read the same as in Alloy's output.
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const UNSAFE_OR_NEWLINE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Readonly<Record<string, string>> = {
  "\u0007": "\\a",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\v": "\\v",
};

function escapeOne(ch: string): string {
  const named = NAMED[ch];
  if (named !== undefined) return named;
  const cp = ch.codePointAt(0)!;
  return cp < 0x100 ? `\\x${cp.toString(16).padStart(2, "0")}` : `\\u${cp.toString(16).padStart(4, "0")}`;
}

/** `text` with every control character escaped; tabs and newlines are kept (for multi-line messages). */
export function terminalText(text: string): string {
  return text.replace(UNSAFE, escapeOne);
}

/** `text` on one line: like `terminalText`, but tabs and newlines are escaped too (table cells, names). */
export function terminalCell(text: string): string {
  return text.replace(UNSAFE_OR_NEWLINE, escapeOne);
}
