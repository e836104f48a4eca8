/**
 * What `profile-relay replay` sends for one capture: exactly what `pyroscope.write` would have sent had it been
 * in the capture component's place (without `external_labels`), optionally moved to the present.
 *
 * - push: one `PushRequest` with the series labels write would send (reserved `__` labels dropped except
 *   `__name__` and `__delta__`) and the raw sample as it arrived;
 * - ingest: the body as it arrived, its content types, path and pass-through headers, and the query with `name`
 *   rebuilt from the labels (write's `AppendIngest`), in Go's canonical encoding.
 *
 * `rewriteTime` exists because Pyroscope rejects profiles older than an hour: it sets pprof `time_nanos` (push
 * samples, pprof and multipart pprof ingest bodies) to now, and moves `from`/`until` so that `until` is now and
 * the duration is kept.
 */
import { IngestQuery } from "../../../pyroscope/ingest-query.ts";
import {
  INVALID_LABELS_PREFIX,
  nameFollowsServiceName,
  pushSeriesLabels,
  validateLabels,
} from "../../../pyroscope/label-rules.ts";
import { Labels } from "../../../pyroscope/labels.ts";
import { formatName } from "../../../pyroscope/name-grammar.ts";
import { encodePushBody } from "../../../pyroscope/push-body.ts";
import type { IngestCall, PushCall } from "../write/endpoint.ts";
import type { CatalogEntry, LoadedCapture } from "./catalog.ts";
import { assemble } from "./catalog.ts";
import { joinMultipart } from "./multipart.ts";
import { withTimeNanos } from "./pprof-wire.ts";

/** One request to send for a capture: what `pyroscope.write`'s endpoint sends, and the profile bytes. */
export type ReplayCall =
  | { readonly kind: "push"; readonly call: PushCall; readonly bytes: number }
  | { readonly kind: "ingest"; readonly call: IngestCall; readonly bytes: number };

/** Options of `replayCall`. */
export interface ReplayCallOptions {
  readonly rewriteTime: boolean;
  /** The present, ms since the epoch. */
  readonly now: number;
}

/** Builds the request for a capture. Throws with a message when the capture cannot be sent (bad labels). */
export function replayCall(
  entry: CatalogEntry,
  loaded: LoadedCapture,
  options: ReplayCallOptions,
): ReplayCall {
  const record = entry.record;
  const labels = Labels.from(record.labels);
  const nowNanos = BigInt(Math.floor(options.now)) * 1_000_000n;
  if (record.route === "push") {
    const reason = validateLabels(labels);
    if (reason !== undefined) throw new Error(`${INVALID_LABELS_PREFIX}${reason}`);
    let raw = assemble(loaded);
    if (options.rewriteTime) raw = safeRewrite(raw, nowNanos);
    const body = encodePushBody(pushSeriesLabels(labels, {}).toArray(), [
      { rawProfile: raw, id: record.sample_id ?? "" },
    ]);
    return { kind: "push", call: { body, headers: {} }, bytes: raw.byteLength };
  }

  const named = nameFollowsServiceName(labels);
  const reason = validateLabels(named);
  if (reason !== undefined) throw new Error(`${INVALID_LABELS_PREFIX}${reason}`);
  let rawQuery = record.query ?? "";
  let body: Uint8Array;
  if (options.rewriteTime) {
    rawQuery = rewriteQueryTimes(rawQuery, options.now, entry.time);
    body = rewriteBodyTime(record.format, record.files, loaded, nowNanos);
  } else {
    body = assemble(loaded);
  }
  const query = IngestQuery.parse(rawQuery).canonicalWithName(formatName(named));
  return {
    kind: "ingest",
    call: {
      body,
      contentType: record.content_type ?? [],
      path: record.path ?? "/ingest",
      query,
      headers: record.headers ?? {},
    },
    bytes: body.byteLength,
  };
}

/** pprof bodies carry their own time, which Pyroscope prefers to `from`; other formats are sent unchanged. */
function rewriteBodyTime(
  format: string,
  files: CatalogEntry["record"]["files"],
  loaded: LoadedCapture,
  nowNanos: bigint,
): Uint8Array {
  if (format === "pprof") return safeRewrite(loaded.pieces[0]!, nowNanos);
  if (format === "multipart" && loaded.glue !== undefined) {
    const pieces = loaded.pieces.map((p, i) => (files[i]?.part === "profile" ? safeRewrite(p, nowNanos) : p));
    return joinMultipart(pieces, loaded.glue);
  }
  return assemble(loaded);
}

/** `withTimeNanos`, or the bytes unchanged when they are not a readable pprof (the server will say so). */
function safeRewrite(bytes: Uint8Array, nowNanos: bigint): Uint8Array {
  try {
    return withTimeNanos(bytes, nowNanos);
  } catch {
    return bytes;
  }
}

/**
 * Moves `from` and `until` of a raw query so `until` is `now` and `until - from` is kept (when only `from` is
 * given, its distance to the receive time is kept). Values are rewritten in the unit they were sent in
 * (Pyroscope's `attime`: seconds, or ms/µs/ns by digit count); relative values (`now-1h`) are left alone.
 * Every other pair is kept byte for byte.
 */
export function rewriteQueryTimes(rawQuery: string, now: number, receivedAt: number): string {
  const query = IngestQuery.parse(rawQuery);
  const from = parseAttime(query.get("from"));
  const until = parseAttime(query.get("until"));
  const replacements = new Map<string, string>();
  if (until !== undefined) {
    replacements.set("until", formatAttime(now, until.unit));
    if (from !== undefined)
      replacements.set("from", formatAttime(now - Math.max(0, until.ms - from.ms), from.unit));
  } else if (from !== undefined) {
    replacements.set("from", formatAttime(now - Math.max(0, receivedAt - from.ms), from.unit));
  }
  if (replacements.size === 0) return rawQuery;
  return rawQuery
    .split("&")
    .map((segment) => {
      const eq = segment.indexOf("=");
      const key = eq < 0 ? segment : segment.slice(0, eq);
      const value = replacements.get(key);
      return value === undefined ? segment : `${key}=${value}`;
    })
    .join("&");
}

type TimeUnit = "s" | "ms" | "us" | "ns";

/** Pyroscope's `attime` for absolute values: digits only, unit by length; undefined for relative or bad ones. */
function parseAttime(value: string | undefined): { ms: number; unit: TimeUnit } | undefined {
  if (value === undefined) return undefined;
  const digits = value.replace(/[_, ]/g, "");
  if (!/^\d+$/.test(digits)) return undefined;
  switch (digits.length) {
    case 13:
      return { ms: Number(digits), unit: "ms" };
    case 16:
      return { ms: Number(BigInt(digits) / 1_000n), unit: "us" };
    case 19:
      return { ms: Number(BigInt(digits) / 1_000_000n), unit: "ns" };
    case 8: {
      const ms = Date.parse(`${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6, 8)}T00:00:00Z`);
      if (!Number.isNaN(ms)) return { ms, unit: "s" };
      return { ms: Number(digits) * 1000, unit: "s" };
    }
    default:
      return { ms: Number(digits) * 1000, unit: "s" };
  }
}

function formatAttime(ms: number, unit: TimeUnit): string {
  const whole = BigInt(Math.floor(ms));
  switch (unit) {
    case "s":
      return String(whole / 1000n);
    case "ms":
      return String(whole);
    case "us":
      return String(whole * 1_000n);
    case "ns":
      return String(whole * 1_000_000n);
  }
}
