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

function throwsFn(f: () => unknown, message: string): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof FunctionError, String(e));
    assert.equal(e.message, message);
    return true;
  });
}

const i = (n: number | bigint) => AlloyNumber.int(BigInt(n));
const u = (n: bigint) => AlloyNumber.uint(n);
const f = (n: number) => AlloyNumber.float(n);
const obj = (entries: [string, Value][]) => new Map<string, Value>(entries);

test("encoding.from_json decodes every number as a float", () => {
  assert.deepEqual(call("encoding.from_json", '{"foo": "bar"}'), obj([["foo", "bar"]]));
  assert.deepEqual(call("encoding.from_json", "[0, 1, 2]"), [f(0), f(1), f(2)]);
  assert.deepEqual(call("encoding.from_json", '{"foo": null}'), obj([["foo", null]]));
  assert.deepEqual(call("encoding.from_json", "[0, null]"), [f(0), null]);
  assert.deepEqual(
    call("encoding.from_json", ' {"a": {"b": [true, false, -1.5e3]}} '),
    obj([["a", obj([["b", [true, false, f(-1500)]]])]]),
  );
  assert.deepEqual(call("encoding.from_json", '"\\u003c\\ud83d\\ude00\\ud800x"'), "<😀\ufffdx");
  assert.deepEqual(call("encoding.from_json", '{"a": 1, "a": 2}'), obj([["a", f(2)]]));
  assert.deepEqual(call("encoding.from_json", '{"__proto__": 1}'), obj([["__proto__", f(1)]]));
  assert.equal(call("encoding.from_json", "null"), null);
});

test("encoding.from_json errors are Go's", () => {
  const cases: [string, string][] = [
    ["", "unexpected end of JSON input"],
    ["   ", "unexpected end of JSON input"],
    ['{"a": ', "unexpected end of JSON input"],
    ["{b", "invalid character 'b' looking for beginning of object key string"],
    ["{}x", "invalid character 'x' after top-level value"],
    ["{} {}", "invalid character '{' after top-level value"],
    ["[1,]", "invalid character ']' looking for beginning of value"],
    ['{"a" 1}', "invalid character '1' after object key"],
    ['{"a": 1 "b": 2}', "invalid character '\"' after object key:value pair"],
    ["[1 2]", "invalid character '2' after array element"],
    ['"\\x"', "invalid character 'x' in string escape code"],
    ['"\\u12g4"', "invalid character 'g' in \\u hexadecimal character escape"],
    ['"a\nb"', "invalid character '\\n' in string literal"],
    ["-x", "invalid character 'x' in numeric literal"],
    ["1.x", "invalid character 'x' after decimal point in numeric literal"],
    ["1ex", "invalid character 'x' in exponent of numeric literal"],
    ["1.", "invalid character ' ' after decimal point in numeric literal"],
    ["tru", "invalid character ' ' in literal true (expecting 'e')"],
    ["nul", "invalid character ' ' in literal null (expecting 'l')"],
    ["fx", "invalid character 'x' in literal false (expecting 'a')"],
    ["'a'", "invalid character '\\'' looking for beginning of value"],
    ["é", "invalid character 'Ã' looking for beginning of value"],
    ["[1e400]", "json: cannot unmarshal number 1e400 into Go value of type float64"],
  ];
  for (const [text, message] of cases) throwsFn(() => call("encoding.from_json", text), message);
});

