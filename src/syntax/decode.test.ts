import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { BlockStmt } from "./ast.ts";
import { decodeBody, defaultsOf } from "./decode.ts";
import { type Diagnostic, diagnosticOneLine } from "./diagnostics.ts";
import { parseFile } from "./parser.ts";
import { attr, type BodySchema, block, blocks, body, type Fields, t, type ValueType } from "./schema.ts";
import { AlloyNumber, Capsule, OptionalSecret, Secret, type Value } from "./value.ts";

const FILE = "test.alloy";

function decode<F extends Fields>(
  schema: BodySchema<F>,
  source: string,
  scope: Map<string, Value> = new Map(),
) {
  const { file, diagnostics } = parseFile(source, FILE);
  assert.deepEqual(diagnostics.map(diagnosticOneLine), []);
  const b = file.body[0] as BlockStmt;
  return decodeBody(schema, b.body, { scope, file: FILE, block: b });
}

function messages(r: { diagnostics: readonly Diagnostic[] }): string[] {
  return r.diagnostics.map(diagnosticOneLine);
}

const end = (d: Diagnostic | undefined) => `${d?.end?.line}:${d?.end?.column}`;

const simple = body({
  number: attr(t.number(), { required: true, doc: "" }),
  string: attr(t.string(), { default: "dflt", doc: "" }),
  optional: attr(t.bool(), { doc: "" }),
});

