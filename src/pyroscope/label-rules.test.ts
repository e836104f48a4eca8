import assert from "node:assert/strict";
import { test } from "node:test";
import {
  dropReservedLabels,
  ensureServiceName,
  formatPrometheusLabels,
  INVALID_LABELS_PREFIX,
  labelsFromPairs,
  mergeExternalLabels,
  nameFollowsServiceName,
  pushSeriesLabels,
  validateLabels,
} from "./label-rules.ts";
import { type Label, Labels } from "./labels.ts";
import { formatName, parseName } from "./name-grammar.ts";

const L = (r: Record<string, string>): Labels => Labels.from(r);

test("ensureServiceName: the service_name / app_name rule (spec §1.6)", () => {
  const cases: [Record<string, string>, Record<string, string>][] = [
    [{ __name__: "test_app" }, { __name__: "test_app", service_name: "test_app" }],
    [
      { __name__: "test.app", env: "prod", region: "us-east" },
      { __name__: "test.app", env: "prod", region: "us-east", service_name: "test.app" },
    ],
    [
      { __name__: "test.app", service_name: "my-service" },
      { __name__: "test.app", service_name: "my-service", app_name: "test.app" },
    ],
    [
      { __name__: "new", service_name: "s", app_name: "old" },
      { __name__: "new", service_name: "s", app_name: "new" },
    ],
    // no __name__: nothing is added, and a client app_name is removed when service_name exists
    [{ app: "app-0" }, { app: "app-0" }],
    [{ service_name: "s", app_name: "old" }, { service_name: "s" }],
    [{}, {}],
    // empty values are dropped (Prometheus labels.Builder), an empty service_name still counts as present
    [
      { __name__: "app", a: "" },
      { __name__: "app", service_name: "app" },
    ],
    [
      { __name__: "app", service_name: "" },
      { __name__: "app", app_name: "app" },
    ],
  ];
  for (const [input, want] of cases) {
    assert.deepEqual(ensureServiceName(L(input)).toRecord(), want, JSON.stringify(input));
  }
});

test("ensureServiceName after parseName gives the receive_http labels of spec §5 cases 1, 8-10", () => {
  const labels = (name: string) => ensureServiceName(parseName(name)).toRecord();
  assert.deepEqual(labels("test_app"), { __name__: "test_app", service_name: "test_app" });
  assert.deepEqual(labels("test.app{env=prod,region=us-east}"), {
    __name__: "test.app",
    service_name: "test.app",
    env: "prod",
    region: "us-east",
  });
  assert.deepEqual(labels("test.app{invalid-label-syntax}"), {
    __name__: "test.app",
    service_name: "test.app",
  });
  assert.deepEqual(labels("test.app{service_name=my-service}"), {
    __name__: "test.app",
    service_name: "my-service",
    app_name: "test.app",
  });
});

test("labelsFromPairs: last value wins, an empty value removes the name", () => {
  const pairs = (p: [string, string][]) =>
    labelsFromPairs(p.map(([name, value]) => ({ name, value }))).toArray();
  assert.deepEqual(pairs([["app", "app-0"]]), [{ name: "app", value: "app-0" }]);
  assert.deepEqual(
    pairs([
      ["b", "1"],
      ["a", "1"],
      ["b", "2"],
    ]),
    [
      { name: "a", value: "1" },
      { name: "b", value: "2" },
    ],
  );
  assert.deepEqual(
    pairs([
      ["a", "1"],
      ["a", ""],
    ]),
    [],
  );
  assert.deepEqual(
    pairs([
      ["a", ""],
      ["a", "1"],
    ]),
    [{ name: "a", value: "1" }],
  );
});

