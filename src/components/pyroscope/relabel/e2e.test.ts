// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${1}` is Go's template syntax, not JavaScript's.
/**
 * End to end over real HTTP: `pyroscope.receive_http` → `pyroscope.relabel` → `pyroscope.write` → the fake
 * Pyroscope, on both routes, checking the labels and the `name=` that arrive, drops (200 to the client, nothing
 * sent) and statuses passing back through relabel as they do through write alone.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { pino } from "pino";
import { Registry } from "prom-client";
import { type FakePyroscope, startFakePyroscope } from "../../../../test/support/fake-pyroscope.ts";
import { pushRequestBody } from "../../../../test/support/push-request.ts";
import { parseName } from "../../../pyroscope/name-grammar.ts";
import { SINGLE_PROCESS } from "../../../runtime/component.ts";
import { defaultsOf } from "../../../syntax/decode.ts";
import { type Running, sample, start, testArgs } from "../receive_http/testkit.ts";
import { queueBody } from "../write/arguments.ts";
import { endpointArgs, type RunningWrite, startWrite, writeArgs } from "../write/test-harness.ts";
import type { RuleArguments } from "./arguments.ts";
import { RelabelComponent } from "./relabel.ts";
import { ruleArgs } from "./test-rules.ts";

const RULES: Partial<RuleArguments>[] = [
  // Drop development profiles.
  { source_labels: ["env"], regex: "dev", action: "drop" },
  // Rename the application (write rebuilds `name=` from service_name on ingest).
  {
    source_labels: ["service_name"],
    regex: "checkout(.*)",
    target_label: "service_name",
    replacement: "shop$1",
  },
  // Take the namespace from the pod label, then drop the pod label.
  { source_labels: ["pod"], regex: "([^-]+)-.*", target_label: "namespace" },
  { action: "labeldrop", regex: "pod" },
  // A temporary label: write removes `__` labels on push, but not on ingest (as Alloy).
  { source_labels: ["env"], action: "hashmod", modulus: 1, target_label: "__tmp_hash" },
];

/** receive_http → relabel (with `rules`) → the shared write, on a free port. */
interface Pipeline {
  readonly url: string;
  readonly registry: Registry;
  stop(): Promise<void>;
}

async function startPipeline(
  rules: readonly Partial<RuleArguments>[],
  next: RunningWrite = write,
): Promise<Pipeline> {
  const registry = new Registry();
  const relabel = new RelabelComponent(
    {
      id: "pyroscope.relabel.e2e",
      logger: pino({ level: "silent" }),
      registry,
      dataPath: "",
      worker: SINGLE_PROCESS,
      onStateChange: () => {},
    },
    { forward_to: [next.receiver], max_cache_size: 100, rule: rules.map((r) => ruleArgs(r)) },
  );
  const controller = new AbortController();
  const running = relabel.run(controller.signal);
  const receiver: Running = await start(testArgs([relabel.receiver]));
  return {
    url: receiver.url,
    registry,
    async stop() {
      await receiver.stop();
      controller.abort();
      await running;
    },
  };
}

let fake: FakePyroscope;
let write: RunningWrite;
let pipeline: Pipeline;

before(async () => {
  fake = await startFakePyroscope();
  write = await startWrite(
    writeArgs({ endpoint: [endpointArgs({ url: fake.url, max_backoff_retries: 1 })] }),
  );
  pipeline = await startPipeline(RULES);
});

after(async () => {
  await pipeline.stop();
  await write.stop();
  await fake.close();
});

