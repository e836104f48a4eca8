/**
 * The on-disk layout of a capture store, shared by the component (writing, retention) and the `ls` and
 * `replay` commands (reading):
 *
 * ```
 * <path>/<service_name>/<YYYY-MM-DDTHH>/<id>.json         the sidecar: what arrived, how, and its files
 * <path>/<service_name>/<YYYY-MM-DDTHH>/<id>.pb.gz        the profile (or .jfr, .folded.txt, ...)
 * ```
 *
 * `<id>` is `<YYYYMMDDTHHMMSS.mmmZ>-<profile type>-<8 hex>` (UTC receive time), so a directory listing sorts by
 * time and the store can be re-indexed from names alone. Under `run --workers=N`, worker `i >= 1` appends
 * `-w<i>` (worker 0, and a single process, write plain IDs): every worker writes into the one store, and the
 * tag says which worker owns a capture for retention and `max_size` (see `store.ts`). Folder names are sanitised service names and hours in
 * UTC. A capture is visible once its sidecar exists: data files are written first, the sidecar last, each via a
 * temporary file (a name starting with `.` and containing `.tmp-`) and a rename.
 */
import { randomBytes } from "node:crypto";

/** The sidecar format version; readers skip sidecars of other versions. */
export const SIDECAR_VERSION = 1;

/** One stored file of a capture. */
export interface CaptureFileRecord {
  /** The file name, in the sidecar's folder. */
  readonly name: string;
  /** Its size on disk. */
  readonly size: number;
  /** For a split multipart body: the form field the part came from. */
  readonly part?: string | undefined;
  /** True when the bytes arrived plain and were gzipped for storage (replay gunzips them again). */
  readonly gzipped_on_capture?: boolean | undefined;
}

/** The JSON sidecar of one capture. */
export interface CaptureRecord {
  readonly version: number;
  readonly id: string;
  /** Which receiver entry point got the profile: `push` (push API, scrapes) or `ingest` (legacy `/ingest`). */
  readonly route: "push" | "ingest";
  /** RFC 3339 UTC time with milliseconds. */
  readonly received_at: string;
  readonly service_name: string;
  /** What Pyroscope will call the profile (`process_cpu`, `wall`, `memory`, ...), as far as capture can tell. */
  readonly profile_type: string;
  /** `pprof` (push and ingest), `jfr`, `folded`, `lines`, `trie`, `tree`, `speedscope`, or `multipart`. */
  readonly format: string;
  /** The label set the receiver was given. */
  readonly labels: Readonly<Record<string, string>>;
  /** Push: the sample's client ID (may be empty). */
  readonly sample_id?: string | undefined;
  /** Ingest: the request path, e.g. `/ingest`. */
  readonly path?: string | undefined;
  /** Ingest: the query string as received, without `?`. */
  readonly query?: string | undefined;
  /** Ingest: every `Content-Type` value, in order. */
  readonly content_type?: readonly string[] | undefined;
  /** Ingest: pass-through request headers (lower-case names), e.g. `x-scope-orgid`. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** Size of the profile as it arrived (the raw sample, or the ingest body). */
  readonly original_size: number;
  /** The data files, in order (for a split multipart body: part order). */
  readonly files: readonly CaptureFileRecord[];
  /** Split multipart: base64 of the bytes around the parts (`files.length + 1` pieces). */
  readonly multipart_glue?: readonly string[] | undefined;
}

/** `YYYY-MM-DDTHH`: an hour folder name. */
export const HOUR_DIR_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}$/;

/** A sidecar file name; groups `time` and `type`. */
export const SIDECAR_PATTERN =
  /^(?<time>\d{8}T\d{6}\.\d{3}Z)-(?<type>[A-Za-z0-9_.]+)-[0-9a-f]{8}(?:-w[1-9]\d{0,5})?\.json$/;

/** A capture ID (a sidecar name without `.json`) at the start of a capture's file name. */
const ID_PREFIX_PATTERN = /^(\d{8}T\d{6}\.\d{3}Z-[A-Za-z0-9_.]+?-[0-9a-f]{8}(?:-w[1-9]\d{0,5})?)\./;

/** The worker tag at the end of a capture ID. */
const WORKER_TAG_PATTERN = /-w([1-9]\d{0,5})$/;

/** Whether a file name is a temporary file of the store (left behind by a crash when found at start-up). */
export function isTempName(name: string): boolean {
  return name.startsWith(".") && name.includes(".tmp-");
}

/** The capture ID a file name (sidecar or data file) belongs to, or undefined for other files. */
export function captureIdOf(name: string): string | undefined {
  return ID_PREFIX_PATTERN.exec(name)?.[1];
}

/** The final name a temporary file is written for (so its capture, and its writer, can be told). */
export function tempTarget(name: string): string {
  return name.slice(1, name.lastIndexOf(".tmp-"));
}

/** A temporary name for writing `finalName` in the same folder. */
export function tempName(finalName: string): string {
  return `.${finalName}.tmp-${randomBytes(4).toString("hex")}`;
}

/** A name safe as one path segment on every common file system: `[A-Za-z0-9._-]`, at most 100 characters. */
export function sanitizeSegment(name: string, fallback: string): string {
  let out = name.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 100);
  if (out === "" || /^\.+$/.test(out)) out = fallback;
  if (out.startsWith(".")) out = `_${out.slice(1)}`;
  return out;
}

/** The hour folder of a time (UTC). */
export function hourDirName(date: Date): string {
  return date.toISOString().slice(0, 13);
}

/** A new capture ID for a profile received at `date` by worker `worker` (0: no tag). */
export function newCaptureId(date: Date, profileType: string, worker = 0): string {
  const iso = date.toISOString(); // 2025-01-02T03:04:05.678Z
  const compact = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 23)}Z`;
  const type = profileType.replace(/[^A-Za-z0-9_.]/g, "_").slice(0, 40) || "unknown";
  const tag = worker > 0 ? `-w${worker}` : "";
  return `${compact}-${type}-${randomBytes(4).toString("hex")}${tag}`;
}

/** The worker that wrote a capture, from its ID: the `-w<i>` tag, 0 without one. */
export function workerOfId(id: string): number {
  const m = WORKER_TAG_PATTERN.exec(id);
  return m === null ? 0 : Number(m[1]);
}

/** The receive time encoded in a capture ID or sidecar name (ms since the epoch), or undefined. */
export function timeOfId(id: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})\.(\d{3})Z/.exec(id);
  if (m === null) return undefined;
  const ms = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Parses and checks a sidecar; throws with the reason when it is not one this version can use. */
export function parseSidecar(text: string): CaptureRecord {
  const value: unknown = JSON.parse(text);
  if (typeof value !== "object" || value === null) throw new Error("sidecar is not a JSON object");
  const r = value as Partial<CaptureRecord>;
  if (r.version !== SIDECAR_VERSION) throw new Error(`unsupported sidecar version ${String(r.version)}`);
  if (r.route !== "push" && r.route !== "ingest") throw new Error(`unknown route ${String(r.route)}`);
  if (typeof r.id !== "string" || typeof r.received_at !== "string" || !Array.isArray(r.files)) {
    throw new Error("sidecar lacks id, received_at or files");
  }
  for (const f of r.files) {
    if (
      typeof f?.name !== "string" ||
      f.name.includes("/") ||
      f.name.includes("\\") ||
      f.name.startsWith(".")
    ) {
      throw new Error("sidecar names an invalid file");
    }
  }
  return r as CaptureRecord;
}
