/**
 * Keeps the README's argument tables equal to the components' schemas. Each table sits between
 * `<!-- BEGIN args:<component> -->` and `<!-- END args:<component> -->`.
 *
 *   node scripts/readme-args.ts          rewrite README.md
 *   node scripts/readme-args.ts --check  exit 1 if README.md is out of date (run by the tests)
 */
import { readFileSync, writeFileSync } from "node:fs";
import { allComponents } from "../src/components/all.ts";
import { schemaMarkdown } from "../src/syntax/schema-docs.ts";

/** README text with every marked argument table regenerated. */
export function renderReadme(readme: string): string {
  let out = readme;
  for (const reg of allComponents) {
    const begin = `<!-- BEGIN args:${reg.name} -->`;
    const end = `<!-- END args:${reg.name} -->`;
    const i = out.indexOf(begin);
    const j = out.indexOf(end);
    if (i < 0 || j < i) continue;
    out = `${out.slice(0, i + begin.length)}\n${schemaMarkdown(reg.args)}${out.slice(j)}`;
  }
  return out;
}

const readmeUrl = new URL("../README.md", import.meta.url);

if (import.meta.main) {
  const current = readFileSync(readmeUrl, "utf8");
  const next = renderReadme(current);
  if (process.argv.includes("--check")) {
    if (next !== current) {
      process.stderr.write("README.md argument tables are out of date: run `npm run docs`\n");
      process.exitCode = 1;
    }
  } else if (next !== current) {
    writeFileSync(readmeUrl, next);
  }
}
