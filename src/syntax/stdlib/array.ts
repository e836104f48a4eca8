/**
 * The `array` namespace. These are Alloy "raw" functions: they check their own arguments (no conversions;
 * `2 should be array, got number`) and word their own count errors.
 *
 * `combine_maps` and `group_by` are experimental in Alloy (see `EXPERIMENTAL_FUNCTIONS`).
 */
import { valuesEqual } from "../convert.ts";
import { ArgumentError, FunctionError } from "../function-errors.ts";
import { AlloyNumber, type ObjectValue, typeOf, type Value } from "../value.ts";
import { rawFunction } from "./args.ts";

function typeMismatch(expected: string, got: Value): string {
  return `should be ${expected}, got ${typeOf(got)}`;
}

/** `array.concat(lists...)`: the lists one after the other; `array.concat()` is `[]`. */
export const concat = rawFunction("array.concat", (args) => {
  args.forEach((arg, i) => {
    if (!Array.isArray(arg)) throw new ArgumentError(i, typeMismatch("array", arg));
  });
  if (args.length === 1) return args[0] as Value;
  return args.flatMap((arg) => arg as readonly Value[]);
});

/**
 * `array.combine_maps(left, right, keys [, passthrough])`: for every left × right pair whose values are
 * equal on every key, the left object merged with the right (right wins). With `passthrough`, a left object
 * is also kept unchanged once for each right object it does not match. Matching is strict: values of
 * different types or number kinds never match (`1` ≠ `"1"`, `1` ≠ `1.0`). Where Alloy panics (comparing
 * arrays or objects), profile-relay compares them deeply.
 */
export const combineMaps = rawFunction("array.combine_maps", (args) => {
  if (args.length !== 3 && args.length !== 4) {
    throw new FunctionError(`combine_maps: expected 3 or 4 arguments, got ${args.length}`);
  }
  const sides = [0, 1].map((i) => {
    const list = args[i] as Value;
    if (!Array.isArray(list)) throw new ArgumentError(i, typeMismatch("array", list));
    return (list as readonly Value[]).map((elem, j) => {
      if (!(elem instanceof Map)) throw new ArgumentError(i, typeMismatch("object", elem), `[${j}]`);
      return elem as ObjectValue;
    });
  });
  const conditions = args[2] as Value;
  if (!Array.isArray(conditions)) throw new ArgumentError(2, typeMismatch("array", conditions));
  if (conditions.length === 0) throw new ArgumentError(2, "combine_maps: merge conditions must not be empty");
  let passthrough = false;
  if (args.length === 4) {
    const flag = args[3] as Value;
    if (typeof flag !== "boolean") throw new ArgumentError(3, typeMismatch("bool", flag));
    passthrough = flag;
  }
  const keys = (conditions as readonly Value[]).map((c) => (typeof c === "string" ? c : String(c)));
  const [left = [], right = []] = sides;
  const out: Value[] = [];
  for (const l of left) {
    for (const r of right) {
      if (keys.every((k) => l.has(k) && r.has(k) && strictEqual(l.get(k) as Value, r.get(k) as Value))) {
        out.push(new Map([...l, ...r]));
      } else if (passthrough) {
        out.push(l);
      }
    }
  }
  return out;
});

/** Go's `reflect.Value.Equal` on the values Alloy holds: the same type and, for numbers, the same kind. */
function strictEqual(a: Value, b: Value): boolean {
  if (a instanceof AlloyNumber && b instanceof AlloyNumber) {
    return a.kind === b.kind && a.value === b.value;
  }
  return valuesEqual(a, b);
}

/**
 * `array.group_by(list, key, drop_missing)`: one `{<key> = value, items = [...]}` per distinct string value
 * of `key`, in order of first appearance (Alloy's order is Go map order, i.e. unspecified). Items without
 * the key are dropped, or grouped under `""` when `drop_missing` is false.
 */
export const groupBy = rawFunction("array.group_by", (args) => {
  if (args.length !== 3) throw new FunctionError(`group_by: expected 3 arguments, got ${args.length}`);
  const [list, key, dropMissing] = args as [Value, Value, Value];
  if (!Array.isArray(list)) throw new ArgumentError(0, typeMismatch("array", list));
  if (typeof key !== "string") throw new ArgumentError(1, typeMismatch("string", key));
  if (typeof dropMissing !== "boolean") throw new ArgumentError(2, typeMismatch("bool", dropMissing));
  const groups = new Map<string, Value[]>();
  (list as readonly Value[]).forEach((item, i) => {
    if (!(item instanceof Map)) throw new ArgumentError(0, typeMismatch("object", item), `[${i}]`);
    const value = (item as ObjectValue).get(key);
    let group: string;
    if (value === undefined) {
      if (dropMissing) return;
      group = "";
    } else if (typeof value === "string") {
      group = value;
    } else {
      throw new ArgumentError(0, typeMismatch("string", value), `[${i}].${key}`);
    }
    const items = groups.get(group) ?? [];
    items.push(item);
    groups.set(group, items);
  });
  return [...groups].map(
    ([value, items]) =>
      new Map<string, Value>([
        [key, value],
        ["items", items],
      ]),
  );
});

/** The namespace object. */
export const arrayNamespace: ReadonlyMap<string, Value> = new Map<string, Value>([
  ["concat", concat],
  ["combine_maps", combineMaps],
  ["group_by", groupBy],
]);
