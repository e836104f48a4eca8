/**
 * Prometheus' relabelling (`model/relabel/relabel.go`, `ProcessBuilder`) as a pure function: a label set and
 * compiled rules in, the relabelled set out, or `undefined` when a rule drops it. Rules run in order on one
 * label builder that behaves as Prometheus' `labels.Builder` (an empty value removes a label; `labelmap`,
 * `labeldrop` and `labelkeep` walk a snapshot of the labels, base labels in name order then added ones in the
 * order they were added).
 *
 * As in Alloy (`pyroscope.relabel`), a `replace` whose expanded target is not a legacy Prometheus label name
 * (`[a-zA-Z_][a-zA-Z0-9_]*`) does nothing.
 */
import { createHash } from "node:crypto";
import { type Label, Labels } from "../../../pyroscope/labels.ts";
import type { GoRegexp } from "./go-regexp.ts";

/** The relabel actions (Prometheus' and Alloy's names). */
export const ACTIONS = [
  "replace",
  "keep",
  "drop",
  "hashmod",
  "labelmap",
  "labeldrop",
  "labelkeep",
  "lowercase",
  "uppercase",
  "keepequal",
  "dropequal",
] as const;

/** One relabel action. */
export type Action = (typeof ACTIONS)[number];

/** A rule ready to run: its regex compiled, anchored as Prometheus anchors it (`^(?:…)$`). */
export interface CompiledRule {
  readonly action: Action;
  readonly sourceLabels: readonly string[];
  readonly separator: string;
  readonly regex: GoRegexp;
  readonly modulus: number;
  readonly targetLabel: string;
  readonly replacement: string;
}

/** Prometheus' legacy label name rule, which Alloy's relabelling applies to `replace` targets. */
const LEGACY_LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Whether `name` is a legacy Prometheus label name (`[a-zA-Z_][a-zA-Z0-9_]*`). */
export function isLegacyLabelName(name: string): boolean {
  return LEGACY_LABEL_NAME.test(name);
}

/** The relabelled labels, or `undefined` when a `keep`/`drop`-style rule drops them. */
export function relabel(labels: Labels, rules: readonly CompiledRule[]): Labels | undefined {
  const builder = new LabelBuilder(labels);
  for (const rule of rules) {
    if (!apply(rule, builder)) return undefined;
  }
  return builder.labels();
}

function apply(rule: CompiledRule, lb: LabelBuilder): boolean {
  const val = rule.sourceLabels.map((name) => lb.get(name)).join(rule.separator);
  switch (rule.action) {
    case "drop":
      return !rule.regex.matchString(val);
    case "keep":
      return rule.regex.matchString(val);
    case "dropequal":
      return lb.get(rule.targetLabel) !== val;
    case "keepequal":
      return lb.get(rule.targetLabel) === val;
    case "replace": {
      const match = rule.regex.findStringSubmatch(val);
      if (match === null) return true;
      const target = rule.regex.expand(rule.targetLabel, match);
      if (!isLegacyLabelName(target)) return true;
      const res = rule.regex.expand(rule.replacement, match);
      if (res === "") lb.del(target);
      else lb.set(target, res);
      return true;
    }
    case "lowercase":
      lb.set(rule.targetLabel, goToLower(val));
      return true;
    case "uppercase":
      lb.set(rule.targetLabel, goToUpper(val));
      return true;
    case "hashmod":
      lb.set(rule.targetLabel, hashmod(val, rule.modulus));
      return true;
    case "labelmap":
      for (const l of lb.snapshot()) {
        const match = rule.regex.findStringSubmatch(l.name);
        if (match !== null) lb.set(rule.regex.expand(rule.replacement, match), l.value);
      }
      return true;
    case "labeldrop":
      for (const l of lb.snapshot()) {
        if (rule.regex.matchString(l.name)) lb.del(l.name);
      }
      return true;
    case "labelkeep":
      for (const l of lb.snapshot()) {
        if (!rule.regex.matchString(l.name)) lb.del(l.name);
      }
      return true;
  }
}

/**
 * Prometheus' `hashmod`: the MD5 of the value, its last 8 bytes as a big-endian unsigned 64-bit number,
 * modulo `modulus`, in decimal.
 */
export function hashmod(value: string, modulus: number): string {
  const digest = createHash("md5").update(value, "utf8").digest();
  return (digest.readBigUInt64BE(8) % BigInt(modulus)).toString();
}

/**
 * Go's `strings.ToLower`: each code point by its simple (one-to-one) mapping. JavaScript's `toLowerCase` uses
 * full mappings and context (`İ` → `i̇`, a final `Σ` → `ς`), which Go does not.
 */
export function goToLower(s: string): string {
  if (isAscii(s)) return s.toLowerCase();
  return mapCodePoints(s, (ch) => (ch === "\u0130" ? "i" : ch.toLowerCase()));
}

/** Go's `strings.ToUpper`: each code point by its simple mapping (`ß` stays `ß`, JavaScript gives `SS`). */
export function goToUpper(s: string): string {
  if (isAscii(s)) return s.toUpperCase();
  return mapCodePoints(s, (ch) => ch.toUpperCase());
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

function mapCodePoints(s: string, map: (ch: string) => string): string {
  let out = "";
  for (const ch of s) {
    const mapped = map(ch);
    // A mapping to several code points is a full (special-casing) one: Go keeps the character.
    out += [...mapped].length === 1 ? mapped : ch;
  }
  return out;
}

/** Prometheus' `labels.Builder`: base labels, then deletions and additions in the order they happened. */
class LabelBuilder {
  readonly #base: readonly Label[];
  #del: string[] = [];
  #add: Label[] = [];

  constructor(base: Labels) {
    this.#base = base.toArray();
  }

  get(name: string): string {
    const added = this.#add.find((l) => l.name === name);
    if (added !== undefined) return added.value;
    if (this.#del.includes(name)) return "";
    return this.#base.find((l) => l.name === name)?.value ?? "";
  }

  /** Sets `name`; an empty value deletes it (an empty label is the same as a missing one). */
  set(name: string, value: string): void {
    if (value === "") {
      this.del(name);
      return;
    }
    const i = this.#add.findIndex((l) => l.name === name);
    if (i >= 0) this.#add[i] = { name, value };
    else this.#add.push({ name, value });
  }

  del(name: string): void {
    this.#add = this.#add.filter((l) => l.name !== name);
    this.#del.push(name);
  }

  /** `Builder.Range`: the current labels, base ones first, as they are now (later changes do not show). */
  snapshot(): Label[] {
    const del = [...this.#del];
    const add = [...this.#add];
    const base = this.#base.filter((l) => !del.includes(l.name) && !add.some((a) => a.name === l.name));
    return [...base, ...add];
  }

  labels(): Labels {
    if (this.#del.length === 0 && this.#add.length === 0) return Labels.from(this.#base);
    return Labels.from(this.snapshot());
  }
}
