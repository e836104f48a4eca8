import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { attr, block, blocks, body, t } from "../syntax/schema.ts";
import { AlloyFunction, AlloyNumber, Capsule, Secret, type Value } from "../syntax/value.ts";
import { encodeBody, encodeExports, encodeValue } from "./alloyjson.ts";

const endpoint = body({
  url: attr(t.string(), { required: true, doc: "" }),
  remote_timeout: attr(t.duration(), { default: 10_000, doc: "" }),
  bearer_token: attr(t.secret(), { doc: "" }),
  headers: attr(t.map(t.string()), { default: {}, doc: "" }),
});
const schema = body({
  endpoint: blocks(endpoint, { doc: "" }),
  external_labels: attr(t.map(t.string()), { default: {}, doc: "" }),
  forward_to: attr(t.list(t.capsule("pyroscope.Appendable")), { default: [], doc: "" }),
  http: block(body({ listen_port: attr(t.int(), { default: 4040, doc: "" }) }), {
    absent: "defaults",
    doc: "",
  }),
  enabled: attr(t.bool(), { default: true, doc: "" }),
});

describe("encodeBody", () => {
  it("encodes arguments as Alloy's alloyjson, leaving defaults out and hiding secrets", () => {
    const value = {
      endpoint: [
        {
          url: "http://a",
          remote_timeout: 90_000,
          bearer_token: new Secret("hunter2"),
          headers: { "X-B": "2", "X-A": "1" },
        },
        { url: "http://b", remote_timeout: 10_000, bearer_token: undefined, headers: {} },
      ],
      external_labels: {},
      forward_to: [{ push() {} }],
      http: { listen_port: 4040 },
      enabled: false,
    };
    const json = JSON.stringify(encodeBody(schema, value));
    assert.doesNotMatch(json, /hunter2/);
    assert.deepEqual(JSON.parse(json), [
      {
        name: "endpoint",
        type: "block",
        body: [
          { name: "url", type: "attr", value: { type: "string", value: "http://a" } },
          { name: "remote_timeout", type: "attr", value: { type: "string", value: "1m30s" } },
          { name: "bearer_token", type: "attr", value: { type: "capsule", value: "(secret)" } },
          {
            name: "headers",
            type: "attr",
            value: {
              type: "object",
              value: [
                { key: "X-A", value: { type: "string", value: "1" } },
                { key: "X-B", value: { type: "string", value: "2" } },
              ],
            },
          },
        ],
      },
      {
        name: "endpoint",
        type: "block",
        body: [{ name: "url", type: "attr", value: { type: "string", value: "http://b" } }],
      },
      {
        name: "forward_to",
        type: "attr",
        value: { type: "array", value: [{ type: "capsule", value: 'capsule("pyroscope.Appendable")' }] },
      },
      { name: "enabled", type: "attr", value: { type: "bool", value: false } },
    ]);
  });
});

describe("encodeValue", () => {
  it("encodes every kind of Alloy value", () => {
    assert.deepEqual(encodeValue(null), { type: "null", value: null });
    assert.deepEqual(encodeValue(AlloyNumber.int(3n)), { type: "number", value: 3 });
    assert.deepEqual(encodeValue([true, "x"]), {
      type: "array",
      value: [
        { type: "bool", value: true },
        { type: "string", value: "x" },
      ],
    });
    assert.deepEqual(encodeValue(new Map([["b", new Secret("s")]])), {
      type: "object",
      value: [{ key: "b", value: { type: "capsule", value: "(secret)" } }],
    });
    assert.deepEqual(encodeValue(new AlloyFunction("f", () => null)), {
      type: "function",
      value: "function",
    });
  });

  it("encodes exports in the order the component gave them", () => {
    const exports = new Map<string, Value>([
      ["receiver", new Capsule("pyroscope.Appendable", {})],
      ["count", AlloyNumber.int(1n)],
    ]);
    assert.deepEqual(
      encodeExports(exports).map((s) => s.name),
      ["receiver", "count"],
    );
  });
});
