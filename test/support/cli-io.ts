/** A `CliIO` that records what a command writes, for tests that run a command in-process. */
import type { CliIO, Command } from "../../src/cli/io.ts";

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

/** What a command run in process returned and wrote. */
export interface CommandRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `command` (`main`, or one subcommand) in process with `argv`, empty standard input and no terminal. */
export async function runCommand(command: Command, argv: readonly string[]): Promise<CommandRun> {
  const captured = captureIO();
  const code = await command(argv, captured.io);
  return { code, stdout: captured.out(), stderr: captured.err() };
}

/** As `runCommand`, with what the command wrote to both outputs as one text, in the order it was written. */
export async function runCommandMerged(
  command: Command,
  argv: readonly string[],
): Promise<{ readonly code: number; readonly output: string }> {
  const captured = captureIO();
  const code = await command(argv, captured.io);
  return { code, output: captured.all() };
}
