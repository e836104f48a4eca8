import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { renderReadme } from "../scripts/readme-args.ts";
import { allComponents } from "../src/components/all.ts";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");

test("every component has an argument table in the README", () => {
  for (const reg of allComponents) {
    assert.ok(
      readme.includes(`<!-- BEGIN args:${reg.name} -->`),
      `README has no argument table for ${reg.name}`,
    );
  }
});

test("the README's argument tables match the schemas (run `npm run docs` to update them)", () => {
  assert.equal(renderReadme(readme), readme);
});
