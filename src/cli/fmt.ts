/**
 * `profile-relay fmt [-w|--write] [-t|--test|--check] [FILE|-]...`: `alloy fmt`, for one or more files.
 * It only parses, so it formats any syntactically valid file whatever components it names.
 */
import { readFile, stat, writeFile } from "node:fs/promises";
import { positionString } from "../syntax/diagnostic-printer.ts";
import { DiagnosticsError } from "../syntax/diagnostics.ts";
import { parseFile } from "../syntax/parser.ts";
import { printFile } from "../syntax/printer.ts";
import { goPathError } from "../syntax/source.ts";
import type { CliIO, Command } from "./io.ts";

const USAGE = `The fmt subcommand applies standard formatting rules to the specified configuration files.

If no file argument is supplied or if a file argument is "-", fmt reads from stdin.

The -w flag writes the formatted files back to disk; it cannot be used when reading from stdin. Without -w,
fmt writes the result to stdout. -t (or --check) only checks: it exits non-zero when a file is not formatted.

Usage:
  profile-relay fmt [flags] [FILE|-]...

Flags:
  -h, --help    help for fmt
  -t, --test    exit with non-zero when changes would be made. Cannot be used with -w/--write
      --check   alias of --test
  -w, --write   write result to (source) file instead of stdout
`;

interface FmtFlags {
  write: boolean;
  test: boolean;
  help: boolean;
  files: string[];
}

/** A failure that Alloy reports as `Error: <message>`. */
class FmtError extends Error {}

function parseBool(flag: string, value: string | undefined): boolean {
  if (value === undefined) return true;
  if (["1", "t", "T", "true", "TRUE", "True"].includes(value)) return true;
  if (["0", "f", "F", "false", "FALSE", "False"].includes(value)) return false;
  throw new FmtError(
    `invalid argument "${value}" for "${flag}" flag: strconv.ParseBool: parsing "${value}": invalid syntax`,
  );
}

/** Parses flags the way cobra/pflag does for boolean flags (`-wt`, `--write=false`, `--`). */
function parseArgs(argv: readonly string[]): FmtFlags {
  const flags: FmtFlags = { write: false, test: false, help: false, files: [] };
  let onlyFiles = false;
  for (const arg of argv) {
    if (onlyFiles || arg === "-" || !arg.startsWith("-")) {
      flags.files.push(arg);
      continue;
    }
    if (arg === "--") {
      onlyFiles = true;
      continue;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const value = eq < 0 ? undefined : arg.slice(eq + 1);
      switch (name) {
        case "write":
          flags.write = parseBool("--write", value);
          break;
        case "test":
          flags.test = parseBool("--test", value);
          break;
        case "check":
          flags.test = parseBool("--check", value);
          break;
        case "help":
          flags.help = parseBool("--help", value);
          break;
        default:
          throw new FmtError(`unknown flag: --${name}`);
      }
      continue;
    }
    const shorts = arg.slice(1);
    for (let i = 0; i < shorts.length; i++) {
      const c = shorts[i] ?? "";
      let value: string | undefined;
      if (shorts[i + 1] === "=") {
        value = shorts.slice(i + 2);
      }
      switch (c) {
        case "w":
          flags.write = parseBool("w", value);
          break;
        case "t":
          flags.test = parseBool("t", value);
          break;
        case "h":
          flags.help = parseBool("h", value);
          break;
        default:
          throw new FmtError(`unknown shorthand flag: '${c}' in -${shorts}`);
      }
      if (value !== undefined) break;
    }
  }
  return flags;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Formats one input; throws a DiagnosticsError on parse errors and a FmtError for other failures. */
async function formatOne(
  name: string,
  input: Uint8Array,
  flags: FmtFlags,
  io: CliIO,
  mode: number | undefined,
): Promise<void> {
  const { file, diagnostics } = parseFile(input, name);
  if (diagnostics.length > 0) throw new DiagnosticsError(diagnostics);
  const output = new TextEncoder().encode(printFile(file));

  if (flags.test) {
    if (!sameBytes(input, output)) throw new FmtError(`file ${name} is not formatted correctly`);
    return;
  }
  if (!flags.write) {
    io.stdout(new TextDecoder().decode(output));
    return;
  }
  if (sameBytes(input, output)) return; // Only write when the content changes.
  try {
    await writeFile(name, output, mode === undefined ? undefined : { mode });
  } catch (err) {
    throw new FmtError(goPathError("open", name, err));
  }
}

async function runOne(path: string, flags: FmtFlags, io: CliIO): Promise<void> {
  if (path === "-") {
    if (flags.write) throw new FmtError("cannot use -w with standard input");
    const text = await io.readStdin();
    await formatOne("<stdin>", new TextEncoder().encode(text), flags, io, undefined);
    return;
  }
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (err) {
    throw new FmtError(goPathError("stat", path, err));
  }
  if (info.isDirectory()) throw new FmtError("cannot format a directory");
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new FmtError(goPathError("open", path, err));
  }
  await formatOne(path, bytes, flags, io, Number(info.mode) & 0o777);
}

/**
 * `profile-relay fmt`: writes the canonical formatting of each file (or stdin) to stdout, back to the file
 * with `-w`, or with `-t`/`--check` only reports files that are not formatted. On a parse error it prints
 * each diagnostic as `file:line:col: message` and then `Error: encountered errors during formatting`.
 * Every file is processed; the exit code is 1 when any of them failed.
 */
export const fmtCommand: Command = async (argv, io) => {
  let flags: FmtFlags;
  try {
    flags = parseArgs(argv);
  } catch (err) {
    io.stderr(`Error: ${(err as Error).message}\n`);
    return 1;
  }
  if (flags.help) {
    io.stdout(USAGE);
    return 0;
  }
  if (flags.write && flags.test) {
    io.stderr("Error: cannot use -w/--write and -t/--test at the same time\n");
    return 1;
  }
  const files = flags.files.length === 0 ? ["-"] : flags.files;
  let failed = false;
  for (const path of files) {
    try {
      await runOne(path, flags, io);
    } catch (err) {
      failed = true;
      if (err instanceof DiagnosticsError) {
        for (const d of err.diagnostics) io.stderr(`${positionString(d.file, d.start)}: ${d.message}\n`);
        io.stderr("Error: encountered errors during formatting\n");
      } else {
        io.stderr(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
      }
    }
  }
  return failed ? 1 : 0;
};
