/** Arguments and exports in their alloyjson encoding, shown as Alloy syntax (secrets arrive as `(secret)`). */
import type { AlloyValue, Statement } from "./api.ts";

function valueText(v: AlloyValue | undefined, indent: string): string {
  if (v === undefined) return "null";
  switch (v.type) {
    case "string":
      return JSON.stringify(v.value);
    case "number":
    case "bool":
      return String(v.value);
    case "null":
      return "null";
    case "array": {
      const items = (v.value as AlloyValue[]) ?? [];
      if (items.length === 0) return "[]";
      return `[${items.map((i) => valueText(i, indent)).join(", ")}]`;
    }
    case "object": {
      const fields = (v.value as { key: string; value: AlloyValue }[]) ?? [];
      if (fields.length === 0) return "{}";
      const inner = `${indent}  `;
      return `{\n${fields.map((f) => `${inner}${f.key} = ${valueText(f.value, inner)},`).join("\n")}\n${indent}}`;
    }
    default:
      // capsules (receivers, secrets) and functions carry their display text
      return String(v.value);
  }
}

function bodyText(body: readonly Statement[], indent: string): string {
  return body
    .map((s) =>
      s.type === "attr"
        ? `${indent}${s.name} = ${valueText(s.value, indent)}`
        : `${indent}${s.name}${s.label === undefined ? "" : ` ${JSON.stringify(s.label)}`} {\n${bodyText(
            s.body ?? [],
            `${indent}  `,
          )}\n${indent}}`,
    )
    .join("\n");
}

/** A body as Alloy syntax; a note when it is empty. */
export function AlloyBody(props: { readonly body: readonly Statement[]; readonly empty: string }) {
  if (props.body.length === 0) return <p className="muted">{props.empty}</p>;
  return <pre className="alloy">{bodyText(props.body, "")}</pre>;
}
