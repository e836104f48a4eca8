/**
 * The arguments of `pyroscope.relabel`, declared once: names, defaults and validation messages are Alloy's
 * (`internal/component/pyroscope/relabel/relabel.go` `Arguments`, and the `rule` block of
 * `internal/component/common/relabel/relabel.go`).
 */
import { RECEIVER_HOST_TYPE, type Receiver } from "../../../pyroscope/receiver.ts";
import { attr, blocks, body, type InferFields, t, type ValidationIssue } from "../../../syntax/schema.ts";
import { RULE_DEFAULTS, ruleProblems } from "./rules.ts";

/** Alloy's default `max_cache_size`. */
export const DEFAULT_MAX_CACHE_SIZE = 10_000;

const ruleFields = {
  source_labels: attr(t.list(t.string()), {
    doc: "Labels whose values are joined with `separator` and matched against `regex`.",
  }),
  separator: attr(t.string(), {
    default: RULE_DEFAULTS.separator,
    doc: "Placed between the values of `source_labels`.",
  }),
  regex: attr(t.string(), {
    default: RULE_DEFAULTS.regex,
    doc: "A Go (RE2) regular expression, anchored at both ends, matched against the joined value (or, for `labelmap`, `labeldrop` and `labelkeep`, against each label name).",
  }),
  modulus: attr(t.int(), { default: RULE_DEFAULTS.modulus, doc: "The modulus of `hashmod`." }),
  target_label: attr(t.string(), {
    default: RULE_DEFAULTS.target_label,
    doc: "The label the result is written to; `replace` may refer to groups of `regex` (`$1`, `$name`).",
  }),
  replacement: attr(t.string(), {
    default: RULE_DEFAULTS.replacement,
    doc: "The value written by `replace` (or the new name written by `labelmap`), with references to the groups of `regex` (`$1`, `$name`; braces when letters follow).",
  }),
  action: attr(t.string(), {
    default: RULE_DEFAULTS.action,
    doc: "What the rule does: `replace`, `keep`, `drop`, `hashmod`, `labelmap`, `labeldrop`, `labelkeep`, `lowercase`, `uppercase`, `keepequal` or `dropequal`.",
  }),
} as const;

/** One decoded `rule` block. */
export type RuleArguments = InferFields<typeof ruleFields>;

/** `rule { ... }`: a Prometheus relabelling rule. */
export const ruleBody = body(ruleFields, { validate: ruleProblems });

function validateRelabel(v: { max_cache_size: number }): ValidationIssue[] {
  return v.max_cache_size > 0
    ? []
    : [{ message: "max_cache_size must be greater than 0", field: "max_cache_size" }];
}

const relabelFields = {
  forward_to: attr(t.list(t.capsule<Receiver>(RECEIVER_HOST_TYPE)), {
    required: true,
    doc: "Where to send the relabelled profiles.",
  }),
  max_cache_size: attr(t.int(), {
    default: DEFAULT_MAX_CACHE_SIZE,
    doc: "How many label sets the cache of relabelling results holds.",
  }),
  rule: blocks(ruleBody, {
    doc: "A relabelling rule; rules run in order on each profile's labels.",
  }),
} as const;

/** The decoded arguments of `pyroscope.relabel`. */
export type RelabelArguments = InferFields<typeof relabelFields>;

/** The argument schema of `pyroscope.relabel`. */
export const relabelArguments = body(relabelFields, { validate: validateRelabel });
