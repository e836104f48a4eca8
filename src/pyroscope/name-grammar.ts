/**
 * Pyroscope's `name` grammar for `/ingest` (`app.name{key=value,...}`): a port of `labelset.Parse` and
 * `LabelSet.Normalized` from grafana/pyroscope `api/model/labelset` (v1.5.0, the version Alloy pins), quirks
 * included, so receive_http reads `name` and write rebuilds it exactly as Alloy does.
 */
import { goQuoteRune, goTrimSpace } from "./go-quote.ts";
import { type Label, Labels } from "./labels.ts";

/** The label that holds the application name in a parsed `name` (and the profile name on the push path). */
export const NAME_LABEL = "__name__";

/**
 * Parses an `/ingest` `name` value into labels, throwing an `Error` with Pyroscope's message on bad input.
 *
 * Quirks kept from Pyroscope: the input is read with a `{` appended (so `app` = `app{}`); text before the first
 * `{` is the app name (trimmed, required, `[A-Za-z0-9_.\-/]`), stored as `__name__`; a pair is committed only at
 * `,` or `}` (so `app{a=b` loses `a`, `app{a}` is ignored); a `}` that ends a value returns to key state (so
 * `app{a=b}c=d,` also yields `c=d`); keys are trimmed and must be `[A-Za-z0-9_.]+` except `__name__`, which is
 * not validated and overrides the app name; values are trimmed, never validated, may be empty; the last of
 * duplicate keys wins.
 *
 * Messages: `service name is required`, `invalid service name: <n>: character is not allowed: '<c>'`,
 * `label name is required`, `invalid label name: <k>: character is not allowed: '<c>'`.
 */
export function parseName(name: string): Labels {
  const labels = new Map<string, string>();
  let state: "name" | "key" | "value" | "done" = "name";
  let key = "";
  let value = "";
  for (const ch of `${name}{`) {
    switch (state) {
      case "name":
        if (ch === "{") {
          state = "key";
          const serviceName = goTrimSpace(value);
          const err = serviceNameError(serviceName);
          if (err !== undefined) {
            throw new Error(err);
          }
          labels.set(NAME_LABEL, serviceName);
        } else {
          value += ch;
        }
        break;
      case "key":
        if (ch === "}") {
          state = "done";
        } else if (ch === "=") {
          state = "value";
          value = "";
        } else {
          key += ch;
        }
        break;
      case "value":
        if (ch === "," || ch === "}") {
          state = "key";
          const k = goTrimSpace(key);
          if (k !== NAME_LABEL) {
            const err = labelNameError(k);
            if (err !== undefined) {
              throw new Error(err);
            }
          }
          labels.set(k, goTrimSpace(value));
          key = "";
        } else {
          value += ch;
        }
        break;
      case "done":
        break;
    }
  }
  return Labels.from([...labels].map(([n, v]): Label => ({ name: n, value: v })));
}

/**
 * Pyroscope's `LabelSet.Normalized()`: the `__name__` value (nothing if absent), then `{`, then every other
 * label as `key=value` sorted by key and joined with `,`, then `}`. No quoting or escaping. Empty values are
 * written as they are; the write path removes them before formatting (see `mergeExternalLabels`).
 */
export function formatName(labels: Labels): string {
  let pairs = "";
  for (const l of labels) {
    if (l.name === NAME_LABEL) {
      continue;
    }
    pairs += `${pairs === "" ? "" : ","}${l.name}=${l.value}`;
  }
  return `${labels.get(NAME_LABEL) ?? ""}{${pairs}}`;
}

/** Pyroscope `ValidateServiceName`: the message, or undefined when the app name is valid. */
export function serviceNameError(name: string): string | undefined {
  if (name.length === 0) {
    return "service name is required";
  }
  for (const ch of name) {
    if (!isServiceNameChar(ch)) {
      return `invalid service name: ${name}: character is not allowed: ${goQuoteRune(ch.codePointAt(0)!)}`;
    }
  }
  return undefined;
}

/**
 * Pyroscope `ValidateLabelName`: the message, or undefined when the name is valid (`[A-Za-z0-9_.]+`, not
 * `__name__`).
 */
export function labelNameError(name: string): string | undefined {
  if (name.length === 0) {
    return "label name is required";
  }
  for (const ch of name) {
    if (!isLabelNameChar(ch)) {
      return `invalid label name: ${name}: character is not allowed: ${goQuoteRune(ch.codePointAt(0)!)}`;
    }
  }
  if (name === NAME_LABEL) {
    return `label name is reserved: ${name}`;
  }
  return undefined;
}

function isLabelNameChar(ch: string): boolean {
  return (
    (ch >= "a" && ch <= "z") ||
    (ch >= "A" && ch <= "Z") ||
    (ch >= "0" && ch <= "9") ||
    ch === "_" ||
    ch === "."
  );
}

function isServiceNameChar(ch: string): boolean {
  return ch === "-" || ch === "/" || isLabelNameChar(ch);
}