test("encoding.to_json encodes objects like Go's json.Marshal", () => {
  assert.equal(
    call(
      "encoding.to_json",
      obj([
        [
          "modules",
          obj([
            [
              "http_2xx",
              obj([
                ["prober", "http"],
                ["timeout", "5s"],
                ["http", obj([["headers", obj([["Authorization", "Hello!"]])]])],
              ]),
            ],
          ]),
        ],
      ]),
    ),
    '{"modules":{"http_2xx":{"http":{"headers":{"Authorization":"Hello!"}},"prober":"http","timeout":"5s"}}}',
  );
  assert.equal(
    call(
      "encoding.to_json",
      obj([
        ["b", "<a&b>"],
        ["a", f(1)],
        ["é", null],
        ["Z", "\u2028\b\f\u0001\u007f"],
      ]),
    ),
    '{"Z":"\\u2028\\b\\f\\u0001\u007f","a":1,"b":"\\u003ca\\u0026b\\u003e","é":null}',
  );
  assert.equal(
    call(
      "encoding.to_json",
      obj([["n", [f(1e21), f(1e-7), f(-0), f(0.000001), f(1.5), i(-3), u(18446744073709551615n), true]]]),
    ),
    '{"n":[1e+21,1e-7,-0,0.000001,1.5,-3,18446744073709551615,true]}',
  );
  assert.equal(call("encoding.to_json", obj([["x", new OptionalSecret("plain", false)]])), '{"x":"plain"}');
  assert.equal(call("encoding.to_json", obj([])), "{}");
  throwsFn(() => call("encoding.to_json", i(12)), "jsonEncode only supports map");
  throwsFn(() => call("encoding.to_json", [obj([])]), "jsonEncode only supports map");
  throwsFn(() => call("encoding.to_json", null), "jsonEncode only supports map");
  throwsFn(() => call("encoding.to_json", obj([["x", f(Number.NaN)]])), "json: unsupported value: NaN");
  throwsFn(
    () => call("encoding.to_json", obj([["x", stdlib.get("coalesce") as Value]])),
    "json: unsupported type: func",
  );
  assert.throws(
    () => call("encoding.to_json", obj([["a", [obj([["pw", new Secret("x")]])]]])),
    (e: unknown) =>
      e instanceof ArgumentError &&
      e.argIndex === 0 &&
      e.path === ".a[0].pw" &&
      e.message === "secrets may not be converted into strings",
  );
});

test("encoding.from_yaml decodes like yaml.v3", () => {
  assert.deepEqual(call("encoding.from_yaml", "foo: bar"), obj([["foo", "bar"]]));
  assert.deepEqual(call("encoding.from_yaml", "[0, 1, 2]"), [i(0), i(1), i(2)]);
  assert.deepEqual(call("encoding.from_yaml", "[0.0, 1.0, 2.0]"), [f(0), f(1), f(2)]);
  assert.deepEqual(call("encoding.from_yaml", "foo: null"), obj([["foo", null]]));
  assert.deepEqual(call("encoding.from_yaml", "[0, null]"), [i(0), null]);
  assert.equal(call("encoding.from_yaml", ""), null);
  assert.equal(call("encoding.from_yaml", "# only a comment\n"), null);
  assert.equal(call("encoding.from_yaml", "a\n---\nb"), "a");
  const scalars: [string, Value][] = [
    ["0777", i(511)],
    ["0o17", i(15)],
    ["0x1F", i(31)],
    ["0b101", i(5)],
    ["1_000", i(1000)],
    ["-12", i(-12)],
    ["+12", i(12)],
    ["18446744073709551615", u(18446744073709551615n)],
    ["08", f(8)],
    ["1e3", f(1000)],
    [".5", f(0.5)],
    ["-.inf", f(Number.NEGATIVE_INFINITY)],
    ["true", true],
    ["False", false],
    ["yes", "yes"],
    ["on", "on"],
    ["~", null],
    ["Null", null],
    ["2001-12-14", "2001-12-14"],
    ["'5'", "5"],
    ['"true"', "true"],
    ["!!str 5", "5"],
    ["!!float 5", f(5)],
    ["!custom 5", "5"],
    ["1.2.3", "1.2.3"],
    ["|\n  text\n", "text\n"],
  ];
  for (const [text, want] of scalars) assert.deepEqual(call("encoding.from_yaml", text), want, text);
  assert.deepEqual(
    call("encoding.from_yaml", "base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\nd: *b\n"),
    obj([
      [
        "base",
        obj([
          ["x", i(1)],
          ["y", i(2)],
        ]),
      ],
      [
        "c",
        obj([
          ["y", i(3)],
          ["x", i(1)],
        ]),
      ],
      [
        "d",
        obj([
          ["x", i(1)],
          ["y", i(2)],
        ]),
      ],
    ]),
  );
  assert.deepEqual(
    call("encoding.from_yaml", "1: a\ntrue: b\n"),
    obj([
      ["1", "a"],
      ["true", "b"],
    ]),
  );
});

