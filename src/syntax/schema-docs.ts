/**
 * Renders an argument schema as Markdown tables for docs/components.md, so the documented names, types, defaults and
 * descriptions are the ones the decoder uses. One table for the top-level attributes, then one per block
 * (nested blocks get their path, e.g. `endpoint > basic_auth`).
 */
import { formatDuration } from "./duration.ts";
import type { BodySchema, Field, Fields, ValueType } from "./schema.ts";
import { formatSize } from "./size.ts";

/** The Markdown for a component's arguments. */
export function schemaMarkdown(schema: BodySchema<Fields>): string {
  const sections: string[] = [];
  renderBody(schema, [], sections);
  return sections.join("\n");
}

function renderBody(schema: BodySchema<Fields>, path: readonly string[], out: string[]): void {
  const entries = Object.entries(schema.fields);
  const attrs = entries.filter(([, f]) => f.kind === "attr");
  const blockEntries = entries.filter(([, f]) => f.kind !== "attr");
  const heading = path.length === 0 ? "Arguments" : `Block \`${path.join(" > ")}\``;
  if (attrs.length > 0) {
    out.push(`${heading}:\n`);
    out.push("| Name | Type | Description | Default | Required |");
    out.push("|---|---|---|---|---|");
    for (const [name, f] of attrs) {
      if (f.kind !== "attr") continue;
      const def = f.required || f.default === undefined ? "" : `\`${renderDefault(f.type, f.default)}\``;
      out.push(
        `| \`${name}\` | \`${f.type.describe}\` | ${escapeCell(f.doc)} | ${def} | ${f.required ? "yes" : "no"} |`,
      );
    }
    out.push("");
  } else if (path.length > 0) {
    out.push(`${heading} takes no attributes.\n`);
  }
  if (blockEntries.length > 0) {
    out.push(`${path.length === 0 ? "Blocks" : `Blocks inside \`${path.join(" > ")}\``}:\n`);
    out.push("| Block | Description | Required |");
    out.push("|---|---|---|");
    for (const [name, f] of blockEntries) {
      out.push(
        `| \`${[...path, name].join(" > ")}\` | ${escapeCell(blockDoc(f))} | ${isRequired(f) ? "yes" : "no"} |`,
      );
    }
    out.push("");
    for (const [name, f] of blockEntries) {
      if (f.kind === "block" || f.kind === "blocks") {
        renderBody(f.body, [...path, name], out);
      }
    }
  }
}

function blockDoc(f: Field): string {
  return f.kind === "blocks" ? `${f.doc} May be given more than once.` : f.doc;
}

function isRequired(f: Field): boolean {
  return f.kind === "block" ? f.required : false;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

function renderDefault(type: ValueType<unknown>, value: unknown): string {
  switch (type.kind) {
    case "duration":
      return `"${formatDuration(value as number)}"`;
    case "size":
      return `"${formatSize(value as number)}"`;
    case "string":
    case "enum":
      return JSON.stringify(value);
    case "list":
      return Array.isArray(value)
        ? `[${value.map((v) => renderDefault(type.of, v)).join(", ")}]`
        : String(value);
    case "map": {
      const entries = Object.entries(value as Record<string, unknown>);
      return entries.length === 0
        ? "{}"
        : `{ ${entries.map(([k, v]) => `${k} = ${renderDefault(type.of, v)}`).join(", ")} }`;
    }
    default:
      return String(value);
  }
}
