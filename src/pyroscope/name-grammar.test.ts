import assert from "node:assert/strict";
import { test } from "node:test";
import { Labels } from "./labels.ts";
import { formatName, labelNameError, parseName, serviceNameError } from "./name-grammar.ts";

const parsed: [input: string, labels: Record<string, string>][] = [
  ["foo", { __name__: "foo" }],
  ["foo{}", { __name__: "foo" }],
  ["foo{bar=1,baz=2}", { __name__: "foo", bar: "1", baz: "2" }],
  [" foo { bar = 1 , baz = 2 } ", { __name__: "foo", bar: "1", baz: "2" }],
  ["test.app{env=prod,region=us-east}", { __name__: "test.app", env: "prod", region: "us-east" }],
  ["my-ns/svc_1.cpu{}", { __name__: "my-ns/svc_1.cpu" }],
  // a brace section without `=` is ignored
  ["test.app{invalid-label-syntax}", { __name__: "test.app" }],
  ["app{a}", { __name__: "app" }],
  // a pair is committed only at `,` or `}`
  ["app{a=b", { __name__: "app" }],
  ["app{a=1,b=2", { __name__: "app", a: "1" }],
  ["app{a=b,}", { __name__: "app", a: "b" }],
  // a `}` that ends a value returns to key state, so `k=v,` after it is parsed too
  ["app{a=b}c=d,", { __name__: "app", a: "b", c: "d" }],
  ["app{a=b}trailing", { __name__: "app", a: "b" }],
  // values are not validated and have no escaping
  ["app{a=b=c}", { __name__: "app", a: "b=c" }],
  ["app{a=x{y / z}", { __name__: "app", a: "x{y / z" }],
  ["app{a=}", { __name__: "app", a: "" }],
  ["app{a=1,a=2}", { __name__: "app", a: "2" }],
  // `__name__` is not validated and overrides the app name
  ["app{__name__=other name}", { __name__: "other name" }],
  ["app{ __name__ =}", { __name__: "" }],
  ["app{service_name=my-service}", { __name__: "app", service_name: "my-service" }],
  ["app{1a.b_c=v}", { __name__: "app", "1a.b_c": "v" }],
  [
    "capture-test{otel.scope.name=com.grafana.pyroscope/nodejs,otel.scope.version=0.6.4,process.runtime.name=nodejs,process.runtime.version=20.20.2,env=test,region=eu-west}",
    {
      __name__: "capture-test",
      "otel.scope.name": "com.grafana.pyroscope/nodejs",
      "otel.scope.version": "0.6.4",
      "process.runtime.name": "nodejs",
      "process.runtime.version": "20.20.2",
      env: "test",
      region: "eu-west",
    },
  ],
];

for (const [input, labels] of parsed) {
  test(`parseName(${JSON.stringify(input)})`, () => {
    assert.deepEqual(parseName(input).toRecord(), labels);
  });
}

const rejected: [input: string, message: string][] = [
  ["", "service name is required"],
  ["{a=b}", "service name is required"],
  ["  {a=b}", "service name is required"],
  ["my app{}", "invalid service name: my app: character is not allowed: ' '"],
  ["app}", "invalid service name: app}: character is not allowed: '}'"],
  ["app:cpu", "invalid service name: app:cpu: character is not allowed: ':'"],
  ["appé{}", "invalid service name: appé: character is not allowed: 'é'"],
  ["a\tb{}", "invalid service name: a\tb: character is not allowed: '\\t'"],
  ["it's{}", "invalid service name: it's: character is not allowed: '\\''"],
  ["a\u00a0b", "invalid service name: a\u00a0b: character is not allowed: '\\u00a0'"],
  ["a\x00b", "invalid service name: a\x00b: character is not allowed: '\\x00'"],
  ["app{a-b=c}", "invalid label name: a-b: character is not allowed: '-'"],
  ["app{a,b=c}", "invalid label name: a,b: character is not allowed: ','"],
  ["app{=c}", "label name is required"],
  ["app{ =c}", "label name is required"],
  ["app{a=b}{c=d}", "invalid label name: {c: character is not allowed: '{'"],
];

for (const [input, message] of rejected) {
  test(`parseName(${JSON.stringify(input)}) throws ${JSON.stringify(message)}`, () => {
    assert.throws(() => parseName(input), { message });
  });
}

test("formatName is Pyroscope's Normalized(): __name__ first, other labels sorted, no escaping", () => {
  assert.equal(formatName(parseName("foo")), "foo{}");
  assert.equal(formatName(parseName("foo{bar=1,baz=2}")), "foo{bar=1,baz=2}");
  assert.equal(formatName(parseName("foo{baz=1,bar=2}")), "foo{bar=2,baz=1}");
  assert.equal(formatName(Labels.from({ foo: "bar" })), "{foo=bar}");
  assert.equal(formatName(Labels.from({ __name__: "a", "x.y": "1=2 3", B: "b" })), "a{B=b,x.y=1=2 3}");
  assert.equal(
    formatName(
      Labels.from({ __name__: "my.awesome.app.cpu", env: "prod", region: "us-west-1", cluster: "cluster-1" }),
    ),
    "my.awesome.app.cpu{cluster=cluster-1,env=prod,region=us-west-1}",
  );
});

test("formatName output parses back to the same labels", () => {
  const l = Labels.from({ __name__: "svc.cpu", env: "prod", "otel.scope.name": "com.grafana/x" });
  assert.ok(parseName(formatName(l)).equals(l));
});

test("the validators return Pyroscope's messages", () => {
  assert.equal(serviceNameError("ok-./_9"), undefined);
  assert.equal(serviceNameError(""), "service name is required");
  assert.equal(labelNameError("ok._9"), undefined);
  assert.equal(labelNameError(""), "label name is required");
  assert.equal(labelNameError("a/b"), "invalid label name: a/b: character is not allowed: '/'");
  assert.equal(labelNameError("__name__"), "label name is reserved: __name__");
  assert.equal(labelNameError("x😀"), "invalid label name: x😀: character is not allowed: '😀'");
});
