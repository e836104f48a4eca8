/**
 * The `rule` block of relabelling components: Alloy's checks (`internal/component/common/relabel/relabel.go`,
 * `Config.Validate`, with its messages) and the compilation of a decoded block into a `CompiledRule`.
 */
import { goQuote } from "../../../pyroscope/go-quote.ts";
import type { ValidationIssue } from "../../../syntax/schema.ts";
import type { RuleArguments } from "./arguments.ts";
import { ACTIONS, type Action, type CompiledRule, isLegacyLabelName } from "./engine.ts";
import { GoRegexp, GoRegexpError } from "./go-regexp.ts";

/** Prometheus' defaults of a rule block. */
export const RULE_DEFAULTS = {
  separator: ";",
  regex: "(.*)",
  modulus: 0,
  target_label: "",
  replacement: "$1",
  action: "replace",
} as const;

/**
 * Prometheus' `relabelTarget`: a name that may hold `$1`/`${name}` references, written without the nested
 * repetition of the original (`^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$`), which backtracks badly here.
 */
const RELABEL_TARGET = /^(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))(?:\w|\$(?:\{\w+\}|\w+))*$/;

function isAction(value: string): value is Action {
  return (ACTIONS as readonly string[]).includes(value);
}

/** Prometheus anchors every relabel regex: it must match the whole value. */
export function compileRelabelRegex(regex: string): GoRegexp {
  return GoRegexp.compile(`^(?:${regex})$`);
}

/** The problems of one decoded `rule` block, in Alloy's words; Alloy reports the first, so do we. */
export function ruleProblems(rule: RuleArguments): ValidationIssue[] {
  const problem = ruleProblem(rule);
  return problem === undefined ? [] : [problem];
}

function ruleProblem(rc: RuleArguments): ValidationIssue | undefined {
  if (!isAction(rc.action)) {
    return rc.action === ""
      ? { message: "relabel action cannot be empty", field: "action" }
      : { message: `unrecognized action type ${goQuote(rc.action)}`, field: "action" };
  }
  try {
    compileRelabelRegex(rc.regex);
  } catch (err) {
    if (err instanceof GoRegexpError) return { message: err.message, field: "regex" };
    throw err;
  }
  if (rc.modulus < 0) return { message: `modulus must not be negative, got ${rc.modulus}`, field: "modulus" };
  const a = rc.action;
  if (rc.modulus === 0 && a === "hashmod") {
    return { message: "relabel configuration for hashmod requires non-zero modulus" };
  }
  const needsTarget = ["replace", "hashmod", "lowercase", "uppercase", "keepequal", "dropequal"].includes(a);
  if (needsTarget && rc.target_label === "") {
    return { message: `relabel configuration for ${a} action requires 'target_label' value` };
  }
  const templated = ["replace", "lowercase", "uppercase", "keepequal", "dropequal"].includes(a);
  if (templated && !RELABEL_TARGET.test(rc.target_label)) {
    return { message: `${goQuote(rc.target_label)} is invalid 'target_label' for ${a} action` };
  }
  const fixedReplacement = ["lowercase", "uppercase", "keepequal", "dropequal"].includes(a);
  if (fixedReplacement && rc.replacement !== RULE_DEFAULTS.replacement) {
    return { message: `'replacement' can not be set for ${a} action` };
  }
  if (a === "labelmap" && !RELABEL_TARGET.test(rc.replacement)) {
    return { message: `${goQuote(rc.replacement)} is invalid 'replacement' for ${a} action` };
  }
  if (a === "hashmod" && !isLegacyLabelName(rc.target_label)) {
    return { message: `${goQuote(rc.target_label)} is invalid 'target_label' for ${a} action` };
  }
  if (
    (a === "labeldrop" || a === "labelkeep") &&
    (rc.source_labels !== undefined ||
      rc.target_label !== RULE_DEFAULTS.target_label ||
      rc.modulus !== RULE_DEFAULTS.modulus ||
      rc.separator !== RULE_DEFAULTS.separator ||
      rc.replacement !== RULE_DEFAULTS.replacement)
  ) {
    return { message: `${a} action requires only 'regex', and no other fields` };
  }
  if (
    (a === "keepequal" || a === "dropequal") &&
    (rc.regex !== RULE_DEFAULTS.regex ||
      rc.modulus !== RULE_DEFAULTS.modulus ||
      rc.separator !== RULE_DEFAULTS.separator ||
      rc.replacement !== RULE_DEFAULTS.replacement)
  ) {
    return { message: `${a} action requires only 'source_labels' and 'target_label', and no other fields` };
  }
  return undefined;
}

/** A validated rule block, compiled. Throws the first problem for a block that did not pass `ruleProblems`. */
export function compileRule(rc: RuleArguments): CompiledRule {
  const problem = ruleProblem(rc);
  if (problem !== undefined) throw new Error(problem.message);
  return {
    action: rc.action as Action,
    sourceLabels: rc.source_labels ?? [],
    separator: rc.separator,
    regex: compileRelabelRegex(rc.regex),
    modulus: rc.modulus,
    targetLabel: rc.target_label,
    replacement: rc.replacement,
  };
}

/**
 * Whether two rule lists behave the same (Alloy's `relabelingChanged`, a deep comparison of the converted
 * rules: an absent `source_labels` equals an empty one).
 */
export function sameRules(a: readonly RuleArguments[], b: readonly RuleArguments[]): boolean {
  return a.length === b.length && a.every((r, i) => ruleKey(r) === ruleKey(b[i]!));
}

function ruleKey(r: RuleArguments): string {
  return JSON.stringify([
    r.action,
    r.source_labels ?? [],
    r.separator,
    r.regex,
    r.modulus,
    r.target_label,
    r.replacement,
  ]);
}
