import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code } from "@connectrpc/connect";
import { Registry } from "prom-client";
import { Fanout, multierrorText } from "./fanout.ts";
import { IngestQuery } from "./ingest-query.ts";
import { Labels } from "./labels.ts";
import {
  failure,
  type IngestRequest,
  OK,
  type Outcome,
  type PushRequest,
  type Receiver,
} from "./receiver.ts";

/** A child that records its calls (and the order of all calls) and answers with a fixed outcome. */
class Child implements Receiver {
  readonly pushes: PushRequest[] = [];
  readonly ingests: IngestRequest[] = [];
  readonly #name: string;
  readonly #outcome: Outcome | Error;
  readonly #log: string[];

  constructor(name: string, log: string[], outcome: Outcome | Error = OK) {
    this.#name = name;
    this.#log = log;
    this.#outcome = outcome;
  }

  async push(request: PushRequest): Promise<Outcome> {
    this.#log.push(`${this.#name} start`);
    this.pushes.push(request);
    await new Promise((resolve) => setImmediate(resolve));
    this.#log.push(`${this.#name} end`);
    if (this.#outcome instanceof Error) throw this.#outcome;
    return this.#outcome;
  }

  async ingest(request: IngestRequest): Promise<Outcome> {
    this.#log.push(`${this.#name} start`);
    this.ingests.push(request);
    await new Promise((resolve) => setImmediate(resolve));
    this.#log.push(`${this.#name} end`);
    if (this.#outcome instanceof Error) throw this.#outcome;
    return this.#outcome;
  }
}

const labels = Labels.from({ __name__: "process_cpu", service_name: "app", env: "test" });
const samples = [{ id: "1", rawProfile: new Uint8Array([1, 2, 3]) }];
const failed: Outcome = failure(503, "unavailable", { retryAfterMs: 2000 });
const rejected: Outcome = failure(400, "bad labels");

async function metricValue(registry: Registry, name: string): Promise<number> {
  const json = await registry.getMetricsAsJSON();
  const metric = json.find((m) => m.name === name);
  assert.ok(metric, `${name} is registered`);
  const values = metric.values as { value: number; metricName?: string }[];
  const value = values.find((v) => v.metricName === undefined || v.metricName === `${name}_count`);
  return value?.value ?? 0;
}

describe("Fanout push (Alloy Test_FanOut)", () => {
  it("gives every child the same labels, then, after updateChildren, calls all children even after a failure", async () => {
    const registry = new Registry();
    const log: string[] = [];
    const children = [new Child("a", log), new Child("b", log), new Child("c", log)];
    const fanout = new Fanout(children, registry);

    assert.deepEqual(await fanout.push({ headers: {}, labels, samples }), OK);
    for (const child of children) {
      assert.equal(child.pushes.length, 1);
      assert.deepEqual(child.pushes[0]!.labels.toRecord(), labels.toRecord());
      assert.equal(child.pushes[0]!.samples, samples);
    }
    assert.deepEqual(log, ["a start", "a end", "b start", "b end", "c start", "c end"], "sequential");

    const erroring = new Child("err", log, failed);
    const ok = new Child("ok", log);
    fanout.updateChildren([erroring, ok]);
    assert.deepEqual(fanout.children(), [erroring, ok]);
    const outcome = await fanout.push({ headers: {}, labels, samples });
    assert.deepEqual(outcome, { ...failed, message: "1 error occurred:\n\t* unavailable\n\n" });
    assert.equal(erroring.pushes.length, 1);
    assert.equal(ok.pushes.length, 1, "the child after the failing one was called");

    assert.equal(
      await metricValue(registry, "pyroscope_fanout_latency"),
      2,
      "latency observed on every call",
    );
    assert.equal(
      await metricValue(registry, "pyroscope_forwarded_entries_total"),
      1,
      "entries count only the call where every child succeeded",
    );
  });

  it("skips empty children and succeeds with none", async () => {
    const log: string[] = [];
    const child = new Child("a", log);
    const fanout = new Fanout([null, child, undefined], new Registry());
    assert.deepEqual(fanout.children(), [child]);
    assert.deepEqual(await fanout.push({ headers: {}, labels, samples }), OK);
    fanout.updateChildren([]);
    assert.deepEqual(await fanout.push({ headers: {}, labels, samples }), OK);
    assert.equal(child.pushes.length, 1);
  });

  it("combines failures: a retryable one decides the status, every message is listed, a throw is a failure", async () => {
    const log: string[] = [];
    const fanout = new Fanout(
      [new Child("r", log, rejected), new Child("f", log, failed), new Child("t", log, new Error("boom"))],
      new Registry(),
    );
    assert.deepEqual(await fanout.push({ headers: {}, labels, samples }), {
      ok: false,
      code: Code.Unavailable,
      httpStatus: 503,
      retryAfterMs: 2000,
      message: "3 errors occurred:\n\t* bad labels\n\t* unavailable\n\t* boom\n\n",
    });
    const onlyRejected = new Fanout([new Child("r", log, rejected), new Child("o", log)], new Registry());
    assert.deepEqual(await onlyRejected.push({ headers: {}, labels, samples }), {
      ...rejected,
      message: "1 error occurred:\n\t* bad labels\n\n",
    });
  });
});

describe("Fanout ingest (Alloy Test_FanOut_AppendIngest)", () => {
  it("calls every child with the same body and labels, even when one fails", async () => {
    const registry = new Registry();
    const log: string[] = [];
    const body = new Uint8Array([0x1f, 0x8b, 8, 0]);
    const request: IngestRequest = {
      labels,
      body,
      contentType: ["application/octet-stream"],
      path: "/ingest",
      query: IngestQuery.parse("name=app%7Benv%3Dtest%7D&format=pprof"),
      headers: {},
    };
    const three = [new Child("a", log), new Child("b", log), new Child("c", log, rejected)];
    const fanout = new Fanout(three, registry);
    const outcome = await fanout.ingest(request);
    assert.equal(outcome.ok || outcome.code, Code.InvalidArgument);
    for (const child of three) {
      assert.equal(child.ingests.length, 1);
      const got = child.ingests[0]!;
      assert.notEqual(got, request, "each child gets its own copy");
      assert.equal(got.body, body, "the body is shared, not copied");
      assert.deepEqual(got.labels.toRecord(), labels.toRecord());
      assert.deepEqual(got.contentType, request.contentType);
      assert.deepEqual(got.query, request.query);
    }

    const two = [new Child("d", log), new Child("e", log, failed)];
    fanout.updateChildren(two);
    assert.equal((await fanout.ingest(request)).ok, false);
    assert.equal(two[0]!.ingests.length, 1);
    assert.equal(two[1]!.ingests.length, 1);

    assert.equal(await metricValue(registry, "pyroscope_fanout_latency"), 2);
    assert.equal(
      await metricValue(registry, "pyroscope_forwarded_entries_total"),
      0,
      "ingest is not counted",
    );
    const ok = new Fanout([new Child("f", log)], registry);
    assert.deepEqual(await ok.ingest(request), OK);
    assert.equal(
      await metricValue(registry, "pyroscope_forwarded_entries_total"),
      0,
      "not even when it succeeds",
    );
  });
});

describe("fan-out metrics", () => {
  it("a second fan-out on the same registry shares the metrics instead of failing", async () => {
    const registry = new Registry();
    const log: string[] = [];
    const first = new Fanout([new Child("a", log)], registry);
    const second = new Fanout([new Child("b", log)], registry);
    await first.push({ headers: {}, labels, samples });
    await second.push({ headers: {}, labels, samples: [...samples, ...samples] });
    assert.equal(await metricValue(registry, "pyroscope_forwarded_entries_total"), 3);
    assert.equal(await metricValue(registry, "pyroscope_fanout_latency"), 2);
    const text = await registry.metrics();
    assert.match(text, /# TYPE pyroscope_fanout_latency histogram/);
    assert.match(text, /pyroscope_fanout_latency_bucket\{le="0\.005"\}/);
    assert.match(text, /pyroscope_fanout_latency_bucket\{le="10"\}/);
    assert.match(text, /# TYPE pyroscope_forwarded_entries_total counter/);
  });
});

describe("multierrorText", () => {
  it("formats like hashicorp/go-multierror", () => {
    assert.equal(multierrorText(["x"]), "1 error occurred:\n\t* x\n\n");
    assert.equal(multierrorText(["x", "y"]), "2 errors occurred:\n\t* x\n\t* y\n\n");
  });
});
