/**
 * Test helpers for `pyroscope.relabel`: rule blocks as the decoder produces them (defaults plus changes), and
 * compiled rule lists.
 */
import { defaultsOf } from "../../../syntax/decode.ts";
import { type RuleArguments, ruleBody } from "./arguments.ts";
import type { CompiledRule } from "./engine.ts";
import { compileRule } from "./rules.ts";

/** A `rule` block: Prometheus' defaults plus `changes`. */
export function ruleArgs(changes: Partial<RuleArguments> = {}): RuleArguments {
  return { ...defaultsOf(ruleBody), ...changes };
}

/** Compiled rules from rule blocks given as changes to the defaults. */
export function compiled(...rules: Partial<RuleArguments>[]): CompiledRule[] {
  return rules.map((r) => compileRule(ruleArgs(r)));
}
