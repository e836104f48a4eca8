import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { sharedMissing, sharedUrl } from "../../test/support/shared.ts";
import { parseFile } from "./parser.ts";
import { format } from "./printer.ts";

/** The user-facing component docs this project implements (outside the repository). */
const SEEDS = sharedUrl("seeds/");

/** A usage template rather than a complete example: it has `<PLACEHOLDER>`s to fill in. */
const PLACEHOLDER = /<[A-Z][A-Z0-9_]*>/;

interface Example {
  readonly name: string;
  readonly text: string;
}

function completeExamples(): Example[] {
  const examples: Example[] = [];
  for (const file of readdirSync(SEEDS).filter((f) => f.endsWith(".md"))) {
    const markdown = readFileSync(new URL(file, SEEDS), "utf8");
    let index = 0;
    for (const m of markdown.matchAll(/```alloy\r?\n([\s\S]*?)```/g)) {
      index++;
      const text = m[1] ?? "";
      if (!PLACEHOLDER.test(text)) examples.push({ name: `${file} example ${index}`, text });
    }
  }
  return examples;
}

const POSITION_KEYS = new Set([
  "start",
  "end",
  "opPos",
  "lbrack",
  "rbrack",
  "lcurly",
  "rcurly",
  "lparen",
  "rparen",
]);
const MORE_POSITION_KEYS = new Set(["nameStart", "nameEnd", "labelStart"]);

function withoutPositions(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutPositions);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => !POSITION_KEYS.has(k) && !MORE_POSITION_KEYS.has(k))
        .map(([k, v]) => [k, withoutPositions(v)]),
    );
  }
  return value;
}

describe("seeds: every complete config example parses and formats", { skip: sharedMissing("seeds/") }, () => {
  const examples = completeExamples();

  it("finds the examples", () => {
    assert.ok(examples.length >= 10, `found ${examples.length} examples`);
  });

  for (const ex of examples) {
    it(ex.name, () => {
      const parsed = parseFile(ex.text, ex.name);
      assert.deepEqual(parsed.diagnostics, []);
      const formatted = format(ex.text, ex.name);
      assert.equal(format(formatted, ex.name), formatted, "formatting is idempotent");
      const reparsed = parseFile(formatted, ex.name);
      assert.deepEqual(withoutPositions(reparsed.file.body), withoutPositions(parsed.file.body));
      assert.deepEqual(
        reparsed.file.comments.flatMap((g) => g.comments.map((c) => c.text)),
        parsed.file.comments.flatMap((g) => g.comments.map((c) => c.text)),
        "comments are kept",
      );
    });
  }
});