test("validateLabels: write's rules and messages, first violation wins", () => {
  const cases: [Labels | readonly Label[], string | undefined][] = [
    [L({ __name__: "test", job: "foo", "otel.scope.name": "x", "1st": "y", __type__: "t" }), undefined],
    [L({ __name__: "my app: anything goes" }), undefined],
    [L({ foo: "bar" }), undefined],
    [Labels.EMPTY, "service name is required"],
    [[], "service name is required"],
    [
      [
        { name: "a", value: "1" },
        { name: "b", value: "2" },
        { name: "a", value: "3" },
      ],
      "duplicate label name: a",
    ],
    [
      [
        { name: "__name__", value: "x" },
        { name: "__name__", value: "y" },
      ],
      "duplicate label name: __name__",
    ],
    [[{ name: "", value: "x" }], "duplicate label name: "],
    [L({ "": "x", a: "b" }), "duplicate label name: "],
    [L({ a: "\uD800", "bad-name": "x" }), "invalid label value for a: \uD800"],
    [
      L({ __name__: "x", "invalid-label-name": "v" }),
      "invalid label name: invalid label name: invalid-label-name: character is not allowed: '-'",
    ],
    [
      L({ __name__: "x", "a b": "v" }),
      "invalid label name: invalid label name: a b: character is not allowed: ' '",
    ],
    // the duplicate check runs before the value check of the same label
    [
      [
        { name: "a", value: "1" },
        { name: "a", value: "\uDC00" },
      ],
      "duplicate label name: a",
    ],
  ];
  for (const [labels, want] of cases) {
    assert.equal(validateLabels(labels), want, JSON.stringify(labels));
  }
  assert.equal(
    INVALID_LABELS_PREFIX + "service name is required",
    "invalid labels in profile: service name is required",
  );
});

test("pushSeriesLabels: reserved labels dropped except __name__/__delta__, external labels win", () => {
  // write_test.go Test_Write_FanOut
  assert.deepEqual(
    pushSeriesLabels(L({ __name__: "test", __type__: "type", job: "foo", foo: "bar" }), {
      foo: "buzz",
    }).toArray(),
    [
      { name: "__name__", value: "test" },
      { name: "foo", value: "buzz" },
      { name: "job", value: "foo" },
    ],
  );
  assert.deepEqual(
    pushSeriesLabels(
      L({ __name__: "memory", __delta__: "false", __session_id__: "abc", env: "dev", x: "" }),
      {
        env: "",
        __tenant__: "t",
      },
    ).toRecord(),
    { __name__: "memory", __delta__: "false", __tenant__: "t" },
  );
  assert.deepEqual(dropReservedLabels(L({ __a: "1", _b: "2", __name__: "n" })).toRecord(), {
    _b: "2",
    __name__: "n",
  });
});

test("ingest name rebuilding (spec §1.10 and write_test.go)", () => {
  const rebuild = (labels: Labels, external: Record<string, string>) =>
    formatName(mergeExternalLabels(nameFollowsServiceName(labels), external));
  // §1.10 example 1
  assert.equal(
    rebuild(ensureServiceName(parseName("test.app{env=prod}")), { cluster: "c1" }),
    "test.app{cluster=c1,env=prod,service_name=test.app}",
  );
  // §1.10 example 2
  assert.equal(
    rebuild(ensureServiceName(parseName("test.app{service_name=my-service}")), {}),
    "my-service{app_name=test.app,service_name=my-service}",
  );
  // TestBasicFunctionality
  assert.equal(
    rebuild(L({ __name__: "my.awesome.app.cpu", env: "staging", region: "us-west-1" }), {
      env: "prod",
      cluster: "cluster-1",
    }),
    "my.awesome.app.cpu{cluster=cluster-1,env=prod,region=us-west-1}",
  );
  // TestLabelTransformation
  assert.equal(
    rebuild(L({ __name__: "original-name", service_name: "my-service-grafana" }), {}),
    "my-service-grafana{service_name=my-service-grafana}",
  );
  // no filter of __ labels on this path; empty values and empty external values removed
  assert.equal(rebuild(L({ __tmp_hash: "1", foo: "bar", e: "" }), { foo: "" }), "{__tmp_hash=1}");
  assert.equal(nameFollowsServiceName(L({ __name__: "a", x: "" })).toRecord().x, "");
});

test("formatPrometheusLabels is Prometheus' Labels.String()", () => {
  assert.equal(formatPrometheusLabels(L({ app: "app-0" })), '{app="app-0"}');
  assert.equal(formatPrometheusLabels(Labels.EMPTY), "{}");
  assert.equal(
    formatPrometheusLabels(L({ __name__: "a", "otel.scope.name": "x", v: 'q"\n\\' })),
    '{__name__="a", "otel.scope.name"="x", v="q\\"\\n\\\\"}',
  );
});