describe("attributes", () => {
  test("decode, with defaults for the absent ones", () => {
    const r = decode(simple, "blk {\n  number = 15\n}");
    assert.deepEqual(messages(r), []);
    assert.deepEqual(r.value, { number: 15, string: "dflt", optional: undefined });
  });

  test("an attribute given twice", () => {
    const r = decode(simple, "blk {\n  number = 1\n  number = 2\n}");
    assert.deepEqual(messages(r), ['test.alloy:3:3: attribute "number" may only be provided once']);
    assert.equal(end(r.diagnostics[0]), "3:12");
    assert.equal(r.value, undefined);
  });

  test("an unknown attribute covers the whole statement", () => {
    const r = decode(simple, 'blk {\n  number  = 15\n  invalid = "This attribute does not exist!"\n}');
    assert.deepEqual(messages(r), ['test.alloy:3:3: unrecognized attribute name "invalid"']);
    assert.equal(end(r.diagnostics[0]), "3:44");
  });

  test("an attribute used as a block", () => {
    const r = decode(simple, "blk {\n  number {}\n}");
    assert.deepEqual(messages(r), [
      'test.alloy:2:3: "number" must be an attribute, but is used as a block',
      'test.alloy:1:1: missing required attribute "number"',
    ]);
  });

  test("a missing required attribute is positioned on the block", () => {
    const r = decode(simple, 'blk {\n  string = "x"\n}');
    assert.deepEqual(messages(r), ['test.alloy:1:1: missing required attribute "number"']);
    assert.equal(end(r.diagnostics[0]), "3:1");
  });

  test("without an enclosing block a missing attribute has no position", () => {
    const { file } = parseFile('string = "x"', FILE);
    const r = decodeBody(simple, file.body, { scope: new Map(), file: FILE });
    assert.deepEqual(messages(r), ['test.alloy: missing required attribute "number"']);
  });

  test("null sets the zero value, not the default, and satisfies a required attribute", () => {
    const r = decode(simple, "blk {\n  number = null\n  string = null\n  optional = null\n}");
    assert.deepEqual(messages(r), []);
    assert.deepEqual(r.value, { number: 0, string: "", optional: false });
  });

  test("wrong types are reported at the value", () => {
    const schema = body({ forward_to: attr(t.list(t.string()), { required: true, doc: "" }) });
    const r = decode(schema, 'blk {\n  forward_to = "wrong"\n}');
    assert.deepEqual(messages(r), ['test.alloy:2:16: "wrong" should be array, got string']);
    assert.equal(end(r.diagnostics[0]), "2:22");
  });

  test("a wrong element is reported at the element", () => {
    const schema = body({ list: attr(t.list(t.string()), { required: true, doc: "" }) });
    const r = decode(schema, 'blk {\n  list = ["a", 1, true]\n}');
    assert.deepEqual(messages(r), ["test.alloy:2:19: true should be string, got bool"]);
  });

  // vm_errors_test.go TestVM_ExprErrors
  const nested = body({ key: attr(t.map(t.map(t.list(t.number()))), { required: true, doc: "" }) });

  test("a deeply nested literal", () => {
    const src = 'blk {\n  key = {\n    object = {\n      field1 = [15, 30, "Hello, world!"],\n    },\n  }\n}';
    assert.deepEqual(messages(decode(nested, src)), [
      'test.alloy:4:25: "Hello, world!" should be number, got string',
    ]);
  });

  test("a deeply nested value reached through a reference", () => {
    const keyValue = new Map([
      [
        "object",
        new Map([["field1", [AlloyNumber.int(15n), AlloyNumber.int(30n), "Hello, world!"] as Value]]),
      ],
    ]);
    const r = decode(nested, "blk {\n  key = key_value\n}", new Map([["key_value", keyValue]]));
    assert.deepEqual(messages(r), [
      "test.alloy:2:9: key_value.object.field1[2] should be number, got string",
    ]);
  });

  test("a complex expression is printed whole", () => {
    const schema = body({ key: attr(t.string(), { required: true, doc: "" }) });
    assert.deepEqual(messages(decode(schema, "blk {\n  key = [0, 1, 2]\n}")), [
      "test.alloy:2:9: [0, 1, 2] should be string, got array",
    ]);
  });

  test("evaluation errors are collected with the others", () => {
    const r = decode(simple, 'blk {\n  number = nope\n  string = 1 + "a"\n  extra = 1\n}');
    assert.deepEqual(messages(r), [
      'test.alloy:2:12: identifier "nope" does not exist',
      'test.alloy:3:16: "a" should be number, got string',
      'test.alloy:4:3: unrecognized attribute name "extra"',
    ]);
  });

  test("deprecated stdlib references are returned as warnings, and the value is kept", () => {
    const r = decode(simple, 'blk {\n  number = 1\n  string = to_upper("a")\n}');
    assert.deepEqual(messages(r), [
      "test.alloy:3:12: this stdlib function is deprecated; please refer to the documentation for updated usage and alternatives",
    ]);
    assert.equal(r.diagnostics[0]?.severity, "warning");
    assert.deepEqual(r.value, { number: 1, string: "A", optional: undefined });
  });

  test("experimental functions follow the evaluation options", () => {
    const schema = body({ v: attr(t.any(), { doc: "" }) });
    const { file } = parseFile('blk {\n  v = array.combine_maps([], [], ["a"])\n}', FILE);
    const b = file.body[0] as BlockStmt;
    const denied = decodeBody(schema, b.body, { scope: new Map(), file: FILE, block: b });
    assert.match(messages(denied)[0] ?? "", /^test\.alloy:2:7: array\.combine_maps is at stability level/);
    const allowed = decodeBody(schema, b.body, {
      scope: new Map(),
      file: FILE,
      block: b,
      evalOptions: { allowExperimental: true },
    });
    assert.deepEqual(messages(allowed), []);
  });
});

