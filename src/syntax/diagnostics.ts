/**
 * Diagnostics: positioned errors and warnings about a configuration, collected rather than thrown one by one,
 * so a single run reports every problem in a file.
 */
import type { Position } from "./position.ts";

export type Severity = "error" | "warning";

export interface Diagnostic {
  readonly severity: Severity;
  /** The file the diagnostic is in; `undefined` for expressions with no file. */
  readonly file?: string | undefined;
  /** `undefined` when the diagnostic has no position (printed as `-`). */
  readonly start?: Position | undefined;
  /** Inclusive end; `undefined` for a single-point diagnostic. */
  readonly end?: Position | undefined;
  readonly message: string;
}

/** An error carrying one or more diagnostics. Its message is Alloy's `<first> (and N more diagnostics)`. */
export class DiagnosticsError extends Error {
  readonly diagnostics: readonly Diagnostic[];

  constructor(diagnostics: readonly Diagnostic[]) {
    super(summarizeDiagnostics(diagnostics));
    this.name = "DiagnosticsError";
    this.diagnostics = diagnostics;
  }
}

/**
 * `FILE:LINE:COL: MESSAGE`, `LINE:COL: MESSAGE` without a file; without a position `FILE: MESSAGE`, or
 * `-: MESSAGE` when there is no file either (Go's `token.Position.String()`).
 */
export function diagnosticOneLine(d: Diagnostic): string {
  if (d.start === undefined || d.start.line <= 0) {
    return d.file ? `${d.file}: ${d.message}` : `-: ${d.message}`;
  }
  const where = `${d.start.line}:${d.start.column}`;
  return d.file ? `${d.file}:${where}: ${d.message}` : `${where}: ${d.message}`;
}

export function summarizeDiagnostics(diagnostics: readonly Diagnostic[]): string {
  const first = diagnostics[0];
  if (first === undefined) {
    return "no diagnostics";
  }
  const rest = diagnostics.length - 1;
  return rest > 0 ? `${diagnosticOneLine(first)} (and ${rest} more diagnostics)` : diagnosticOneLine(first);
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}
