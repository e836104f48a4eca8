/**
 * Decides what a received profile becomes on disk, before anything is written: the data files (in their
 * original format, so people can open them), the facts for the sidecar, and the profile type.
 *
 * - push: each raw sample is one capture, stored as `.pb.gz` (gzipped here when it arrived plain);
 * - ingest: the body is stored by its format, picked the way Pyroscope picks its parser (protocol notes §2.4):
 *   pprof `.pb.gz`, JFR `.jfr`, text formats as text; a multipart body is split into one file per part plus
 *   the bytes around them, so replay can rebuild it byte for byte (it is kept whole as `.multipart` when it
 *   does not split cleanly).
 */

import type { Labels } from "../../../pyroscope/labels.ts";
import { NAME_LABEL } from "../../../pyroscope/name-grammar.ts";
import type { IngestRequest, RawSample } from "../../../pyroscope/receiver.ts";
import { multipartBoundary, splitMultipart } from "./multipart.ts";
import { gzip, isGzip } from "./pprof-wire.ts";
import { appNameProfileType, displayNamesOf, pprofBodyProfileType } from "./profile-type.ts";

/** One data file to write: `<id><suffix>`. */
export interface DraftFile {
  readonly suffix: string;
  readonly bytes: Uint8Array;
  readonly part?: string | undefined;
  readonly gzippedOnCapture?: boolean | undefined;
}

