/**
 * The first step of every config load, for the single-process agent and the primary of `run --workers`
 * alike: the files as read, parsed, with what a load reports besides the result (the texts for the pretty
 * printer, Alloy's hash for `alloy_config_hash`, and the secrets written into the files, to mask). The
 * parsing alone (`parseSources`) is also `validate`'s first step.
 */
import type { File } from "../syntax/ast.ts";
import type { Diagnostic } from "../syntax/diagnostics.ts";
import { parseFile } from "../syntax/parser.ts";
import type { SecretLiterals } from "../syntax/secret-literals.ts";
import type { ConfigSource } from "../syntax/source.ts";
import { configSecrets } from "./config-secrets.ts";
import { sourcesHash } from "./metrics.ts";
import type { ComponentRegistry } from "./registry.ts";

/** A config as read, parsed. */
export interface ParsedConfig {
  /** The text of each file, by name. */
  readonly sources: ReadonlyMap<string, string>;
  /** SHA-256 of the sources, as Alloy records it. */
  readonly hash: string;
  readonly files: readonly File[];
  /** The syntax errors and warnings of every file. */
  readonly parseDiagnostics: readonly Diagnostic[];
  /** The secret literals of the files, whatever their syntax errors. */
  readonly secrets: SecretLiterals;
}

/** Parses the sources of one config; `registry` names the secret attributes. */
export function parseConfig(read: readonly ConfigSource[], registry: ComponentRegistry): ParsedConfig {
  const { files, diagnostics: parseDiagnostics } = parseSources(read);
  return {
    sources: new Map(read.map((s) => [s.filename, s.text])),
    hash: sourcesHash(read),
    files,
    parseDiagnostics,
    secrets: configSecrets(files, registry),
  };
}

/** The files of a config, each parsed (also `validate`'s first step), and the syntax diagnostics of them all. */
export function parseSources(read: readonly ConfigSource[]): {
  readonly files: File[];
  readonly diagnostics: Diagnostic[];
} {
  const files: File[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const s of read) {
    const parsed = parseFile(s.text, s.filename);
    diagnostics.push(...parsed.diagnostics);
    files.push(parsed.file);
  }
  return { files, diagnostics };
}
