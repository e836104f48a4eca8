import assert from "node:assert/strict";
import { test } from "node:test";
import { ArgumentError, FunctionError } from "../function-errors.ts";
import { AlloyFunction, AlloyNumber, type ObjectValue, type Value } from "../value.ts";
import { stdlib } from "./index.ts";

function call(path: string, ...args: Value[]): Value {
  let v: Value | undefined = stdlib;
  for (const part of path.split(".")) v = (v as ObjectValue).get(part);
  assert.ok(v instanceof AlloyFunction, path);
  return v.call(args);
}

function throwsArg(f: () => unknown, argIndex: number, message: string, path = ""): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof ArgumentError, String(e));
    assert.deepEqual({ argIndex: e.argIndex, message: e.message, path: e.path }, { argIndex, message, path });
    return true;
  });
}

const i = (n: number) => AlloyNumber.int(BigInt(n));
const f = (n: number) => AlloyNumber.float(n);
const obj = (entries: Record<string, Value>) => new Map<string, Value>(Object.entries(entries));

test("array.concat joins lists and checks every argument", () => {
  assert.deepEqual(call("array.concat", [true, "foo"], [], [false, i(1)]), [true, "foo", false, i(1)]);
  assert.deepEqual(call("array.concat"), []);
  const only = ["x"];
  assert.equal(call("array.concat", only), only);
  throwsArg(() => call("array.concat", [i(1)], i(2)), 1, "should be array, got number");
  throwsArg(() => call("array.concat", null), 0, "should be array, got null");
});

test("array.combine_maps joins on keys (Alloy's test table)", () => {
  const cases: [Value[], Value][] = [
    [[[obj({ a: "a1", b: "b1" })], [obj({ a: "a1", c: "c1" })], ["a"]], [obj({ a: "a1", b: "b1", c: "c1" })]],
    [
      [[obj({ a: "a1", b: "b1" }), obj({ a: "a1", b: "b1" })], [obj({ a: "a1", c: "c1" })], ["a"]],
      [obj({ a: "a1", b: "b1", c: "c1" }), obj({ a: "a1", b: "b1", c: "c1" })],
    ],
    [
      [
        [obj({ pod: "a", lbl: "q" }), obj({ pod: "b", lbl: "q" })],
        [obj({ pod: "c", lbl: "q" }), obj({ pod: "d", lbl: "q" })],
        ["lbl"],
      ],
      [
        obj({ pod: "c", lbl: "q" }),
        obj({ pod: "d", lbl: "q" }),
        obj({ pod: "c", lbl: "q" }),
        obj({ pod: "d", lbl: "q" }),
      ],
    ],
    [[[obj({ a: i(1), b: f(2.2) })], [obj({ a: i(1), b: "3.3" })], ["a"]], [obj({ a: i(1), b: "3.3" })]],
    [[[obj({ a: i(1), b: f(2.2) })], [obj({ a: i(2), b: "3.3" })], ["a"]], []],
    [
      [[obj({ a: i(1), b: f(4.2), c: i(5) }), obj({ d: "asdf" })], [obj({ a: i(2), b: "5.3" })], ["a"], true],
      [obj({ a: i(1), b: f(4.2), c: i(5) }), obj({ d: "asdf" })],
    ],
    [
      [
        [obj({ a: i(1), b: f(4.2), c: i(5) }), obj({ d: "asdf" }), obj({ a: i(2), b: "1", z: "z1" })],
        [obj({ a: i(2), b: "5.3" })],
        ["a"],
        true,
      ],
      [obj({ a: i(1), b: f(4.2), c: i(5) }), obj({ d: "asdf" }), obj({ a: i(2), b: "5.3", z: "z1" })],
    ],
    [[[obj({ a: i(1), b: f(2.2) })], [obj({ a: "1", b: "3.3" })], ["a"]], []],
    [[[obj({ a: i(1) })], [obj({ a: f(1) })], ["a"]], []],
    [
      [[obj({ a: i(1), n: f(1.1) })], [obj({ a: i(1), n: f(2.1) }), obj({ n: f(2.2) })], ["a"]],
      [obj({ a: i(1), n: f(2.1) })],
    ],
    [[[obj({ a: i(1), b: i(3), n: f(1.1) })], [obj({ a: i(1), b: i(3), n: f(2.1) })], ["a", "b", "c"]], []],
    [[[obj({ a: [i(1)] })], [obj({ a: [i(1)], b: "x" })], ["a"]], [obj({ a: [i(1)], b: "x" })]],
  ];
  for (const [args, want] of cases) assert.deepEqual(call("array.combine_maps", ...args), want);
});