describe("value types", () => {
  const one = <T>(type: ValueType<T>, src: string, scope?: Map<string, Value>) =>
    decode(body({ v: attr(type, { doc: "" }) }), `blk {\n  v = ${src}\n}`, scope);
  const ok = <T>(type: ValueType<T>, src: string, scope?: Map<string, Value>) => {
    const r = one(type, src, scope);
    assert.deepEqual(messages(r), []);
    return (r.value as { v: unknown }).v;
  };
  const fails = <T>(type: ValueType<T>, src: string, scope?: Map<string, Value>) =>
    messages(one(type, src, scope));

  test("string", () => {
    assert.equal(ok(t.string(), "1e21"), "1000000000000000000000");
    assert.equal(ok(t.string(), "0.5"), "0.5");
    assert.equal(ok(t.string(), "x", new Map([["x", new OptionalSecret("plain", false)]])), "plain");
    assert.deepEqual(fails(t.string(), "true"), ["test.alloy:2:7: true should be string, got bool"]);
    assert.deepEqual(fails(t.string(), "s", new Map([["s", new Secret("x")]])), [
      "test.alloy:2:7: s secrets may not be converted into strings",
    ]);
  });

  test("number and int from strings", () => {
    assert.equal(ok(t.number(), '"9999"'), 9999);
    assert.equal(ok(t.number(), '"1.5e3"'), 1500);
    assert.equal(ok(t.int(), '"-12"'), -12);
    assert.equal(ok(t.int(), "3.0"), 3);
    assert.deepEqual(fails(t.number(), '"http"'), ['test.alloy:2:7: "http" should be number, got string']);
    assert.deepEqual(fails(t.number(), '""'), ['test.alloy:2:7: "" should be number, got string']);
    assert.deepEqual(fails(t.number(), '"-1.5"'), ['test.alloy:2:7: "-1.5" should be number, got string']);
    assert.deepEqual(fails(t.int(), "1.5"), ["test.alloy:2:7: 1.5 should be a whole number"]);
  });

  test("bool converts from nothing else", () => {
    assert.equal(ok(t.bool(), "true"), true);
    assert.deepEqual(fails(t.bool(), '"true"'), ['test.alloy:2:7: "true" should be bool, got string']);
  });

  test("duration", () => {
    assert.equal(ok(t.duration(), '"1h30m"'), 5_400_000);
    assert.equal(ok(t.duration(), '"500ms"'), 500);
    assert.equal(ok(t.duration(), "0"), 0);
    assert.deepEqual(fails(t.duration(), '"1d"'), [
      'test.alloy:2:7: "1d" time: unknown unit "d" in duration "1d"',
    ]);
    assert.deepEqual(fails(t.duration(), "30"), ['test.alloy:2:7: 30 time: missing unit in duration "30"']);
  });

  test("size", () => {
    assert.equal(ok(t.size(), "1024"), 1024);
    assert.equal(ok(t.size(), '"1KiB"'), 1024);
    assert.equal(ok(t.size(), '"256MiB"'), 268_435_456);
    assert.equal(fails(t.size(), '"lots"').length, 1);
    assert.match(fails(t.size(), '"lots"')[0] ?? "", /^test\.alloy:2:7: "lots" invalid size "lots": /);
    assert.match(
      fails(t.size(), "-1")[0] ?? "",
      /^test\.alloy:2:7: -1 invalid size "-1": a size cannot be negative/,
    );
  });

  test("secret", () => {
    const s = ok(t.secret(), '"hunter2"');
    assert.ok(s instanceof Secret);
    assert.equal(s.reveal(), "hunter2");
    const kept = new Secret("k");
    assert.equal(ok(t.secret(), "x", new Map([["x", kept]])), kept);
    const fromOptional = ok(t.secret(), "x", new Map([["x", new OptionalSecret("o", true)]]));
    assert.ok(fromOptional instanceof Secret && fromOptional.reveal() === "o");
    assert.deepEqual(fails(t.secret(), "1"), ["test.alloy:2:7: 1 should be capsule, got number"]);
  });

  test("enum", () => {
    assert.equal(ok(t.enum("a", "b"), '"b"'), "b");
    assert.deepEqual(fails(t.enum("a", "b"), '"x"'), ['test.alloy:2:7: "x" should be one of ["a" "b"]']);
  });

  test("capsule", () => {
    const receiver = new Capsule("pyroscope.Appendable", { name: "r" });
    const scope = new Map<string, Value>([
      ["r", receiver],
      ["other", new Capsule("other.Type", {})],
      ["s", new Secret("x")],
    ]);
    const type = t.list(t.capsule("pyroscope.Appendable"));
    assert.deepEqual(ok(type, "[r, r]", scope), [receiver.value, receiver.value]);
    assert.deepEqual(fails(type, '[r, "oops"]', scope), [
      'test.alloy:2:11: "oops" should be capsule, got string',
    ]);
    assert.deepEqual(fails(type, "[other]", scope), [
      'test.alloy:2:8: other expected capsule("pyroscope.Appendable"), got capsule("other.Type")',
    ]);
    assert.deepEqual(fails(type, "[s]", scope), [
      'test.alloy:2:8: s expected capsule("pyroscope.Appendable"), got capsule("alloytypes.Secret")',
    ]);
  });

  test("map gives a null-prototype object", () => {
    const v = ok(t.map(t.string()), '{ a = "x", "b.c" = 1, "__proto__" = "p" }') as Record<string, string>;
    assert.equal(Object.getPrototypeOf(v), null);
    assert.deepEqual({ ...v }, { a: "x", "b.c": "1", ["__proto__"]: "p" });
    assert.deepEqual(fails(t.map(t.string()), '{ a = "x", b = false }'), [
      "test.alloy:2:22: false should be string, got bool",
    ]);
    assert.deepEqual(fails(t.map(t.string()), "[]"), ["test.alloy:2:7: [] should be object, got array"]);
  });

  test("map(list(secret))", () => {
    const v = ok(t.map(t.list(t.secret())), '{ "X-Key" = ["a", "b"] }') as Record<string, Secret[]>;
    assert.deepEqual(
      v["X-Key"]?.map((s) => s.reveal()),
      ["a", "b"],
    );
  });

  test("any keeps the Alloy value", () => {
    const v = ok(t.any(), "[1, { a = 2 }]") as Value[];
    assert.ok(v[0] instanceof AlloyNumber);
    assert.ok(v[1] instanceof Map);
  });

  test("null elements take the element's zero value", () => {
    assert.deepEqual(ok(t.list(t.number()), "[1, null]"), [1, 0]);
  });
});

