/**
 * `profile-relay validate [flags] PATH...`: checks configs without running them, as `alloy validate` does:
 * syntax, unknown or unsupported blocks, duplicates, labels, arguments against each component's schema,
 * references, cycles and stability. Nothing is built and nothing listens. Each PATH (a file, or a directory
 * of `*.alloy` files) is one config. Exit 0 when every config is valid; otherwise the diagnostics (warnings
 * included), `Error: validation failed`, and exit 1.
 */
import { parseSources } from "../runtime/config-parse.ts";
import { configSecrets } from "../runtime/config-secrets.ts";
import { defaultDecoder, isStdlibName } from "../runtime/decoder.ts";
import { validateSources } from "../runtime/validate-config.ts";
import { printDiagnostics } from "../syntax/diagnostic-printer.ts";
import type { Diagnostic } from "../syntax/diagnostics.ts";
import { DEPRECATED_MESSAGE } from "../syntax/evaluator.ts";
import { maskSecretMessages } from "../syntax/secret-literals.ts";
import { ConfigReadError, readConfigSources } from "../syntax/source.ts";
import { deprecatedReplacements } from "../syntax/stdlib/deprecated.ts";
import { readConfigRegistry } from "./config-registry.ts";
import { type FlagSpec, flagsHelp, parseCommandLine } from "./flags.ts";
import type { Command } from "./io.ts";
import { readStabilityFlag, STABILITY_FLAG } from "./stability-flag.ts";

const FLAGS: readonly FlagSpec[] = [
  STABILITY_FLAG,
  { name: "config.format", kind: "string", default: "alloy", help: "", hidden: true },
  { name: "help", short: "h", kind: "bool", default: false, help: "help for validate" },
];

const HELP = `The validate subcommand checks configuration files without running them:
syntax, unknown components, duplicates, required and unknown arguments, types,
references, cycles and stability levels. Each path is a file or a directory of
*.alloy files, validated as one config.

Usage:
  profile-relay validate [flags] path...

Flags:
${flagsHelp(FLAGS)}
`;

export const validateCommand: Command = async (argv, io) => {
  const flags = parseCommandLine(
    argv,
    { command: "validate", flags: FLAGS, help: HELP, arity: { atLeast: 1 } },
    io,
  );
  if (typeof flags === "number") return flags;
  const minStability = readStabilityFlag(flags, io.stderr);
  if (minStability === undefined) return 1;
  const registry = readConfigRegistry(flags, io.stderr);
  if (registry === undefined) return 1;

  let failed = false;
  let printed = false;
  let onlyWarnings = true;
  const deprecated = new Set<string>();
  for (const path of flags.positional) {
    let sources: { filename: string; text: string }[];
    try {
      sources = await readConfigSources(path);
    } catch (err) {
      if (!(err instanceof ConfigReadError)) throw err;
      io.stderr(`${printed ? "\n" : ""}Error: ${err.message}\n`);
      printed = true;
      failed = true;
      onlyWarnings = false;
      continue;
    }
    const diagnostics = validateSources(sources, {
      registry,
      minStability,
      decode: defaultDecoder,
      isStdlibName,
    });
    if (diagnostics.length > 0) {
      const text = new Map(sources.map((s) => [s.filename, s.text]));
      // secrets written into the config are masked in what is printed
      const secrets = configSecrets(parseSources(sources).files, registry);
      const printedText = printDiagnostics(maskSecretMessages(diagnostics, secrets), text, {
        color: io.stderrIsTTY,
        secrets,
      });
      io.stderr(`${printed ? "\n" : ""}${printedText}`);
      printed = true;
      failed = true;
      if (diagnostics.some((d) => d.severity === "error")) onlyWarnings = false;
      for (const name of deprecatedNames(diagnostics, text)) deprecated.add(name);
    }
  }
  if (failed) {
    io.stderr(`${printed ? "\n" : ""}${warningNotes(onlyWarnings, deprecated)}Error: validation failed\n`);
    return 1;
  }
  return 0;
};

/** The deprecated stdlib aliases the warnings point at (`env`, `concat`, ...), read from the source. */
function deprecatedNames(diagnostics: readonly Diagnostic[], text: ReadonlyMap<string, string>): string[] {
  const names: string[] = [];
  for (const d of diagnostics) {
    if (d.message !== DEPRECATED_MESSAGE || d.file === undefined || d.start === undefined) continue;
    const source = text.get(d.file) ?? "";
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(d.start.offset))?.[0];
    if (name !== undefined && deprecatedReplacements.has(name)) names.push(name);
  }
  return names;
}

/**
 * Why a config with only warnings fails (as `alloy validate` fails it, while `run` only logs them), and the
 * replacement for each deprecated function used: Grafana's older docs still show `env(...)`.
 */
function warningNotes(onlyWarnings: boolean, deprecated: ReadonlySet<string>): string {
  let out = "";
  for (const name of deprecated) {
    out += `Note: ${name} is deprecated: write ${deprecatedReplacements.get(name)}(...) instead of ${name}(...).\n`;
  }
  if (onlyWarnings) {
    out +=
      "Note: warnings fail validation, as with `alloy validate` (`run` logs them and runs the config).\n";
  }
  return out === "" ? "" : `${out}\n`;
}