test("encoding.from_yaml errors carry Go's prefix", () => {
  throwsFn(
    () => call("encoding.from_yaml", "a: 1\nb: 2\na: 3\n"),
    'yaml: unmarshal errors:\n  line 3: mapping key "a" already defined at line 1',
  );
  assert.throws(
    () => call("encoding.from_yaml", "a: [1, 2\n"),
    (e: unknown) => e instanceof FunctionError && /^yaml: line \d+: /.test(e.message),
  );
  throwsFn(() => call("encoding.from_yaml", "a: *nope\n"), "yaml: unknown anchor 'nope' referenced");
});

test("base64 and URL encodings are Go's", () => {
  assert.equal(call("encoding.from_base64", "Zm9vYmFyMTIzIT8kKiYoKSctPUB+"), "foobar123!?$*&()'-=@~");
  assert.equal(call("encoding.from_URLbase64", "c3RyaW5nMTIzIT8kKiYoKSctPUB-"), "string123!?$*&()'-=@~");
  assert.equal(call("encoding.to_base64", "string123!?$*&()'-=@~"), "c3RyaW5nMTIzIT8kKiYoKSctPUB+");
  assert.equal(call("encoding.to_URLbase64", "string123!?$*&()'-=@~"), "c3RyaW5nMTIzIT8kKiYoKSctPUB-");
  assert.equal(call("encoding.to_base64", "é"), "w6k=");
  assert.equal(call("encoding.from_base64", "w6k="), "é");
  assert.equal(call("encoding.from_base64", "Zm9v\r\nYmFy"), "foobar");
  assert.equal(call("encoding.from_base64", ""), "");
  assert.equal(call("encoding.from_base64", "Zg=="), "f");
  assert.equal(call("encoding.from_base64", "Zm8="), "fo");
  assert.equal(call("encoding.from_base64", "/w=="), "\ufffd"); // a lone 0xff byte read as UTF-8
  const errors: [string, string][] = [
    ["Zm9v!", "illegal base64 data at input byte 4"],
    ["Zm9vYg", "illegal base64 data at input byte 4"],
    ["Zm9vY", "illegal base64 data at input byte 4"],
    ["Zg=", "illegal base64 data at input byte 3"],
    ["Z===", "illegal base64 data at input byte 1"],
    ["Zg==Zg==", "illegal base64 data at input byte 4"],
    ["Zm9v-_==", "illegal base64 data at input byte 4"],
  ];
  for (const [text, message] of errors) throwsFn(() => call("encoding.from_base64", text), message);
  throwsFn(() => call("encoding.from_URLbase64", "Zm9v+/=="), "illegal base64 data at input byte 4");

  assert.equal(
    call("encoding.url_encode", "string123!?$*&()'-=@~"),
    "string123%21%3F%24%2A%26%28%29%27-%3D%40~",
  );
  assert.equal(call("encoding.url_encode", "a b/c_é"), "a+b%2Fc_%C3%A9");
  assert.equal(
    call("encoding.url_decode", "string123%21%3F%24%2A%26%28%29%27-%3D%40~"),
    "string123!?$*&()'-=@~",
  );
  assert.equal(call("encoding.url_decode", "a+b%2fc%C3%A9"), "a b/cé");
  throwsFn(() => call("encoding.url_decode", "%zz"), 'invalid URL escape "%zz"');
  throwsFn(() => call("encoding.url_decode", "abc%"), 'invalid URL escape "%"');
  throwsFn(() => call("encoding.url_decode", "%4"), 'invalid URL escape "%4"');
  throwsFn(() => call("encoding.url_decode", "%aé"), 'invalid URL escape "%a\\xc3"');
});

test("encoding functions convert their argument to a string", () => {
  assert.equal(call("encoding.to_base64", i(1)), "MQ==");
  assert.throws(
    () => call("encoding.from_json", new Secret("{}")),
    (e: unknown) => e instanceof ArgumentError && e.message === "secrets may not be converted into strings",
  );
  throwsFn(() => call("encoding.from_json"), "expected 1 args, got 0");
});
