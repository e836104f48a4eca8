/**
 * The `logging` config block: `level` (debug, info, warn, error) and `format` (logfmt, json), with Alloy's
 * defaults and error messages (`internal/runtime/logging/options.go`).
 */
import { attr, body, t } from "../syntax/schema.ts";
import type { LogFormat, LoggingConfig, LogLevel } from "./logging.ts";

const LEVELS: readonly string[] = ["debug", "info", "warn", "error"];
const FORMATS: readonly string[] = ["logfmt", "json"];

/** The schema of the `logging` block. An empty string means the default, as in Alloy. */
export const loggingSchema = body(
  {
    level: attr(t.string(), {
      default: "info",
      doc: "Level of the log lines to write: debug, info, warn or error.",
    }),
    format: attr(t.string(), { default: "logfmt", doc: "Format of the log lines: logfmt or json." }),
  },
  {
    validate: (v) => [
      ...(v.level === "" || LEVELS.includes(v.level)
        ? []
        : [{ message: `unrecognized log level "${v.level}"`, field: "level" }]),
      ...(v.format === "" || FORMATS.includes(v.format)
        ? []
        : [{ message: `unrecognized log format "${v.format}"`, field: "format" }]),
    ],
  },
);

/** The logging configuration a decoded `logging` block asks for. */
export function toLoggingConfig(v: { level: string; format: string }): LoggingConfig {
  return {
    level: (v.level === "" ? "info" : v.level) as LogLevel,
    format: (v.format === "" ? "logfmt" : v.format) as LogFormat,
  };
}
