/**
 * What a command needs from the outside world, so commands can be tested without a child process.
 */
export interface CliIO {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Reads all of standard input (for `fmt -`). */
  readonly readStdin: () => Promise<string>;
  /** Whether stderr is a terminal (diagnostics are coloured only then). */
  readonly stderrIsTTY: boolean;
}

/** A command: takes its own arguments (after the command name) and resolves to an exit code. */
export type Command = (argv: readonly string[], io: CliIO) => Promise<number>;

export function processIO(): CliIO {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) {
        chunks.push(chunk as Buffer);
      }
      return Buffer.concat(chunks).toString("utf8");
    },
    stderrIsTTY: process.stderr.isTTY === true,
  };
}