test("array.combine_maps errors", () => {
  const left = [obj({ a: "a1", b: "b1" })];
  throwsArg(() => call("array.combine_maps", left, "a", ["a"]), 1, "should be array, got string");
  throwsArg(() => call("array.combine_maps", left, ["a"], ["a"]), 1, "should be object, got string", "[0]");
  throwsArg(
    () => call("array.combine_maps", left, left, []),
    2,
    "combine_maps: merge conditions must not be empty",
  );
  throwsArg(() => call("array.combine_maps", left, left, "a"), 2, "should be array, got string");
  throwsArg(() => call("array.combine_maps", left, left, ["a"], "yes"), 3, "should be bool, got string");
  assert.throws(
    () => call("array.combine_maps", left, left),
    (e: unknown) =>
      e instanceof FunctionError && e.message === "combine_maps: expected 3 or 4 arguments, got 2",
  );
});

test("array.group_by groups by a string key in order of first appearance", () => {
  const fruit = [
    obj({ type: "fruit", name: "apple" }),
    obj({ type: "fruit", name: "banana" }),
    obj({ type: "vegetable", name: "carrot" }),
  ];
  assert.deepEqual(call("array.group_by", fruit, "type", false), [
    obj({ type: "fruit", items: [fruit[0] as Value, fruit[1] as Value] }),
    obj({ type: "vegetable", items: [fruit[2] as Value] }),
  ]);
  const people = [
    obj({ name: "alice", age: "20" }),
    obj({ name: "bob" }),
    obj({ name: "charlie", age: "30" }),
  ];
  assert.deepEqual(call("array.group_by", people, "age", true), [
    obj({ age: "20", items: [people[0] as Value] }),
    obj({ age: "30", items: [people[2] as Value] }),
  ]);
  assert.deepEqual(call("array.group_by", people, "age", false), [
    obj({ age: "20", items: [people[0] as Value] }),
    obj({ age: "", items: [people[1] as Value] }),
    obj({ age: "30", items: [people[2] as Value] }),
  ]);
  assert.deepEqual(call("array.group_by", [], "age", false), []);
  const nested = [obj({ name: "alice", address: obj({ city: "New York" }) })];
  assert.deepEqual(call("array.group_by", nested, "address.city", false), [
    obj({ "address.city": "", items: nested }),
  ]);
});

test("array.group_by errors", () => {
  assert.throws(
    () => call("array.group_by", [obj({ name: "alice" })], "age"),
    (e: unknown) => e instanceof FunctionError && e.message === "group_by: expected 3 arguments, got 2",
  );
  throwsArg(() => call("array.group_by", "not an array", "age", false), 0, "should be array, got string");
  throwsArg(
    () => call("array.group_by", [obj({ name: "alice" })], i(123), false),
    1,
    "should be string, got number",
  );
  throwsArg(
    () => call("array.group_by", [obj({ name: "alice" })], "age", "not a bool"),
    2,
    "should be bool, got string",
  );
  throwsArg(
    () => call("array.group_by", ["not an object"], "age", false),
    0,
    "should be object, got string",
    "[0]",
  );
  throwsArg(
    () => call("array.group_by", [obj({ name: "alice", age: i(20) })], "age", false),
    0,
    "should be string, got number",
    "[0].age",
  );
});
