/**
 * The label rules Alloy applies between receiving a profile and sending it on, ported from
 * `receive_http.go` (`ensureServiceName`, the push label builder) and `write.go` (`validateLabels`, the
 * reserved-label filter, `external_labels`, `ensureNameMatchesService`). Prometheus' `labels.Builder` treats an
 * empty value as "no label", so every rule that rebuilds a set also drops empty values, as Alloy does.
 */
import { goQuote } from "./go-quote.ts";
import { type Label, Labels } from "./labels.ts";
import { labelNameError, NAME_LABEL } from "./name-grammar.ts";

/** The service label Pyroscope groups profiles by. */
export const SERVICE_NAME_LABEL = "service_name";
/** Where the original app name goes when the client also sent a `service_name` (§1.6). */
export const APP_NAME_LABEL = "app_name";
/** `__delta__="false"` tells Pyroscope not to compute deltas; write keeps it although it is reserved. */
export const DELTA_LABEL = "__delta__";
/** The prefix of reserved label names. */
export const RESERVED_PREFIX = "__";
/** Alloy's wrapper around a validation failure on both write paths: `invalid labels in profile: <reason>`. */
export const INVALID_LABELS_PREFIX = "invalid labels in profile: ";

/** In `u` mode a surrogate class matches only unpaired surrogates: a string that is not valid UTF-8. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * Labels from push-API pairs, as receive_http builds them: in order, the last value of a name wins and an
 * empty value removes the name (Prometheus `labels.Builder.Set`).
 */
export function labelsFromPairs(pairs: Iterable<{ readonly name: string; readonly value: string }>): Labels {
  const map = new Map<string, string>();
  for (const p of pairs) {
    if (p.value === "") {
      map.delete(p.name);
    } else {
      map.set(p.name, p.value);
    }
  }
  return Labels.from([...map].map(([name, value]): Label => ({ name, value })));
}

/**
 * The `service_name` / `app_name` rule of receive_http (spec §1.6), on both routes. With `N` = the `__name__`
 * value (or empty): no `service_name` label → `service_name = N`; a `service_name` label (even an empty one) →
 * `app_name = N`. Setting an empty value removes the label, and labels with empty values are dropped.
 */
export function ensureServiceName(labels: Labels): Labels {
  const name = labels.get(NAME_LABEL) ?? "";
  const target = labels.has(SERVICE_NAME_LABEL) ? APP_NAME_LABEL : SERVICE_NAME_LABEL;
  return dropEmptyValues(labels.without(target)).withValue(target, name);
}

/**
 * Write's ingest path step 1 (`ensureNameMatchesService`): a non-empty `service_name` becomes `__name__`
 * (empty-valued labels are then dropped too). Unchanged when there is no `service_name`.
 */
export function nameFollowsServiceName(labels: Labels): Labels {
  const service = labels.get(SERVICE_NAME_LABEL) ?? "";
  return service === "" ? labels : dropEmptyValues(labels.with(NAME_LABEL, service));
}

/**
 * Write's `validateLabels`: the reason of the first violation, or undefined. The caller prefixes it with
 * `INVALID_LABELS_PREFIX`. Checks, per label in name order: an empty set → `service name is required`; a name
 * equal to the previous one (or an empty first name) → `duplicate label name: <n>`; a value that is not valid
 * UTF-8 (a lone surrogate here) → `invalid label value for <n>: <v>`; except for `__name__`, an empty name or a
 * character outside `[A-Za-z0-9_.]` → `invalid label name: <Pyroscope's message>`.
 *
 * A plain list may hold duplicates (a `Labels` cannot); it is sorted by name first, as Prometheus would.
 */
export function validateLabels(labels: Labels | readonly Label[]): string | undefined {
  const list = labels instanceof Labels ? labels.toArray() : sortByName(labels);
  if (list.length === 0) {
    return "service name is required";
  }
  let last = "";
  for (const l of list) {
    if (l.name === last) {
      return `duplicate label name: ${l.name}`;
    }
    if (LONE_SURROGATE.test(l.value)) {
      return `invalid label value for ${l.name}: ${l.value}`;
    }
    if (l.name !== NAME_LABEL) {
      const err = labelNameError(l.name);
      if (err !== undefined) {
        return `invalid label name: ${err}`;
      }
    }
    last = l.name;
  }
  return undefined;
}

/** Write's push-path filter: drops every `__`-prefixed label except `__name__` and `__delta__`. */
export function dropReservedLabels(labels: Labels): Labels {
  let out = labels;
  for (const l of labels) {
    if (l.name.startsWith(RESERVED_PREFIX) && l.name !== NAME_LABEL && l.name !== DELTA_LABEL) {
      out = out.without(l.name);
    }
  }
  return out;
}

/**
 * Applies write's `external_labels` on top of a set: labels with empty values are dropped, then each external
 * label is set (it wins on conflict) or, when its value is empty, removed. On the push path this runs after
 * `dropReservedLabels`, so external `__` names survive.
 */
export function mergeExternalLabels(labels: Labels, external: Readonly<Record<string, string>>): Labels {
  let out = dropEmptyValues(labels);
  for (const [name, value] of Object.entries(external)) {
    out = out.withValue(name, value);
  }
  return out;
}

/** The labels write pushes for a series (§2.3 steps 2-3), after `validateLabels` passed. */
export function pushSeriesLabels(labels: Labels, external: Readonly<Record<string, string>>): Labels {
  return mergeExternalLabels(dropReservedLabels(labels), external);
}

function dropEmptyValues(labels: Labels): Labels {
  let out = labels;
  for (const l of labels) {
    if (l.value === "") {
      out = out.without(l.name);
    }
  }
  return out;
}

function sortByName(list: readonly Label[]): readonly Label[] {
  return [...list].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Prometheus' `Labels.String()`, used in Alloy's messages (e.g. `unable to append series {app="app-0"} ...`):
 * `{name="value", ...}`, values Go-quoted, names quoted only when not a legacy Prometheus name.
 */
export function formatPrometheusLabels(labels: Labels): string {
  const parts: string[] = [];
  for (const l of labels) {
    const name = /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(l.name) ? l.name : goQuote(l.name);
    parts.push(`${name}=${goQuote(l.value)}`);
  }
  return `{${parts.join(", ")}}`;
}