/** The push route, with one series. */
async function pushSeries(
  labels: Record<string, string>,
  rawProfile = new Uint8Array([9, 8, 7]),
  url = pipeline.url,
) {
  const body = pushRequestBody(labels, rawProfile, "id-1");
  const res = await fetch(`${url}/push.v1.PusherService/Push`, {
    method: "POST",
    headers: { "content-type": "application/proto" },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}

async function ingest(name: string, body = Buffer.from("opaque profile body"), url = pipeline.url) {
  const res = await fetch(`${url}/ingest?name=${encodeURIComponent(name)}&from=10&until=20&spyName=gospy`, {
    method: "POST",
    headers: { "content-type": "binary/octet-stream" },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}

function lastPushLabels(): string[] {
  return (fake.pushes.at(-1)?.push?.series[0]?.labels ?? []).map((l) => `${l.name}=${l.value}`);
}

describe("push route", () => {
  test("relabelled labels arrive; samples are untouched; __-prefixed temporaries are removed by write", async () => {
    const before = fake.pushes.length;
    const status = await pushSeries({
      __name__: "process_cpu",
      service_name: "checkout-api",
      env: "prod",
      pod: "payments-7d9f",
    });
    assert.equal(status, 200);
    assert.equal(fake.pushes.length, before + 1);
    assert.deepEqual(lastPushLabels(), [
      "__name__=process_cpu",
      "app_name=process_cpu",
      "env=prod",
      "namespace=payments",
      "service_name=shop-api",
    ]);
    const sent = fake.pushes.at(-1)?.push?.series[0]?.samples[0];
    assert.deepEqual([...(sent?.rawProfile ?? [])], [9, 8, 7]);
    assert.equal(sent?.ID, "id-1");
  });

  test("a dropped series: 200 to the client, nothing sent, counted", async () => {
    const before = fake.pushes.length;
    const dropped = await sample(pipeline.registry, "pyroscope_relabel_profiles_dropped", {});
    assert.equal(await pushSeries({ __name__: "process_cpu", service_name: "api", env: "dev" }), 200);
    assert.equal(fake.pushes.length, before);
    assert.equal(
      await sample(pipeline.registry, "pyroscope_relabel_profiles_dropped", {}),
      (dropped ?? 0) + 1,
    );
  });
});

describe("ingest route", () => {
  test("name= is rebuilt from the relabelled labels; the body and other parameters are untouched", async () => {
    const before = fake.ingests.length;
    const body = Buffer.from("not parsed, passed on byte for byte");
    assert.equal(await ingest("checkout.cpu{env=prod,pod=orders-1}", body), 200);
    assert.equal(fake.ingests.length, before + 1);
    const got = fake.ingests.at(-1)!;
    assert.deepEqual(got.body, body);
    const query = new URLSearchParams(got.query);
    assert.equal(query.get("from"), "10");
    assert.equal(query.get("until"), "20");
    assert.equal(query.get("spyName"), "gospy");
    // receive_http set service_name = "checkout.cpu"; the rule renamed it; write made it the app name.
    assert.equal(query.get("name"), "shop.cpu{__tmp_hash=0,env=prod,namespace=orders,service_name=shop.cpu}");
    assert.deepEqual(parseName(query.get("name") ?? "").toRecord(), {
      __name__: "shop.cpu",
      __tmp_hash: "0",
      env: "prod",
      namespace: "orders",
      service_name: "shop.cpu",
    });
  });

  test("a dropped ingest: 200, nothing sent", async () => {
    const before = fake.ingests.length;
    assert.equal(await ingest("checkout.cpu{env=dev}"), 200);
    assert.equal(fake.ingests.length, before);
  });

  test("rules that leave no label: dropped every time, 200 (Alloy: 500 the first time)", async () => {
    const wipe = await startPipeline([{ action: "labeldrop", regex: ".*" }]);
    try {
      const before = fake.ingests.length + fake.pushes.length;
      for (let i = 0; i < 2; i++) {
        assert.equal(await ingest("wiped.cpu{env=prod}", undefined, wipe.url), 200);
        assert.equal(
          await pushSeries({ __name__: "process_cpu", service_name: "x" }, undefined, wipe.url),
          200,
        );
      }
      assert.equal(fake.ingests.length + fake.pushes.length, before);
      assert.equal(await sample(wipe.registry, "pyroscope_relabel_profiles_dropped", {}), 4);
    } finally {
      await wipe.stop();
    }
  });

  test("a downstream 4xx keeps its meaning through relabel, as through write alone", async () => {
    fake.setResponder((r) => (r.kind === "ingest" ? { status: 400, body: "bad profile" } : undefined));
    try {
      assert.equal(await ingest("checkout.cpu{env=prod}"), 400);
    } finally {
      fake.setResponder(undefined);
    }
  });

  test("a downstream 5xx: the client is asked to retry", async () => {
    fake.setResponder((r) => (r.kind === "ingest" ? { status: 503, body: "busy" } : undefined));
    try {
      const status = await ingest("checkout.cpu{env=prod}");
      assert.ok(status >= 500, `status ${status}`);
    } finally {
      fake.setResponder(undefined);
    }
  });
});

describe("with the durable queue behind it", () => {
  test("the relabelled labels are what is queued and delivered", async () => {
    const dir = await mkdtemp(join(tmpdir(), "relabel-queue-"));
    const queued = await startWrite(
      writeArgs({
        endpoint: [endpointArgs({ url: fake.url })],
        queue: { ...defaultsOf(queueBody), path: dir },
      }),
    );
    const p = await startPipeline(RULES, queued);
    try {
      const before = fake.pushes.length;
      assert.equal(
        await pushSeries(
          { __name__: "process_cpu", service_name: "checkout", pod: "web-1" },
          undefined,
          p.url,
        ),
        200,
      );
      assert.equal(
        await pushSeries({ __name__: "process_cpu", service_name: "checkout", env: "dev" }, undefined, p.url),
        200,
      );
      await fake.waitFor(before + 1, { kind: "push" });
      assert.deepEqual(lastPushLabels(), [
        "__name__=process_cpu",
        "app_name=process_cpu",
        "namespace=web",
        "service_name=shop",
      ]);
      assert.equal(
        await queued.metric("pyroscope_write_queue_appended_total"),
        1,
        "the dropped one was never queued",
      );
      assert.equal(fake.pushes.length, before + 1);
    } finally {
      await p.stop();
      await queued.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
