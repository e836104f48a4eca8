/** A `CliIO` that records what a command writes, for tests that run a command in-process. */
import type { CliIO } from "../../src/cli/io.ts";

export interface CapturedIO {
  readonly io: CliIO;
  /** Everything written to standard output so far. */
  out(): string;
  /** Everything written to standard error so far. */
  err(): string;
  /** Everything written to either so far, in the order it was written. */
  all(): string;
}

/** Empty standard input; `tty` says whether standard error is a terminal (colours). */
export function captureIO(tty = false): CapturedIO {
  const out: string[] = [];
  const err: string[] = [];
  const all: string[] = [];
  return {
    io: {
      stdout: (t) => {
        out.push(t);
        all.push(t);
      },
      stderr: (t) => {
        err.push(t);
        all.push(t);
      },
      readStdin: async () => "",
      stderrIsTTY: tty,
    },
    out: () => out.join(""),
    err: () => err.join(""),
    all: () => all.join(""),
  };
}
