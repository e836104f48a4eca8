/**
 * The arguments of `pyroscope.capture`, declared once. `path` defaults to the component's own data folder
 * (`<--storage.path>/<component id>`), so two capture components never share a store by accident.
 */
import { attr, body, type InferFields, t, type ValidationIssue } from "../../../syntax/schema.ts";

/** 1 GiB: the default `max_size`. */
export const DEFAULT_MAX_SIZE = 1024 ** 3;

/** 24 hours in milliseconds: the default `retention`. */
export const DEFAULT_RETENTION_MS = 24 * 3_600_000;

const captureFields = {
  path: attr(t.string(), {
    doc: "Folder to store captured profiles in. Defaults to the component's folder under `--storage.path`.",
  }),
  max_size: attr(t.size(), {
    default: DEFAULT_MAX_SIZE,
    doc: "Largest total size of the captured files, for the whole relay (with `run --workers`, each worker keeps its share); the oldest profiles are removed to stay under it.",
  }),
  retention: attr(t.duration(), {
    default: DEFAULT_RETENTION_MS,
    doc: "How long captured profiles are kept before they are removed.",
  }),
} as const;

/** The decoded arguments of `pyroscope.capture`. */
export type CaptureArguments = InferFields<typeof captureFields>;

function validate(v: CaptureArguments): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (v.path !== undefined && v.path.trim() === "") {
    issues.push({ message: "path must not be empty", field: "path" });
  }
  if (!(v.max_size > 0)) {
    issues.push({ message: "max_size must be greater than 0", field: "max_size" });
  }
  if (!(v.retention > 0)) {
    issues.push({ message: "retention must be greater than 0", field: "retention" });
  }
  return issues;
}

/** The argument schema of `pyroscope.capture`. */
export const captureArguments = body(captureFields, { validate });
