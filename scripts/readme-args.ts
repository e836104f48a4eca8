/**
 * Keeps the argument tables of README.md and the pages under docs/ equal to the components' schemas. Each
 * table sits between `<!-- BEGIN args:<component> -->` and `<!-- END args:<component> -->`.
 *
 *   node scripts/readme-args.ts          rewrite README.md and docs/*.md
 *   node scripts/readme-args.ts --check  exit 1 if one is out of date (run by the tests)
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
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

/** The documents that may hold argument tables: README.md and every Markdown page under docs/. */
export function documentUrls(): URL[] {
  const docs = new URL("../docs/", import.meta.url);
  let pages: string[] = [];
  try {
    pages = readdirSync(docs).filter((f) => f.endsWith(".md"));
  } catch {
    // No docs/ folder yet.
  }
  return [new URL("../README.md", import.meta.url), ...pages.sort().map((f) => new URL(f, docs))];
}

if (import.meta.main) {
  for (const url of documentUrls()) {
    const current = readFileSync(url, "utf8");
    const next = renderReadme(current);
    if (process.argv.includes("--check")) {
      if (next !== current) {
        process.stderr.write(`${url.pathname} argument tables are out of date: run \`npm run docs\`\n`);
        process.exitCode = 1;
      }
    } else if (next !== current) {
      writeFileSync(url, next);
    }
  }
}
