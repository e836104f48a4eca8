import assert from "node:assert/strict";
import { test } from "node:test";
import { ArgumentError, FunctionError } from "../function-errors.ts";
import {
  AlloyFunction,
  AlloyNumber,
  Capsule,
  type ObjectValue,
  OptionalSecret,
  Secret,
  type Value,
} from "../value.ts";
import { goArch, goOS, normalizeVersion } from "./constants.ts";
import { cleanPath } from "./file.ts";
import { DEPRECATED_FUNCTIONS, EXPERIMENTAL_FUNCTIONS, stdlib, stdlibNames } from "./index.ts";

function lookup(path: string): Value | undefined {
  let v: Value | undefined = stdlib;
  for (const part of path.split(".")) v = (v as ObjectValue).get(part);
  return v;
}

function call(path: string, ...args: Value[]): Value {
  const fn = lookup(path);
  assert.ok(fn instanceof AlloyFunction, path);
  return fn.call(args);
}

const i = (n: number) => AlloyNumber.int(BigInt(n));
const f = (n: number) => AlloyNumber.float(n);

test("the root object has every namespace and alias", () => {
  assert.deepEqual([...stdlib.keys()].sort(), [
    "array",
    "base64_decode",
    "coalesce",
    "concat",
    "constants",
    "convert",
    "encoding",
    "env",
    "file",
    "format",
    "join",
    "json_decode",
    "nonsensitive",
    "replace",
    "split",
    "string",
    "sys",
    "to_lower",
    "to_upper",
    "trim",
    "trim_prefix",
    "trim_space",
    "trim_suffix",
    "yaml_decode",
  ]);
  for (const alias of DEPRECATED_FUNCTIONS) assert.ok(lookup(alias) instanceof AlloyFunction, alias);
  for (const name of EXPERIMENTAL_FUNCTIONS) assert.ok(lookup(name) instanceof AlloyFunction, name);
  assert.equal(lookup("json_decode"), lookup("encoding.from_json"));
  assert.equal(lookup("env"), lookup("sys.env"));
  assert.equal(stdlibNames.has("sys"), true);
  assert.equal(stdlibNames.has("pyroscope"), false);
  assert.equal(stdlibNames.isDeprecated("env"), true);
  assert.equal(stdlibNames.isDeprecated("sys"), false);
  assert.equal(stdlibNames.isExperimental("array.group_by"), true);
  assert.equal(stdlibNames.isExperimental("array.concat"), false);
});

test("sys.env reads the environment; its argument is a string", () => {
  process.env["PROFILE_RELAY_STDLIB_TEST"] = "Hello!";
  process.env["1"] = "one";
  try {
    assert.equal(call("sys.env", "PROFILE_RELAY_STDLIB_TEST"), "Hello!");
    assert.equal(call("env", "PROFILE_RELAY_STDLIB_TEST"), "Hello!");
    assert.equal(call("sys.env", "PROFILE_RELAY_STDLIB_TEST_UNSET"), "");
    assert.equal(call("sys.env", i(1)), "one");
    assert.equal(call("sys.env", null), "");
  } finally {
    delete process.env["PROFILE_RELAY_STDLIB_TEST"];
    delete process.env["1"];
  }
  assert.throws(
    () => call("sys.env"),
    (e: unknown) => e instanceof FunctionError && e.message === "expected 1 args, got 0",
  );
  assert.throws(() => call("sys.env", "a", "b"), { message: "expected 1 args, got 2" });
  assert.throws(
    () => call("sys.env", true),
    (e: unknown) => e instanceof ArgumentError && e.message === "should be string, got bool",
  );
});

