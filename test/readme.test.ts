import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { documentUrls, renderReadme } from "../scripts/readme-args.ts";
import { allComponents } from "../src/components/all.ts";

/** README.md and the docs/ pages, which may hold argument tables. */
const documents = documentUrls().map((url) => ({ url, text: readFileSync(url, "utf8") }));

test("every component has an argument table in the README or a docs/ page", () => {
  for (const reg of allComponents) {
    assert.ok(
      documents.some((d) => d.text.includes(`<!-- BEGIN args:${reg.name} -->`)),
      `no argument table for ${reg.name}`,
    );
  }
});

test("the argument tables match the schemas (run `npm run docs` to update them)", () => {
  for (const d of documents) assert.equal(renderReadme(d.text), d.text, d.url.pathname);
});
