/**
 * What both delivery modes do to a profile before it goes anywhere (Alloy's `Append` / `AppendIngest`
 * preamble): validate the labels, then apply `external_labels` (push: the series labels; ingest: `name`
 * rebuilt in the query). Invalid labels are a 400, never sent and never queued.
 *
 * A `__tenant_id__` label (set by a relabel rule) is taken off first: its value is the tenant the profile is
 * sent to (`X-Scope-OrgID`), and it is never sent as a label.
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
import { tenantFromLabels } from "../../../pyroscope/tenant.ts";

/** A prepared value, or the outcome that refuses the profile. */
export type Prepared<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly outcome: Failure };

/** What a profile is sent with, and to which tenant (`__tenant_id__`), when it has one. */
export interface Addressed<T> {
  readonly value: T;
  readonly tenant: string | undefined;
}

/** The labels a push series is sent with. */
export function preparePushLabels(
  labels: Labels,
  external: Readonly<Record<string, string>>,
): Prepared<Addressed<Labels>> {
  const split = tenantFromLabels(labels);
  if (!split.ok) return { ok: false, outcome: failure(400, split.message) };
  const reason = validateLabels(split.labels);
  if (reason !== undefined) return { ok: false, outcome: invalidLabels(reason) };
  return { ok: true, value: { value: pushSeriesLabels(split.labels, external), tenant: split.tenant } };
}

/** The query an ingest is sent with: the original one with `name` rebuilt from the labels. */
export function prepareIngestQuery(
  labels: Labels,
  query: IngestQuery,
  external: Readonly<Record<string, string>>,
): Prepared<Addressed<string>> {
  const name = ingestName(labels, external);
  if (!name.ok) return name;
  const { value, tenant } = name.value;
  return { ok: true, value: { value: query.canonicalWithName(value), tenant } };
}

/**
 * The `name` an ingest is sent with, by write component (its `external_labels` record) and label set: label
 * sets are immutable and repeat (receive_http and relabel hand out the same object for the same `name`), so
 * this is validated and formatted once per distinct set.
 */
const INGEST_NAMES = new WeakMap<
  Readonly<Record<string, string>>,
  WeakMap<Labels, Prepared<Addressed<string>>>
>();

function ingestName(labels: Labels, external: Readonly<Record<string, string>>): Prepared<Addressed<string>> {
  let names = INGEST_NAMES.get(external);
  if (names === undefined) {
    names = new WeakMap();
    INGEST_NAMES.set(external, names);
  }
  let name = names.get(labels);
  if (name === undefined) {
    name = formatIngestName(labels, external);
    names.set(labels, name);
  }
  return name;
}

function formatIngestName(
  labels: Labels,
  external: Readonly<Record<string, string>>,
): Prepared<Addressed<string>> {
  const split = tenantFromLabels(labels);
  if (!split.ok) return { ok: false, outcome: failure(400, split.message) };
  const named = nameFollowsServiceName(split.labels);
  const reason = validateLabels(named);
  if (reason !== undefined) return { ok: false, outcome: invalidLabels(reason) };
  return {
    ok: true,
    value: { value: formatName(mergeExternalLabels(named, external)), tenant: split.tenant },
  };
}

function invalidLabels(reason: string): Failure {
  return failure(400, `${INVALID_LABELS_PREFIX}${reason}`);
}