describe("blocks", () => {
  const server = body({
    listen_address: attr(t.string(), { default: "", doc: "" }),
    listen_port: attr(t.number(), { default: 8080, doc: "" }),
  });
  const endpoint = body({
    url: attr(t.string(), { required: true, doc: "" }),
    name: attr(t.string(), { default: "", doc: "" }),
  });
  const args = body({
    http: block(server, { absent: "defaults", doc: "" }),
    tls: block(body({ cert: attr(t.string(), { doc: "" }) }), { doc: "" }),
    endpoint: blocks(endpoint, { doc: "" }),
  });

  test("absent blocks take their defaults, or undefined", () => {
    const r = decode(args, "c {\n}");
    assert.deepEqual(messages(r), []);
    assert.deepEqual(r.value, {
      http: { listen_address: "", listen_port: 8080 },
      tls: undefined,
      endpoint: [],
    });
  });

  test("a present block keeps defaults for omitted fields; repeated blocks become a list in order", () => {
    const src =
      'c {\n  http {\n    listen_port = 9999\n  }\n  endpoint { url = "a" }\n  endpoint { url = "b" }\n}';
    const r = decode(args, src);
    assert.deepEqual(messages(r), []);
    assert.deepEqual(r.value, {
      http: { listen_address: "", listen_port: 9999 },
      tls: undefined,
      endpoint: [
        { url: "a", name: "" },
        { url: "b", name: "" },
      ],
    });
  });

  test("defaults are not shared between decodes", () => {
    const listy = body({ l: attr(t.list(t.string()), { default: ["x"], doc: "" }) });
    const a = decode(listy, "c {\n}").value as { l: string[] };
    a.l.push("y");
    assert.deepEqual((decode(listy, "c {\n}").value as { l: string[] }).l, ["x"]);
    assert.deepEqual(defaultsOf(args).http, { listen_address: "", listen_port: 8080 });
  });

  test("a block given twice is reported on each occurrence", () => {
    const r = decode(args, "c {\n  http {}\n  http {}\n}");
    assert.deepEqual(messages(r), [
      'test.alloy:2:3: block "http" may only be specified once',
      'test.alloy:3:3: block "http" may only be specified once',
    ]);
  });

  test("unknown blocks and blocks used as attributes", () => {
    const r = decode(args, "c {\n  endpont {}\n  http = 1\n}");
    assert.deepEqual(messages(r), [
      'test.alloy:2:3: unrecognized block name "endpont"',
      'test.alloy:3:3: "http" must be a block, but is used as an attribute',
    ]);
    assert.equal(end(r.diagnostics[0]), "2:12");
  });

  test("labels are refused on blocks that take none", () => {
    const r = decode(args, 'c {\n  http "x" {}\n}');
    assert.deepEqual(messages(r), ['test.alloy:2:3: block "http" does not support specifying labels']);
    assert.equal(end(r.diagnostics[0]), "2:12");
  });

  test("errors inside nested blocks are positioned on them", () => {
    const r = decode(args, 'c {\n  endpoint {\n    name = "x"\n  }\n  endpoint { url = true }\n}');
    assert.deepEqual(messages(r), [
      'test.alloy:2:3: missing required attribute "url"',
      "test.alloy:5:20: true should be string, got bool",
    ]);
  });

  test("a missing required block", () => {
    const schema = body({ tls: block(body({}), { required: true, doc: "" }) });
    assert.deepEqual(messages(decode(schema, "c {\n}")), ['test.alloy:1:1: missing required block "tls"']);
    assert.deepEqual(messages(decode(schema, "c {\n  tls {}\n}")), []);
  });

  test("dotted block names", () => {
    const schema = body({
      "profile.fgprof": block(body({ enabled: attr(t.bool(), { doc: "" }) }), { doc: "" }),
    });
    const r = decode(schema, "c {\n  profile.fgprof { enabled = true }\n}");
    assert.deepEqual(messages(r), []);
    assert.deepEqual(r.value, { "profile.fgprof": { enabled: true } });
  });

  test("names inherited from Object.prototype are not fields", () => {
    assert.deepEqual(messages(decode(args, "c {\n  toString = 1\n  constructor {}\n}")), [
      'test.alloy:2:3: unrecognized attribute name "toString"',
      'test.alloy:3:3: unrecognized block name "constructor"',
    ]);
  });
});

