/**
 * Keeps the argument tables in `docs/components.md` equal to the components' schemas. Each table sits between
 * `<!-- BEGIN args:<component> -->` and `<!-- END args:<component> -->`.
 *
 *   node scripts/docs-args.ts          rewrite docs/components.md (`npm run docs`)
 *   node scripts/docs-args.ts --check  exit 1 if it is out of date (the tests check the same)
 */
import { readFileSync, writeFileSync } from "node:fs";
import { allComponents } from "../src/components/all.ts";
import { schemaMarkdown } from "../src/syntax/schema-docs.ts";

/** The Markdown file that holds the generated argument tables. */
export const COMPONENTS_DOC = new URL("../docs/components.md", import.meta.url);

/** Every Markdown file with generated argument tables (a component with a page of its own has its table there). */
export const ARGUMENT_DOCS: readonly URL[] = [COMPONENTS_DOC, new URL("../docs/relabel.md", import.meta.url)];

/** The text with every marked argument table regenerated. */
export function renderArgumentTables(text: string): string {
  let out = text;
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

if (import.meta.main) {
  for (const doc of ARGUMENT_DOCS) {
    const current = readFileSync(doc, "utf8");
    const next = renderArgumentTables(current);
    if (process.argv.includes("--check")) {
      if (next !== current) {
        process.stderr.write(`${doc.pathname} argument tables are out of date: run \`npm run docs\`\n`);
        process.exitCode = 1;
      }
    } else if (next !== current) {
      writeFileSync(doc, next);
    }
  }
}
