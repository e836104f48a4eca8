// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${1}` is Go's template syntax, not JavaScript's.
/**
 * `pyroscope.relabel` as a component, with recording receivers behind it: Alloy's `relabel_test.go` cases
 * (TestRelabeling, TestCache*, TestMetricsWithRelabeling), the empty-result fix, both routes, the fan-out,
 * reloads and exports.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Code } from "@connectrpc/connect";
import { pino } from "pino";
import { Registry } from "prom-client";
import { IngestQuery } from "../../../pyroscope/ingest-query.ts";
import { Labels } from "../../../pyroscope/labels.ts";
import { type IngestRequest, OK, type PushRequest, type Receiver } from "../../../pyroscope/receiver.ts";
import { SINGLE_PROCESS } from "../../../runtime/component.ts";
import { Capsule, type Value } from "../../../syntax/value.ts";
import { failed, RecordingReceiver, rejected, sample } from "../receive_http/testkit.ts";
import type { RelabelArguments, RuleArguments } from "./arguments.ts";
import { RelabelComponent, RULES_HOST_TYPE } from "./relabel.ts";
import { ruleArgs } from "./test-rules.ts";

interface Running {
  readonly component: RelabelComponent;
  readonly receiver: Receiver;
  readonly registry: Registry;
  readonly exports: Readonly<Record<string, Value>>[];
  stop(): Promise<void>;
}

function args(forwardTo: Receiver[], rules: Partial<RuleArguments>[], maxCacheSize = 10): RelabelArguments {
  return { forward_to: forwardTo, rule: rules.map((r) => ruleArgs(r)), max_cache_size: maxCacheSize };
}

function start(a: RelabelArguments): Running {
  const registry = new Registry();
  const exports: Readonly<Record<string, Value>>[] = [];
  const component = new RelabelComponent(
    {
      id: "pyroscope.relabel.test",
      logger: pino({ level: "silent" }),
      registry,
      dataPath: "",
      worker: SINGLE_PROCESS,
      onStateChange: (e) => exports.push(e),
    },
    a,
  );
  const controller = new AbortController();
  const running = component.run(controller.signal);
  return {
    component,
    receiver: component.receiver,
    registry,
    exports,
    async stop() {
      controller.abort();
      await running;
    },
  };
}

function ingest(labels: Record<string, string>): IngestRequest {
  return {
    labels: Labels.from(labels),
    body: new Uint8Array([1, 2, 3]),
    contentType: ["binary/octet-stream"],
    path: "/ingest",
    query: IngestQuery.parse("name=app.cpu%7Benv%3Dprod%7D&from=1&until=2"),
    headers: {},
  };
}

function push(labels: Record<string, string>, samples = 1): PushRequest {
  return {
    headers: {},
    labels: Labels.from(labels),
    samples: Array.from({ length: samples }, (_, i) => ({ id: `s${i}`, rawProfile: new Uint8Array([i]) })),
  };
}

async function metric(registry: Registry, name: string): Promise<number | undefined> {
  return sample(registry, name, {});
}

const DROP_DEV: Partial<RuleArguments> = { source_labels: ["env"], action: "drop", regex: "dev" };

describe("TestRelabeling (through ingest, as Alloy's test)", () => {
  const cases: {
    name: string;
    rules: Partial<RuleArguments>[];
    input: Record<string, string>;
    want: Record<string, string> | "dropped";
  }[] = [
    {
      name: "basic profile without labels: forwarded with empty labels",
      rules: [{ source_labels: ["foo"], target_label: "bar", regex: "(.+)" }],
      input: {},
      want: {},
    },
    {
      name: "rename label",
      rules: [
        { source_labels: ["foo"], target_label: "bar", regex: "(.+)" },
        { action: "labeldrop", regex: "foo" },
      ],
      input: { foo: "hello" },
      want: { bar: "hello" },
    },
    {
      name: "drop profile with matching drop label",
      rules: [DROP_DEV],
      input: { env: "dev", region: "us-1" },
      want: "dropped",
    },
    {
      name: "keep profile with matching label",
      rules: [{ source_labels: ["env"], action: "keep", regex: "prod" }],
      input: { env: "prod", region: "us-1" },
      want: { env: "prod", region: "us-1" },
    },
    {
      name: "drop profile not matching keep",
      rules: [{ source_labels: ["env"], action: "keep", regex: "prod" }],
      input: { env: "dev", region: "us-1" },
      want: "dropped",
    },
    {
      // Alloy forwards an empty set the first time (write then fails it); here it is dropped.
      name: "drop all labels: dropped (Alloy's quirk fixed)",
      rules: [{ action: "labeldrop", regex: "env|region" }],
      input: { env: "prod", region: "us-1" },
      want: "dropped",
    },
    {
      name: "keep profile with no labels when using drop action",
      rules: [DROP_DEV],
      input: {},
      want: {},
    },
    {
      name: "hashmod sampling",
      rules: [
        { source_labels: ["env"], action: "hashmod", modulus: 2, target_label: "__tmp_hash" },
        { source_labels: ["__tmp_hash"], action: "drop", regex: "^1$" },
      ],
      input: { env: "prod", region: "us-1" },
      want: "dropped",
    },
    {
      name: "multiple rules",
      rules: [
        { source_labels: ["env"], target_label: "environment", regex: "(.+)" },
        { action: "labeldrop", regex: "^env$" },
        { source_labels: ["region"], target_label: "zone", regex: "us-(.+)", replacement: "zone-$1" },
      ],
      input: { env: "prod", region: "us-1" },
      want: { environment: "prod", region: "us-1", zone: "zone-1" },
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const app = new RecordingReceiver();
      const r = start(args([app], c.rules));
      try {
        const request = ingest(c.input);
        assert.deepEqual(await r.receiver.ingest(request), OK);
        if (c.want === "dropped") {
          assert.equal(app.ingests.length, 0);
          assert.equal(await metric(r.registry, "pyroscope_relabel_profiles_dropped"), 1);
        } else {
          assert.equal(app.ingests.length, 1);
          const got = app.ingests[0]!;
          assert.deepEqual(got.labels.toRecord(), c.want);
          // Only the labels change: the body, content types and query go on as they came.
          assert.equal(got.body, request.body);
          assert.deepEqual(got.contentType, request.contentType);
          assert.equal(got.query, request.query);
          assert.equal(got.path, "/ingest");
        }
      } finally {
        await r.stop();
      }
    });
  }

  test("a result with no labels left is dropped every time, not only from the cache", async () => {
    const app = new RecordingReceiver();
    const r = start(args([app], [{ action: "labeldrop", regex: ".*" }]));
    try {
      for (let i = 0; i < 3; i++) {
        assert.deepEqual(await r.receiver.ingest(ingest({ env: "prod" })), OK);
        assert.deepEqual(await r.receiver.push(push({ env: "prod" })), OK);
      }
      assert.equal(app.ingests.length + app.pushes.length, 0);
      assert.equal(await metric(r.registry, "pyroscope_relabel_profiles_dropped"), 6);
      assert.equal(await metric(r.registry, "pyroscope_relabel_profiles_written"), 0);
    } finally {
      await r.stop();
    }
  });
});

describe("push route", () => {
  test("each series is relabelled; the samples go on untouched", async () => {
    const app = new RecordingReceiver();
    const r = start(
      args(
        [app],
        [{ source_labels: ["service_name"], target_label: "service_name", replacement: "renamed-$1" }],
      ),
    );
    try {
      const request = push({ __name__: "process_cpu", service_name: "api" }, 2);
      assert.deepEqual(await r.receiver.push(request), OK);
      assert.equal(app.pushes.length, 1);
      assert.deepEqual(app.pushes[0]!.labels.toRecord(), {
        __name__: "process_cpu",
        service_name: "renamed-api",
      });
      assert.equal(app.pushes[0]!.samples, request.samples);
    } finally {
      await r.stop();
    }
  });
});

describe("cache", () => {
  test("TestCache: the same input twice is one entry, a hit the second time", async () => {
    const app = new RecordingReceiver();
    const r = start(
      args(
        [app],
        [{ source_labels: ["env"], target_label: "environment", regex: "(.+)", replacement: "staging" }],
        4,
      ),
    );
    try {
      await r.receiver.ingest(ingest({ env: "prod" }));
      assert.equal(r.component.cache.size, 1);
      await r.receiver.ingest(ingest({ env: "prod" }));
      assert.equal(r.component.cache.size, 1);
      assert.equal(await metric(r.registry, "pyroscope_relabel_cache_hits"), 1);
      assert.equal(await metric(r.registry, "pyroscope_relabel_cache_misses"), 1);
      assert.deepEqual(app.ingests[1]!.labels.toRecord(), { env: "prod", environment: "staging" });
    } finally {
      await r.stop();
    }
  });

  test("TestCacheCollisions: label sets whose Prometheus fingerprints collide get their own results", async () => {
    const app = new RecordingReceiver();
    const r = start(args([app], [{ source_labels: ["A"], target_label: "copy" }], 4));
    try {
      const ls1 = { A: "K6sjsNNczPl", __name__: "app.cpu" };
      const ls2 = { A: "cswpLMIZpwt", __name__: "app.cpu" };
      for (const ls of [ls1, ls2, ls1, ls2]) await r.receiver.ingest(ingest(ls));
      assert.equal(r.component.cache.size, 2);
      assert.ok(r.component.cache.has(Labels.from(ls1)));
      assert.ok(r.component.cache.has(Labels.from(ls2)));
      assert.deepEqual(
        app.ingests.map((i) => i.labels.get("copy")),
        ["K6sjsNNczPl", "cswpLMIZpwt", "K6sjsNNczPl", "cswpLMIZpwt"],
      );
      assert.equal(await metric(r.registry, "pyroscope_relabel_cache_hits"), 2);
    } finally {
      await r.stop();
    }
  });

  test("TestCacheLRU: size 2, three inputs: the least recently used goes", async () => {
    const r = start(args([new RecordingReceiver()], [], 2));
    try {
      await r.receiver.ingest(ingest({ env: "prod" }));
      await r.receiver.ingest(ingest({ env: "dev" }));
      await r.receiver.ingest(ingest({ env: "prod" })); // prod is now the most recent
      await r.receiver.ingest(ingest({ env: "stage" }));
      assert.equal(r.component.cache.size, 2);
      assert.equal(r.component.cache.has(Labels.from({ env: "dev" })), false);
      assert.ok(r.component.cache.has(Labels.from({ env: "prod" })));
      assert.equal(await metric(r.registry, "pyroscope_relabel_cache_size"), 2);
    } finally {
      await r.stop();
    }
  });

  test("dropped results are cached too", async () => {
    const r = start(args([new RecordingReceiver()], [DROP_DEV]));
    try {
      await r.receiver.push(push({ env: "dev" }));
      await r.receiver.push(push({ env: "dev" }));
      assert.equal(await metric(r.registry, "pyroscope_relabel_cache_hits"), 1);
      assert.equal(await metric(r.registry, "pyroscope_relabel_profiles_dropped"), 2);
    } finally {
      await r.stop();
    }
  });

  test("an empty label set skips the rules and the cache", async () => {
    const app = new RecordingReceiver();
    const r = start(args([app], [{ action: "keep", source_labels: ["env"], regex: "prod" }]));
    try {
      await r.receiver.push(push({}));
      assert.equal(app.pushes.length, 1);
      assert.equal(r.component.cache.size, 0);
      assert.equal(await metric(r.registry, "pyroscope_relabel_cache_misses"), 0);
    } finally {
      await r.stop();
    }
  });
});

describe("reload", () => {
  test("TestCachePurge: different rules empty the cache and apply at once", async () => {
    const app = new RecordingReceiver();
    const first: Partial<RuleArguments> = {
      source_labels: ["env"],
      target_label: "environment",
      regex: "(.+)",
      replacement: "staging",
    };
    const r = start(args([app], [first], 4));
    try {
      await r.receiver.ingest(ingest({ env: "prod" }));
      await r.receiver.ingest(ingest({ env: "dev" }));
      assert.equal(r.component.cache.size, 2);
      r.component.update(
        args([app], [{ source_labels: ["region"], target_label: "zone", replacement: "us-east" }], 4),
      );
      assert.equal(r.component.cache.size, 0);
      assert.equal(await metric(r.registry, "pyroscope_relabel_cache_size"), 0);
      await r.receiver.ingest(ingest({ env: "prod" }));
      assert.deepEqual(app.ingests.at(-1)!.labels.toRecord(), { env: "prod", zone: "us-east" });
    } finally {
      await r.stop();
    }
  });

  test("the same rules keep the cache; a smaller max_cache_size evicts the oldest", async () => {
    const app = new RecordingReceiver();
    const r = start(args([app], [DROP_DEV], 4));
    try {
      for (const env of ["a", "b", "c", "d"]) await r.receiver.push(push({ env }));
      r.component.update(args([app], [DROP_DEV], 4));
      assert.equal(r.component.cache.size, 4);
      r.component.update(args([app], [DROP_DEV], 2));
      assert.equal(r.component.cache.size, 2);
      assert.ok(r.component.cache.has(Labels.from({ env: "d" })));
      assert.equal(r.component.cache.has(Labels.from({ env: "a" })), false);
      assert.equal(await metric(r.registry, "pyroscope_relabel_cache_size"), 2);
    } finally {
      await r.stop();
    }
  });

  test("a new forward_to applies to the next profile", async () => {
    const a = new RecordingReceiver();
    const b = new RecordingReceiver();
    const r = start(args([a], []));
    try {
      await r.receiver.push(push({ env: "x" }));
      r.component.update(args([b], []));
      await r.receiver.push(push({ env: "x" }));
      assert.equal(a.pushes.length, 1);
      assert.equal(b.pushes.length, 1);
    } finally {
      await r.stop();
    }
  });

  test("exports: the same receiver and the rules, published again on update", async () => {
    const r = start(args([], [DROP_DEV]));
    try {
      const first = r.exports.at(-1)!;
      assert.ok(first["receiver"] instanceof Capsule);
      assert.equal((first["receiver"] as Capsule).value, r.receiver);
      const rules = first["rules"] as Capsule<RuleArguments[]>;
      assert.equal(rules.hostType, RULES_HOST_TYPE);
      assert.deepEqual(rules.value, [ruleArgs(DROP_DEV)]);
      r.component.update(args([], []));
      const second = r.exports.at(-1)!;
      assert.equal((second["receiver"] as Capsule).value, r.receiver);
      assert.deepEqual((second["rules"] as Capsule<RuleArguments[]>).value, []);
    } finally {
      await r.stop();
    }
  });
});

describe("metrics", () => {
  test("TestMetricsWithRelabeling: processed 5, written 4, dropped 1, hits 1, misses 3, size 3", async () => {
    const r = start(args([new RecordingReceiver()], [DROP_DEV]));
    try {
      await r.receiver.push(push({}, 0));
      await r.receiver.push(push({ env: "prod" }, 0));
      await r.receiver.push(push({ env: "dev" }, 0));
      await r.receiver.ingest(ingest({ env: "prod" }));
      await r.receiver.ingest(ingest({ env: "stage" }));
      const want: Record<string, number> = {
        pyroscope_relabel_profiles_processed: 5,
        pyroscope_relabel_profiles_written: 4,
        pyroscope_relabel_profiles_dropped: 1,
        pyroscope_relabel_cache_hits: 1,
        pyroscope_relabel_cache_misses: 3,
        pyroscope_relabel_cache_size: 3,
      };
      for (const [name, value] of Object.entries(want))
        assert.equal(await metric(r.registry, name), value, name);
      const text = await r.registry.metrics();
      assert.match(text, /# HELP pyroscope_relabel_profiles_written Total number of profiles forwarded/);
      assert.match(text, /# TYPE pyroscope_relabel_cache_size gauge/);
      assert.match(text, /# TYPE pyroscope_fanout_latency histogram/);
    } finally {
      await r.stop();
    }
  });

  test("the fan-out counts forwarded samples on push when every receiver accepted", async () => {
    const r = start(args([new RecordingReceiver()], []));
    try {
      await r.receiver.push(push({ env: "a" }, 3));
      assert.equal(await metric(r.registry, "pyroscope_forwarded_entries_total"), 3);
      assert.equal(await sample(r.registry, "pyroscope_fanout_latency", {}, "_count"), 1);
    } finally {
      await r.stop();
    }
  });
});

describe("forwarding", () => {
  test("sequential fan-out: every receiver is called; a refusal keeps its status (4xx stays 4xx)", async () => {
    const order: string[] = [];
    const a = new RecordingReceiver(() => {
      order.push("a");
      return rejected("invalid labels in profile: bad", 400);
    });
    const b = new RecordingReceiver(() => {
      order.push("b");
      return OK;
    });
    const r = start(args([a, b], []));
    try {
      const outcome = await r.receiver.push(push({ env: "x" }));
      assert.equal(outcome.ok, false);
      assert.equal(!outcome.ok && outcome.httpStatus, 400);
      assert.match(!outcome.ok ? outcome.message : "", /invalid labels in profile: bad/);
      assert.deepEqual(order, ["a", "b"]);
    } finally {
      await r.stop();
    }
  });

  test("a failure worth retrying decides the status", async () => {
    const a = new RecordingReceiver(rejected("bad", 400));
    const b = new RecordingReceiver(failed("try later", 503, 2000));
    const r = start(args([a, b], []));
    try {
      const outcome = await r.receiver.ingest(ingest({ env: "x" }));
      assert.equal(outcome.ok, false);
      assert.equal(!outcome.ok && outcome.httpStatus, 503);
      assert.equal(!outcome.ok && outcome.retryAfterMs, 2000);
    } finally {
      await r.stop();
    }
  });

  test("each ingest receiver gets its own copy of the request with the new labels", async () => {
    const a = new RecordingReceiver();
    const b = new RecordingReceiver();
    const r = start(args([a, b], [{ source_labels: ["env"], target_label: "e" }]));
    try {
      await r.receiver.ingest(ingest({ env: "x" }));
      assert.notEqual(a.ingests[0], b.ingests[0]);
      assert.deepEqual(a.ingests[0]!.labels.toRecord(), { e: "x", env: "x" });
      assert.deepEqual(b.ingests[0]!.labels.toRecord(), { e: "x", env: "x" });
    } finally {
      await r.stop();
    }
  });

  test("after run ends, calls fail with '<id> has exited'", async () => {
    const app = new RecordingReceiver();
    const r = start(args([app], []));
    await r.stop();
    assert.deepEqual(await r.receiver.push(push({ env: "x" })), {
      ok: false,
      code: Code.Unavailable,
      httpStatus: 503,
      message: "pyroscope.relabel.test has exited",
    });
    assert.equal(app.pushes.length, 0);
  });
});
