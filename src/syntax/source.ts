/**
 * Reading configuration files the way `alloy run` and `alloy validate` do: a single file, or every `*.alloy`
 * file directly inside a directory, checked to be UTF-8 before parsing. Failures are one clear line
 * (`reading config path "x": stat x: no such file or directory`), never a stack trace.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { isValidUtf8 } from "./lexer.ts";
import { goQuote } from "./token.ts";

/** One configuration file: the name diagnostics use for it, and its text. */
export interface ConfigSource {
  readonly filename: string;
  readonly text: string;
}

/** A configuration path that cannot be read or is not UTF-8. Its message is the whole, user-facing line. */
export class ConfigReadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigReadError";
  }
}

/** Go's `syscall.Errno` texts for the errors a config read can meet. */
const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ENOENT: "no such file or directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOTDIR: "not a directory",
  EISDIR: "is a directory",
  ELOOP: "too many levels of symbolic links",
  ENAMETOOLONG: "file name too long",
  EMFILE: "too many open files",
  EIO: "input/output error",
};

/** Renders a Node file-system error as Go's `*PathError` does: `<op> <path>: <errno text>`. */
export function goPathError(op: string, path: string, err: unknown): string {
  const code = (err as { code?: unknown }).code;
  let text = typeof code === "string" ? ERRNO_TEXT[code] : undefined;
  if (text === undefined) {
    const message = err instanceof Error ? err.message : String(err);
    // Node: "ECODE: description, op 'path'" → "description".
    text = message.replace(/^[A-Z0-9_]+: /, "").replace(/, \w+ '.*'$/, "");
  }
  return `${op} ${path}: ${text}`;
}

/** The encoding a byte-order mark announces, named as Alloy's BOM detector names it. */
function bomEncoding(b: Uint8Array): string | undefined {
  const at = (i: number): number => b[i] ?? -1;
  if (at(0) === 0x00 && at(1) === 0x00 && at(2) === 0xfe && at(3) === 0xff) return "UTF32BigEndian";
  if (at(0) === 0xff && at(1) === 0xfe && at(2) === 0x00 && at(3) === 0x00) return "UTF32LittleEndian";
  if (at(0) === 0xef && at(1) === 0xbb && at(2) === 0xbf) return "UTF8";
  if (at(0) === 0xfe && at(1) === 0xff) return "UTF16BigEndian";
  if (at(0) === 0xff && at(1) === 0xfe) return "UTF16LittleEndian";
  return undefined;
}

/**
 * Alloy's encoding check: UTF-8 (with or without a BOM) passes; a UTF-16/32 BOM gives
 * `configuration is encoded with <enc> but must be utf8`; other invalid bytes `unknown encoding for config`.
 * The text keeps a UTF-8 BOM so positions count its bytes as Alloy's do (the parser skips it).
 */
export function decodeConfig(bytes: Uint8Array): string {
  const enc = bomEncoding(bytes);
  if (enc !== undefined && enc !== "UTF8") {
    throw new Error(`configuration is encoded with ${enc} but must be utf8`);
  }
  if (enc === undefined && !isValidUtf8(bytes)) throw new Error("unknown encoding for config");
  return new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);
}

async function readOne(path: string): Promise<ConfigSource> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new Error(goPathError(code === "EISDIR" ? "read" : "open", path, err));
  }
  return { filename: path, text: decodeConfig(bytes) };
}

async function readSources(path: string): Promise<ConfigSource[]> {
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch (err) {
    throw new Error(goPathError("stat", path, err));
  }
  if (!isDir) return [await readOne(path)];

  let entries: { name: string; isDirectory(): boolean }[];
  try {
    entries = await readdir(path, { withFileTypes: true });
  } catch (err) {
    throw new Error(goPathError("open", path, err));
  }
  const names = entries
    .filter((e) => !e.isDirectory() && e.name.endsWith(".alloy"))
    .map((e) => e.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const sources: ConfigSource[] = [];
  for (const name of names) sources.push(await readOne(join(path, name)));
  return sources;
}

/**
 * Reads a configuration path: the file itself, or every `*.alloy` file directly in a directory (not
 * recursive), sorted by name. Every failure, including encoding problems, is a `ConfigReadError` whose
 * message is `reading config path "<path>": <reason>`.
 */
export async function readConfigSources(path: string): Promise<ConfigSource[]> {
  try {
    return await readSources(path);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ConfigReadError(`reading config path ${goQuote(path)}: ${reason}`);
  }
}