/** Everything capture needs to write one profile. */
export interface CaptureDraft {
  readonly route: "push" | "ingest";
  readonly labels: Labels;
  readonly serviceName: string;
  readonly profileType: string;
  readonly format: string;
  readonly originalSize: number;
  readonly files: readonly DraftFile[];
  readonly glue?: readonly Uint8Array[] | undefined;
  readonly sampleId?: string | undefined;
  readonly path?: string | undefined;
  readonly query?: string | undefined;
  readonly contentType?: readonly string[] | undefined;
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

/** Headers never written to disk, even when a receiver passes them on. */
const NEVER_STORED = new Set(["authorization", "cookie", "proxy-authorization"]);

/** The service a profile belongs to: `service_name`, else the application name, else `unknown_service`. */
export function serviceNameOf(labels: Labels): string {
  return labels.get("service_name") || labels.get(NAME_LABEL) || "unknown_service";
}

/** The capture of one pushed sample. */
export function pushDraft(labels: Labels, sample: RawSample): CaptureDraft {
  const raw = sample.rawProfile;
  const plain = !isGzip(raw);
  return {
    route: "push",
    labels,
    serviceName: serviceNameOf(labels),
    profileType: labels.get(NAME_LABEL) || pprofBodyProfileType(raw),
    format: "pprof",
    originalSize: raw.byteLength,
    files: [{ suffix: ".pb.gz", bytes: plain ? gzip(raw) : raw, gzippedOnCapture: plain || undefined }],
    sampleId: sample.id,
  };
}

/** The capture of one `/ingest` upload. */
export function ingestDraft(request: IngestRequest): CaptureDraft {
  const query = request.query;
  const format = ingestFormat(query.get("format") ?? "", request.contentType[0] ?? "");
  const appName = request.labels.get(NAME_LABEL) ?? request.labels.get("service_name") ?? "";
  const base = {
    route: "ingest" as const,
    labels: request.labels,
    serviceName: serviceNameOf(request.labels),
    originalSize: request.body.byteLength,
    path: request.path,
    query: request.query.toString(),
    contentType: request.contentType,
    headers: storableHeaders(request.headers),
  };
  const body = request.body;
  switch (format) {
    case "pprof": {
      const plain = !isGzip(body);
      return {
        ...base,
        format,
        profileType: pprofBodyProfileType(body),
        files: [{ suffix: ".pb.gz", bytes: plain ? gzip(body) : body, gzippedOnCapture: plain || undefined }],
      };
    }
    case "jfr":
      return { ...base, format, profileType: "jfr", files: [{ suffix: jfrSuffix(body), bytes: body }] };
    case "multipart-pprof":
    case "multipart-jfr":
      return multipartDraft(base, body, request.contentType[0] ?? "", format === "multipart-jfr");
    default:
      return {
        ...base,
        format,
        profileType: appNameProfileType(appName),
        files: [{ suffix: TEXT_SUFFIXES[format] ?? ".bin", bytes: body }],
      };
  }
}

const TEXT_SUFFIXES: Readonly<Record<string, string>> = {
  trie: ".trie",
  tree: ".tree",
  lines: ".lines.txt",
  speedscope: ".speedscope.json",
  folded: ".folded.txt",
};

/** Pyroscope's parser choice for `/ingest`, first match wins (protocol notes §2.4). */
export function ingestFormat(format: string, contentType: string): string {
  const ct = contentType.toLowerCase();
  const multipart = ct.includes("multipart/form-data");
  if (format === "trie" || ct.startsWith("binary/octet-stream+trie")) return "trie";
  if (format === "tree" || ct.startsWith("binary/octet-stream+tree")) return "tree";
  if (format === "lines") return "lines";
  if (format === "jfr") return multipart ? "multipart-jfr" : "jfr";
  if (format === "pprof") return "pprof";
  if (format === "speedscope") return "speedscope";
  if (multipart) return "multipart-pprof";
  return "folded";
}

function jfrSuffix(bytes: Uint8Array): string {
  return isGzip(bytes) ? ".jfr.gz" : ".jfr";
}

function multipartDraft(
  base: Omit<CaptureDraft, "format" | "profileType" | "files">,
  body: Uint8Array,
  contentType: string,
  jfr: boolean,
): CaptureDraft {
  const boundary = multipartBoundary(contentType);
  const split = boundary === undefined ? undefined : splitMultipart(body, boundary);
  if (split === undefined) {
    return {
      ...base,
      format: "multipart",
      profileType: jfr ? "jfr" : "unknown",
      files: [{ suffix: ".multipart", bytes: body }],
    };
  }
  const used = new Set<string>();
  const files: DraftFile[] = split.parts.map((part, i) => {
    const field = part.name ?? "";
    let bytes = part.body;
    let gzippedOnCapture: boolean | undefined;
    let suffix: string;
    if ((field === "profile" || field === "prev_profile") && part.filename !== undefined) {
      if (!isGzip(bytes) && bytes.byteLength > 0) {
        bytes = gzip(bytes);
        gzippedOnCapture = true;
      }
      suffix = field === "profile" ? ".pb.gz" : ".prev_profile.pb.gz";
    } else if (field === "jfr") {
      suffix = jfrSuffix(bytes);
    } else if (field === "labels") {
      suffix = isGzip(bytes) ? ".labels.pb.gz" : ".labels.pb";
    } else if (field === "sample_type_config") {
      suffix = ".sample_type_config.json";
    } else {
      suffix = `.${field.replace(/[^A-Za-z0-9_]/g, "_").slice(0, 40) || "part"}.bin`;
    }
    if (used.has(suffix)) suffix = `.part${i}${suffix}`;
    used.add(suffix);
    return { suffix, bytes, part: field, gzippedOnCapture };
  });
  let profileType = "jfr";
  if (!jfr) {
    const profile = split.parts.find((p) => p.name === "profile" && p.filename !== undefined);
    const config = split.parts.find((p) => p.name === "sample_type_config");
    profileType =
      profile === undefined
        ? "unknown"
        : pprofBodyProfileType(profile.body, config === undefined ? {} : displayNamesOf(config.body));
  }
  return { ...base, format: "multipart", profileType, files, glue: split.glue };
}

function storableHeaders(
  headers: Readonly<Record<string, string>> | undefined,
): Readonly<Record<string, string>> | undefined {
  if (headers === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!NEVER_STORED.has(name.toLowerCase())) out[name.toLowerCase()] = value;
  }
  return Object.keys(out).length === 0 ? undefined : out;
}
