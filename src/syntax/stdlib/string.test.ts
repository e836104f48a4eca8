import assert from "node:assert/strict";
import { test } from "node:test";
import { ArgumentError, FunctionError } from "../function-errors.ts";
import {
  AlloyFunction,
  AlloyNumber,
  type ObjectValue,
  OptionalSecret,
  Secret,
  type Value,
} from "../value.ts";
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

function throwsFn(f: () => unknown, message: string): void {
  assert.throws(f, (e: unknown) => e instanceof FunctionError && e.message === message);
}

const i = (n: number) => AlloyNumber.int(BigInt(n));
const f = (n: number) => AlloyNumber.float(n);
const secret = new Secret("hunter2");

test("string.format is Go's Sprintf and refuses secrets", () => {
  assert.equal(call("string.format", "Hello %s", "World"), "Hello World");
  assert.equal(call("string.format", "%#v", i(1)), "1");
  assert.equal(call("string.format", "%#v", true), "true");
  assert.equal(call("string.format", "%q", "hello"), '"hello"');
  assert.equal(call("string.format", "%d", f(4.5)), "%!d(float64=4.5)");
  assert.equal(call("string.format", "%s", i(4)), "%!s(int=4)");
  assert.equal(call("string.format", "%s"), "%!s(MISSING)");
  assert.equal(call("string.format", "a", "b"), "a%!(EXTRA string=b)");
  assert.equal(call("string.format", "%s", null), "%!s(<nil>)");
  assert.equal(call("string.format", "%v", [i(1), "a", true]), "[1 a true]");
  assert.equal(
    call(
      "string.format",
      "%v",
      new Map<string, Value>([
        ["b", i(1)],
        ["a", "x"],
      ]),
    ),
    "map[a:x b:1]",
  );
  assert.equal(call("string.format", i(5)), "5"); // the format is a string parameter
  assert.equal(call("string.format", "%s", new OptionalSecret("ok", false)), "ok");
  throwsFn(() => call("string.format"), "expected at least 1 args, got 0");
  throwsArg(() => call("string.format", "%s", secret), 1, "secrets may not be converted into strings");
  throwsArg(
    () => call("string.format", "%v", "x", [i(1), secret]),
    2,
    "secrets may not be converted into strings",
    "[1]",
  );
  throwsArg(
    () => call("string.format", "%v", new Map([["pw", new OptionalSecret("x", true)]])),
    1,
    "secrets may not be converted into strings",
    ".pw",
  );
  throwsArg(() => call("string.format", true), 0, "should be string, got bool");
  throwsArg(() => call("string.format", secret), 0, "secrets may not be converted into strings");
});

test("string.join converts elements to strings", () => {
  assert.equal(call("string.join", ["foo", "bar", "baz"], ", "), "foo, bar, baz");
  assert.equal(call("string.join", [i(0), i(0), i(1)], ", "), "0, 0, 1");
  assert.equal(call("string.join", [i(1), f(2.5), "x"], ","), "1,2.5,x");
  assert.equal(call("string.join", [f(1e21)], ""), "1000000000000000000000");
  assert.equal(call("string.join", [null, "a"], "-"), "-a");
  assert.equal(call("string.join", null, ","), "");
  assert.equal(call("string.join", ["a", "b"], i(0)), "a0b");
  throwsArg(() => call("string.join", [true], ","), 0, "should be string, got bool", "[0]");
  throwsArg(
    () => call("string.join", ["a", secret], ","),
    0,
    "secrets may not be converted into strings",
    "[1]",
  );
  throwsArg(() => call("string.join", "a", ","), 0, "should be array, got string");
  throwsFn(() => call("string.join", ["a"]), "expected 2 args, got 1");
});

test("string.replace, split and trims follow Go's strings package", () => {
  const cases: [string, Value[], Value][] = [
    ["string.replace", ["Hello World", " World", "!"], "Hello!"],
    ["string.replace", ["aaa", "", "-"], "-a-a-a-"],
    ["string.replace", ["", "", "-"], "-"],
    ["string.replace", ["a😀", "", "."], ".a.😀."],
    ["string.replace", ["banana", "a", "o"], "bonono"],
    ["string.split", ["/aaa/bbb/ccc/ddd", "/"], ["", "aaa", "bbb", "ccc", "ddd"]],
    ["string.split", ["", ","], [""]],
    ["string.split", ["abc", ""], ["a", "b", "c"]],
    ["string.split", ["a😀b", ""], ["a", "😀", "b"]],
    ["string.split", ["", ""], []],
    ["string.split", ["a,b,", ","], ["a", "b", ""]],
    ["string.trim", ["?!hello?!", "!?"], "hello"],
    ["string.trim", ["   hello! world.!  ", "! "], "hello! world."],
    ["string.trim", ["xx", ""], "xx"],
    ["string.trim", ["😀a😀", "😀"], "a"],
    ["string.trim_prefix", ["helloworld", "hello"], "world"],
    ["string.trim_prefix", ["helloworld", "world"], "helloworld"],
    ["string.trim_prefix", ["aaa", "a"], "aa"],
    ["string.trim_suffix", ["helloworld", "world"], "hello"],
    ["string.trim_suffix", ["helloworld", ""], "helloworld"],
    ["string.trim_space", ["   string \n\n"], "string"],
    ["string.trim_space", ["\u00a0\u2003x\u0085"], "x"],
    ["string.trim_space", ["\ufeffx"], "\ufeffx"],
  ];
  for (const [name, args, want] of cases)
    assert.deepEqual(call(name, ...args), want, `${name}(${args.join(", ")})`);
});

test("string.to_upper and to_lower map rune by rune like Go", () => {
  const cases: [string, string, string][] = [
    ["string.to_upper", "string", "STRING"],
    ["string.to_upper", "ß", "ß"],
    ["string.to_upper", "straße", "STRAßE"],
    ["string.to_upper", "ﬁ", "ﬁ"],
    ["string.to_upper", "ᾳ", "ᾼ"],
    ["string.to_upper", "ǅ", "Ǆ"],
    ["string.to_upper", "éa1", "ÉA1"],
    ["string.to_lower", "String", "string"],
    ["string.to_lower", "İ", "i"],
    ["string.to_lower", "ΟΔΟΣ", "οδοσ"],
    ["string.to_lower", "ÀB", "àb"],
  ];
  for (const [name, input, want] of cases) assert.equal(call(name, input), want, `${name}(${input})`);
  assert.equal(call("string.to_upper", i(1)), "1");
  assert.equal(call("string.to_upper", null), "");
  throwsArg(() => call("string.to_upper", secret), 0, "secrets may not be converted into strings");
  throwsArg(() => call("string.to_upper", [i(1)]), 0, "should be string, got array");
  assert.equal(call("string.to_upper", new OptionalSecret("ab", false)), "AB");
  throwsArg(
    () => call("string.to_upper", new OptionalSecret("ab", true)),
    0,
    "secrets may not be converted into strings",
  );
});