test("constants use Go's names", () => {
  const constants = stdlib.get("constants") as ObjectValue;
  assert.deepEqual([...constants.keys()], ["hostname", "os", "arch", "version"]);
  assert.equal(constants.get("version"), "v0.1.0");
  assert.equal(typeof constants.get("hostname"), "string");
  assert.equal(goOS("linux"), "linux");
  assert.equal(goOS("win32"), "windows");
  assert.equal(goOS("darwin"), "darwin");
  assert.equal(goArch("x64"), "amd64");
  assert.equal(goArch("arm64"), "arm64");
  assert.equal(goArch("ia32"), "386");
  assert.equal(normalizeVersion(""), "v0.0.0");
  assert.equal(normalizeVersion(" 1.2.3 "), "v1.2.3");
  assert.equal(normalizeVersion("v1.2"), "v1.2.0");
  assert.equal(normalizeVersion("1.19.0-rc.3"), "v1.19.0-rc.3");
  assert.equal(normalizeVersion("devel"), "devel");
});

test("coalesce returns the first non-empty argument, else the last", () => {
  const secret = new Secret("s");
  const cases: [Value[], Value][] = [
    [[], null],
    [["Hello!"], "Hello!"],
    [["", "World!"], "World!"],
    [[[], ["fallback"]], ["fallback"]],
    [[["item"], ["fallback"]], ["item"]],
    [[i(0), i(1), i(2)], i(1)],
    [[false, i(1), i(2)], i(1)],
    [[false, true], true],
    [[new Map(), true], true],
    [[new Map(), false], false],
    [[[], null], null],
    [[i(0), false], false],
    [["", [], new Map()], new Map()],
    [[f(0), "x"], "x"],
    [[f(-0), "x"], f(-0)],
    [[null, secret], secret],
    [[secret, "x"], secret],
    [[new Secret(""), "x"], "x"],
    [[new OptionalSecret("", false), "x"], "x"],
  ];
  for (const [args, want] of cases) assert.deepEqual(call("coalesce", ...args), want);
  const opt = new OptionalSecret("bar", false);
  assert.equal(call("coalesce", opt, i(1)), opt);
  assert.equal(call("coalesce", new Capsule("discovery.Target", new Map()), "x"), "x");
});

test("convert.nonsensitive reveals secrets and nothing else", () => {
  assert.equal(call("convert.nonsensitive", new Secret("foo")), "foo");
  assert.equal(call("nonsensitive", new Secret("foo")), "foo");
  assert.equal(call("convert.nonsensitive", new OptionalSecret("bar", true)), "bar");
  assert.equal(call("convert.nonsensitive", "plain"), "plain");
  assert.equal(call("convert.nonsensitive", null), "");
  const wrong: [Value, string][] = [
    [i(1), "should be capsule, got number"],
    [true, "should be capsule, got bool"],
    [
      new Capsule("pyroscope.Appendable", {}),
      'expected capsule("alloytypes.Secret"), got capsule("pyroscope.Appendable")',
    ],
  ];
  for (const [arg, message] of wrong) {
    assert.throws(
      () => call("convert.nonsensitive", arg),
      (e: unknown) => e instanceof ArgumentError && e.argIndex === 0 && e.message === message,
    );
  }
});

test("file.path_join is Go's filepath.Join", () => {
  const cases: [Value[], string][] = [
    [["this/is", "a/path"], "this/is/a/path"],
    [[], ""],
    [["", ""], ""],
    [["/a", "../b", "c/"], "/b/c"],
    [["a", "", "b"], "a/b"],
    [["a/", "/b/"], "a/b"],
    [["../..", "x"], "../../x"],
    [["/", ".."], "/"],
    [["./a/./b"], "a/b"],
    [["a", "../.."], ".."],
    [[i(1), "x"], "1/x"],
  ];
  for (const [args, want] of cases) assert.equal(call("file.path_join", ...args), want, String(args));
  assert.equal(cleanPath(""), ".");
  assert.equal(cleanPath("//a//b/"), "/a/b");
  assert.throws(
    () => call("file.path_join", "a", true),
    (e: unknown) => e instanceof ArgumentError && e.argIndex === 1,
  );
});
