/**
 * The root scope expressions are evaluated in (§3.5 of the spec): each component `a.b "label"` puts its
 * exports object at `a` → `b` → `label`, so `pyroscope.write.default.receiver` is an ordinary chain of
 * field accesses. Extra root names (`module_path`) sit beside them.
 */
import type { ObjectValue, Value } from "../syntax/value.ts";

/** A component's place in the scope. */
export interface ScopeEntry {
  readonly name: string;
  readonly label: string;
  readonly exports: ObjectValue;
}

/** Builds the nested scope object from component exports. */
export function buildScope(
  entries: readonly ScopeEntry[],
  extra: Readonly<Record<string, Value>> = {},
): ObjectValue {
  const root = new Map<string, Value>(Object.entries(extra));
  for (const e of entries) {
    let parent = root;
    for (const part of e.name.split(".")) {
      let child = parent.get(part);
      if (!(child instanceof Map)) {
        child = new Map<string, Value>();
        parent.set(part, child);
      }
      parent = child as Map<string, Value>;
    }
    parent.set(e.label, e.exports);
  }
  return root;
}
