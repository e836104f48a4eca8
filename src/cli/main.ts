#!/usr/bin/env node
/**
 * `profile-relay <command> [flags] [args]`: the command-line entry point. Each command lives in its own file
 * and parses its own flags; this file only dispatches.
 */
import { readFileSync, realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { applyHeapSettings } from "./heap-settings.ts";
import { type CliIO, type Command, processIO } from "./io.ts";

const COMMANDS: Readonly<
  Record<string, { readonly summary: string; readonly load: () => Promise<Command> }>
> = {
  run: {
    summary: "Run profile-relay with a config file or directory",
    load: async () => (await import("./run.ts")).runCommand,
  },
  validate: {
    summary: "Check config files without running them",
    load: async () => (await import("./validate.ts")).validateCommand,
  },
  fmt: {
    summary: "Format config files the way `alloy fmt` does",
    load: async () => (await import("./fmt.ts")).fmtCommand,
  },
  ls: {
    summary: "List the profiles a pyroscope.capture component stored",
    load: async () => (await import("./ls.ts")).lsCommand,
  },
  replay: {
    summary: "Send captured profiles to a Pyroscope server",
    load: async () => (await import("./replay.ts")).replayCommand,
  },
};

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return [
    "Usage: profile-relay <command> [flags] [args]",
    "",
    "Commands:",
    ...lines,
    "",
    "Flags:",
    "  -h, --help      help for profile-relay",
    "  -v, --version   print the version",
    "",
    "Run `profile-relay <command> --help` for a command's flags.",
    "",
  ].join("\n");
}

export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    io.stdout(usage());
    return name === undefined ? 1 : 0;
  }
  if (name === "--version" || name === "-v" || name === "version") {
    io.stdout(`profile-relay v${version()}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    io.stderr(`Error: unknown command "${name}"\n\n${usage()}`);
    return 1;
  }
  return (await command.load())(rest, io);
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

/**
 * Runs the command line of this process and sets its exit code: for `node src/cli/main.ts` and for the
 * `profile-relay` bin (`bin/profile-relay.js`), which imports this module.
 */
export function runMain(): void {
  if (process.argv[2] === "run") applyHeapSettings();
  main(process.argv.slice(2), processIO()).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}

if (isEntryPoint()) runMain();
