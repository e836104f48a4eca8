/**
 * The agent's logs: pino loggers writing to one synchronous sink that renders each line as Alloy does,
 * `logfmt` (`ts=… level=info msg="…" component_path=/ component_id=…`) or JSON, at the level the `logging`
 * block asks for. As in `alloy run`, output is held back until the `logging` block is known, so the
 * first lines already have the configured format.
 */

import { type Logger, pino } from "pino";
import { createFdWriter } from "./log-writer.ts";

/** The levels of the `logging` block. */
export type LogLevel = "debug" | "info" | "warn" | "error";
/** The formats of the `logging` block. */
export type LogFormat = "logfmt" | "json";

/** What the `logging` block configures. */
export interface LoggingConfig {
  readonly level: LogLevel;
  readonly format: LogFormat;
}

/** Alloy's defaults for a config without a `logging` block. */
export const DEFAULT_LOGGING: LoggingConfig = Object.freeze({ level: "info", format: "logfmt" });

const LEVEL_VALUE: Readonly<Record<string, number>> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
};

/** At most this many lines are held back before the `logging` block is known; older ones are dropped. */
const MAX_BUFFERED = 10_000;

/**
 * The pino destination. pino calls `write` synchronously with one JSON line; the sink filters it by level,
 * renders it and writes it out at once (no worker thread, nothing lost on exit).
 */
export class LogSink {
  readonly #out: (text: string) => void;
  #config: LoggingConfig = DEFAULT_LOGGING;
  #buffer: string[] | undefined;

  /**
   * @param out where rendered lines go (standard error by default);
   * @param deferred hold lines back until `configure` is called.
   */
  constructor(options: { out?: (text: string) => void; deferred?: boolean } = {}) {
    this.#out = options.out ?? createFdWriter(2);
    this.#buffer = options.deferred === true ? [] : undefined;
  }

  get config(): LoggingConfig {
    return this.#config;
  }

  /** pino's destination interface. */
  write(line: string): void {
    if (this.#buffer !== undefined) {
      if (this.#buffer.length >= MAX_BUFFERED) this.#buffer.shift();
      this.#buffer.push(line);
      return;
    }
    this.#emit(line);
  }

  /** Applies a `logging` block and writes out whatever was held back. */
  configure(config: LoggingConfig): void {
    this.#config = config;
    this.flush();
  }

  /** Stops holding lines back (with the current configuration) and writes the held ones. */
  flush(): void {
    const held = this.#buffer;
    this.#buffer = undefined;
    for (const line of held ?? []) {
      this.#emit(line);
    }
  }

  #emit(line: string): void {
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch {
      this.#out(line.endsWith("\n") ? line : `${line}\n`);
      return;
    }
    const level = typeof record["level"] === "string" ? record["level"] : "info";
    if ((LEVEL_VALUE[level] ?? 30) < (LEVEL_VALUE[this.#config.level] ?? 30)) {
      return;
    }
    this.#out(this.#config.format === "json" ? renderJSON(record) : renderLogfmt(record));
  }
}

/** The ordered fields of a record: `ts`, `level`, `msg`, then the rest as logged. */
function orderedFields(record: Record<string, unknown>): [string, unknown][] {
  const first: [string, unknown][] = [];
  for (const key of ["ts", "level", "msg"]) {
    if (record[key] !== undefined) first.push([key, record[key]]);
  }
  const rest = Object.entries(record).filter(([k]) => k !== "ts" && k !== "level" && k !== "msg");
  return [...first, ...rest];
}

/** JSON escapes C0 controls itself; DEL, C1 controls and line separators are escaped here as well. */
function renderJSON(record: Record<string, unknown>): string {
  const json = JSON.stringify(Object.fromEntries(orderedFields(record)));
  return `${json.replace(JSON_UNSAFE, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`)}\n`;
}

const JSON_UNSAFE = /[\u007f-\u009f\u2028\u2029]/g;

/**
 * One logfmt line, as go-logfmt (which go-kit's logger, and so Alloy, uses) writes it: keys lose the
 * characters a key cannot hold; values with spaces, `=`, `"`, backslashes or control characters are quoted
 * and escaped. A value can never end the line or reach the terminal as an escape sequence.
 */
export function renderLogfmt(record: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [k, v] of orderedFields(record)) {
    const key = logfmtKey(k);
    if (key !== "") parts.push(`${key}=${logfmtValue(v)}`);
  }
  return `${parts.join(" ")}\n`;
}

/** go-logfmt's `keyRuneFilter`: a key drops spaces, controls, `=` and `"`. */
function logfmtKey(key: string): string {
  return key.replace(KEY_DROPPED, "");
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is dropped.
const KEY_DROPPED = /[\u0000-\u0020="\u007f-\u009f\ufffd]/g;

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters force quoting, as in go-logfmt.
const NEEDS_QUOTES = /[\s="\\\u0000-\u001f\u007f-\u009f\u2028\u2029\ufffd]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are escaped, as in go-logfmt.
const ESCAPED = /[\\"\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * go-logfmt's `writeQuotedString`: `\\`, `\"`, `\n`, `\r`, `\t`, and every other control character as
 * `\u00XX`. DEL, the C1 controls and the Unicode line separators are escaped too (go-logfmt writes them raw;
 * a terminal may act on them), in the same `\uXXXX` form its decoder reads.
 */
function logfmtValue(v: unknown): string {
  const text =
    typeof v === "string"
      ? v
      : v === null || v === undefined
        ? "null"
        : typeof v === "object"
          ? JSON.stringify(v)
          : String(v);
  if (text === "") return '""';
  if (!NEEDS_QUOTES.test(text)) return text;
  const escaped = text.replace(ESCAPED, (ch) => {
    switch (ch) {
      case "\\":
        return "\\\\";
      case '"':
        return '\\"';
      case "\n":
        return "\\n";
      case "\r":
        return "\\r";
      case "\t":
        return "\\t";
      default:
        return `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`;
    }
  });
  return `"${escaped}"`;
}

/** The agent's root logger and its sink. */
export interface Logging {
  readonly logger: Logger;
  readonly sink: LogSink;
  /** Applies a `logging` block: level and format, for every logger created from `logger`. */
  configure(config: LoggingConfig): void;
}

/**
 * Creates the root logger. Errors logged under `err` print as their message (as Alloy prints `err=…`), and
 * secrets print as `(secret)` because `Secret` serializes so.
 */
export function createLogging(options: { out?: (text: string) => void; deferred?: boolean } = {}): Logging {
  const sink = new LogSink(options);
  const logger = pino(
    {
      // While lines are held back the sink decides what to keep, once the configured level is known.
      level: options.deferred === true ? "debug" : DEFAULT_LOGGING.level,
      base: undefined,
      messageKey: "msg",
      timestamp: () => `,"ts":"${new Date().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: errorText },
    },
    sink,
  );
  return {
    logger,
    sink,
    configure(config) {
      logger.level = config.level;
      sink.configure(config);
    },
  };
}

/** An error as the one-line text logs show. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