describe("validate", () => {
  const schema = body(
    {
      a: attr(t.string(), { default: "", doc: "" }),
      b: attr(t.string(), { default: "", doc: "" }),
    },
    {
      validate: (v) => {
        const issues = [];
        if (v.a !== "" && v.b !== "") issues.push({ message: "at most one of a & b must be configured" });
        if (v.a === "bad") issues.push({ message: "a is bad", field: "a" });
        return issues;
      },
    },
  );

  test("issues become errors on the block or on the named attribute", () => {
    const r = decode(schema, 'c {\n  b = "x"\n  a = "bad"\n}');
    assert.deepEqual(messages(r), [
      "test.alloy:1:1: at most one of a & b must be configured",
      "test.alloy:3:3: a is bad",
    ]);
    assert.equal(r.value, undefined);
  });

  test("validation runs only once the body decodes cleanly", () => {
    const r = decode(schema, 'c {\n  b = "x"\n  a = "bad"\n  c = 1\n}');
    assert.deepEqual(messages(r), ['test.alloy:4:3: unrecognized attribute name "c"']);
  });

  test("nested bodies are validated too", () => {
    const outer = body({ inner: block(schema, { doc: "" }) });
    assert.deepEqual(messages(decode(outer, 'c {\n  inner {\n    a = "bad"\n  }\n}')), [
      "test.alloy:3:5: a is bad",
    ]);
  });
});
