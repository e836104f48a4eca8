/**
 * What both delivery modes do to a profile before it goes anywhere (Alloy's `Append` / `AppendIngest`
 * preamble): validate the labels, then apply `external_labels` (push: the series labels; ingest: `name`
 * rebuilt in the query). Invalid labels are a `rejected` 400, never sent and never queued.
 */
import type { IngestQuery } from "../../../pyroscope/ingest-query.ts";
import {
  INVALID_LABELS_PREFIX,
  mergeExternalLabels,
  nameFollowsServiceName,
  pushSeriesLabels,
  validateLabels,
} from "../../../pyroscope/label-rules.ts";
import type { Labels } from "../../../pyroscope/labels.ts";
import { formatName } from "../../../pyroscope/name-grammar.ts";
import { type Failure, failure } from "../../../pyroscope/receiver.ts";

/** A prepared value, or the outcome that refuses the profile. */
export type Prepared<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly outcome: Failure };

/** The labels a push series is sent with. */
export function preparePushLabels(
  labels: Labels,
  external: Readonly<Record<string, string>>,
): Prepared<Labels> {
  const reason = validateLabels(labels);
  if (reason !== undefined) return { ok: false, outcome: invalidLabels(reason) };
  return { ok: true, value: pushSeriesLabels(labels, external) };
}

/** The query an ingest is sent with: the original one with `name` rebuilt from the labels. */
export function prepareIngestQuery(
  labels: Labels,
  query: IngestQuery,
  external: Readonly<Record<string, string>>,
): Prepared<string> {
  const named = nameFollowsServiceName(labels);
  const reason = validateLabels(named);
  if (reason !== undefined) return { ok: false, outcome: invalidLabels(reason) };
  const name = formatName(mergeExternalLabels(named, external));
  return { ok: true, value: query.withName(name).toCanonicalString() };
}

function invalidLabels(reason: string): Failure {
  return failure(400, `${INVALID_LABELS_PREFIX}${reason}`);
}
