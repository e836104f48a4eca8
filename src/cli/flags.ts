/**
 * Command-line flags the way Go's pflag (behind Alloy's cobra commands) reads them: `--name=value`,
 * `--name value`, bare `--name` for booleans (`--name=false` to turn one off), `--` to end the flags, and
 * pflag's error texts (`unknown flag: --x`, `flag needs an argument: --x`).
 */

/** One flag a command accepts. */
export interface FlagSpec {
  readonly name: string;
  readonly kind: "string" | "bool";
  readonly default: string | boolean;
  readonly help: string;
  /** A one-letter alias (`-h`). */
  readonly short?: string;
  /** Accepted but left out of `--help` (Alloy flags profile-relay ignores). */
  readonly hidden?: boolean;
}

/** A command line that pflag would refuse; the message is pflag's. */
export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FlagError";
  }
}

/** Parsed flags (every flag has a value: its default when not given) and positional arguments. */
export interface ParsedFlags {
  readonly values: ReadonlyMap<string, string | boolean>;
  /** Flags given on the command line. */
  readonly given: ReadonlySet<string>;
  readonly positional: readonly string[];
}

/** Parses `argv` against `specs`; throws `FlagError`. */
export function parseFlags(argv: readonly string[], specs: readonly FlagSpec[]): ParsedFlags {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short !== undefined).map((s) => [s.short!, s]));
  const values = new Map<string, string | boolean>(specs.map((s) => [s.name, s.default]));
  const given = new Set<string>();
  const positional: string[] = [];

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positional.push(arg);
      continue;
    }
    const long = arg.startsWith("--");
    const body = arg.slice(long ? 2 : 1);
    const eq = body.indexOf("=");
    const name = eq < 0 ? body : body.slice(0, eq);
    const spec = long ? byName.get(name) : byShort.get(name);
    const shown = long ? `--${name}` : `-${name}`;
    if (spec === undefined) {
      throw new FlagError(long ? `unknown flag: ${shown}` : `unknown shorthand flag: '${name}' in ${arg}`);
    }
    let value: string | undefined = eq < 0 ? undefined : body.slice(eq + 1);
    if (spec.kind === "bool") {
      if (value === undefined) {
        values.set(spec.name, true);
      } else if (["true", "1", "t", "T", "TRUE", "True"].includes(value)) {
        values.set(spec.name, true);
      } else if (["false", "0", "f", "F", "FALSE", "False"].includes(value)) {
        values.set(spec.name, false);
      } else {
        throw new FlagError(
          `invalid argument "${value}" for "${shortPart(spec)}--${spec.name}" flag: strconv.ParseBool: parsing "${value}": invalid syntax`,
        );
      }
    } else {
      if (value === undefined) {
        if (i + 1 >= argv.length) throw new FlagError(`flag needs an argument: ${shown}`);
        value = argv[++i]!;
      }
      values.set(spec.name, value);
    }
    given.add(spec.name);
  }
  return { values, given, positional };
}

function shortPart(spec: FlagSpec): string {
  return spec.short === undefined ? "" : `-${spec.short}, `;
}

/** The `Flags:` section of a command's help, as cobra lays it out. */
export function flagsHelp(specs: readonly FlagSpec[]): string {
  const rows = specs
    .filter((s) => s.hidden !== true)
    .map((s) => {
      const names = `${s.short === undefined ? "    " : `-${s.short}, `}--${s.name}${s.kind === "string" ? " string" : ""}`;
      const def = s.kind === "string" && s.default !== "" ? ` (default "${String(s.default)}")` : "";
      return [names, `${s.help}${def}`] as const;
    });
  const width = Math.max(...rows.map(([n]) => n.length));
  return rows.map(([n, h]) => `  ${n.padEnd(width)}   ${h}`).join("\n");
}

/** A string flag's value. */
export function stringFlag(flags: ParsedFlags, name: string): string {
  const v = flags.values.get(name);
  return typeof v === "string" ? v : "";
}

/** A boolean flag's value. */
export function boolFlag(flags: ParsedFlags, name: string): boolean {
  return flags.values.get(name) === true;
}

/** How many positional arguments a command takes. */
export type Arity = { readonly exactly: number } | { readonly atLeast: number };

/** Checks the positional arguments; the message is cobra's, or `undefined` when they fit. */
export function arityError(positional: readonly string[], arity: Arity): string | undefined {
  const got = positional.length;
  if ("exactly" in arity) {
    return got === arity.exactly ? undefined : `accepts ${arity.exactly} arg(s), received ${got}`;
  }
  return got >= arity.atLeast ? undefined : `requires at least ${arity.atLeast} arg(s), only received ${got}`;
}

/** What `parseCommandLine` needs to know about the command. */
export interface CommandLine {
  readonly command: string;
  readonly flags: readonly FlagSpec[];
  readonly help: string;
  readonly arity: Arity;
}

/**
 * Parses a command's flags the way cobra does for Alloy's commands: `--help` prints the help and stops with
 * exit 0; a bad flag or a wrong number of arguments prints the error and a usage hint and stops with exit 1.
 * Returns the parsed flags, or the exit code when the command should stop here.
 */
export function parseCommandLine(
  argv: readonly string[],
  spec: CommandLine,
  io: { readonly stdout: (text: string) => void; readonly stderr: (text: string) => void },
): ParsedFlags | number {
  let flags: ParsedFlags;
  try {
    flags = parseFlags(argv, spec.flags);
  } catch (err) {
    if (!(err instanceof FlagError)) throw err;
    io.stderr(`Error: ${err.message}\nRun 'profile-relay ${spec.command} --help' for usage.\n`);
    return 1;
  }
  if (boolFlag(flags, "help")) {
    io.stdout(spec.help);
    return 0;
  }
  const bad = arityError(flags.positional, spec.arity);
  if (bad !== undefined) {
    io.stderr(`Error: ${bad}\n`);
    return 1;
  }
  return flags;
}
