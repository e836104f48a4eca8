/**
 * A place in a source file. `line` and `column` are 1-based; `column` counts UTF-8 bytes within the line,
 * as Alloy does, and `offset` is the 0-based byte offset from the start of the file.
 */
export interface Position {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

/** The range a node covers. `end` is inclusive: it points at the node's last byte. */
export interface Range {
  readonly start: Position;
  readonly end: Position;
}

/** A position with no location, used for diagnostics that have none (printed as `-`). */
export const NO_POSITION: Position = Object.freeze({ offset: -1, line: 0, column: 0 });

export function isValidPosition(p: Position | undefined): p is Position {
  return p !== undefined && p.line > 0;
}
