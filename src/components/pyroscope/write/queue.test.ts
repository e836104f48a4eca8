/**
 * `pyroscope.write` with a `queue` block, against fake Pyroscope backends over real HTTP: independent
 * endpoints, restarts, torn and corrupt records, full queue, expiry, dead letters, reloads and health.
 */
import assert from "node:assert/strict";
import { appendFile, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { Code } from "@connectrpc/connect";
import { fileCleanup, makeTempDir } from "../../../../test/support/cleanup.ts";
import { type RecordedRequest, startFakePyroscope } from "../../../../test/support/fake-pyroscope.ts";
import { pushRequestBody } from "../../../../test/support/push-request.ts";
import {
  type SwitchableBackend,
  startSwitchableBackend,
} from "../../../../test/support/switchable-backend.ts";
import { until } from "../../../../test/support/until.ts";
import { IngestQuery } from "../../../pyroscope/ingest-query.ts";
import { Labels } from "../../../pyroscope/labels.ts";
import type { IngestRequest, PushRequest } from "../../../pyroscope/receiver.ts";
import { defaultsOf } from "../../../syntax/decode.ts";
import { type Running, start, testArgs } from "../receive_http/testkit.ts";
import { type EndpointArguments, type QueueArguments, queueBody, type WriteArguments } from "./arguments.ts";
import { CURSOR_FILE } from "./queue/cursors.ts";
import { DEAD_LETTER_DIR } from "./queue/dead-letters.ts";
import { endpointArgs, type RunningWrite, startWrite, stopAtCleanup, writeArgs } from "./test-harness.ts";
import type { WriteHooks } from "./write.ts";

const FAST = { min_backoff_period: 5, max_backoff_period: 20 } as const;

const cleanup = fileCleanup();
const tempDir = () => makeTempDir(cleanup, "write-queue-");
const backend = (down = false) => startSwitchableBackend(cleanup, down);

function pushOf(id: string, size = 64): PushRequest {
  return {
    headers: {},
    labels: Labels.from({ __name__: "process_cpu", service_name: "app" }),
    samples: [{ id, rawProfile: Buffer.from(`profile ${id} `.padEnd(size, "x")) }],
  };
}

function ingestOf(seq: number): IngestRequest {
  return {
    headers: {},
    labels: Labels.from({ __name__: "app.cpu", seq: String(seq) }),
    body: Buffer.from(`ingest body ${seq}`),
    contentType: ["binary/octet-stream"],
    path: "/ingest",
    query: IngestQuery.parse(`name=app.cpu%7Bseq%3D${seq}%7D&format=pprof`),
  };
}

function queueArgs(path: string, overrides: Partial<QueueArguments> = {}): QueueArguments {
  return { ...defaultsOf(queueBody), path, ...overrides };
}

function ep(
  b: SwitchableBackend,
  name: string,
  overrides: Partial<EndpointArguments> = {},
): EndpointArguments {
  return endpointArgs({ url: b.fake.url, name, ...FAST, ...overrides });
}

async function startQueued(
  endpoints: EndpointArguments[],
  queue: QueueArguments,
  hooks: WriteHooks = {},
  extra: Partial<WriteArguments> = {},
): Promise<RunningWrite> {
  return stopAtCleanup(cleanup, await startWrite(writeArgs({ endpoint: endpoints, queue, ...extra }), hooks));
}

function duplicates(ids: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const id of ids) {
    if (seen.has(id)) out.push(id);
    seen.add(id);
  }
  return out;
}

describe("pyroscope.write with a queue", () => {
  test("one endpoint down, another up: the client gets ok at once, the healthy endpoint everything, the other everything after it is back, nothing twice", async () => {
    const up = await backend();
    const down = await backend(true);
    const w = await startQueued([ep(up, "up"), ep(down, "down")], queueArgs(await tempDir()));
    const expected: string[] = [];
    for (let i = 0; i < 20; i++) {
      const outcome = await w.receiver.push(pushOf(`p${i}`));
      assert.deepEqual(outcome, { ok: true });
      expected.push(`p${i}`);
    }
    for (let i = 0; i < 10; i++) {
      assert.deepEqual(await w.receiver.ingest(ingestOf(i)), { ok: true });
      expected.push(`ingest-${i}`);
    }
    await until("the healthy endpoint has everything", () => up.accepted.length >= expected.length);
    assert.deepEqual([...up.accepted].sort(), [...expected].sort());
    assert.deepEqual(down.accepted, []);
    assert.ok(down.fake.requests.length > 0, "the failing endpoint is being retried");

    down.down = false;
    await until("the recovered endpoint has everything", () => down.accepted.length >= expected.length);
    assert.deepEqual([...down.accepted].sort(), [...expected].sort());
    assert.deepEqual(duplicates(up.accepted), []);
    assert.deepEqual(duplicates(down.accepted), []);
    assert.equal(await w.metric("pyroscope_write_queue_delivered_total", { endpoint: "up" }), 30);
    await until("the backlog gauge drains", async () =>
      (await w.metric("pyroscope_write_queue_items", { endpoint: "down" })) === 0 ? true : undefined,
    );
    assert.equal(await w.metric("pyroscope_write_sent_profiles_total", { endpoint: "down" }), 30);
    await w.stop();
  });

  test("the client's sample ID is kept; a sample without one gets a new ID; labels and bytes as without a queue", async () => {
    const b = await backend();
    const w = await startQueued(
      [ep(b, "b")],
      queueArgs(await tempDir()),
      {},
      { external_labels: { env: "q" } },
    );
    assert.deepEqual(await w.receiver.push(pushOf("client-id")), { ok: true });
    assert.deepEqual(await w.receiver.push(pushOf("")), { ok: true });
    const [first, second] = await b.fake.waitFor(2, { kind: "push" });
    const sample = (r: RecordedRequest | undefined) => r?.push?.series[0]?.samples[0];
    const byId = [first, second].sort((x) => (sample(x)?.ID === "client-id" ? -1 : 1));
    assert.equal(sample(byId[0])?.ID, "client-id");
    assert.match(sample(byId[1])?.ID ?? "", /^[0-9a-f-]{36}$/);
    assert.equal(
      Buffer.from(sample(byId[0])?.rawProfile ?? []).toString(),
      pushOf("client-id").samples[0]?.rawProfile.toString(),
    );
    assert.deepEqual(
      byId[0]?.push?.series[0]?.labels.map((l) => `${l.name}=${l.value}`),
      ["__name__=process_cpu", "env=q", "service_name=app"],
    );
    // invalid labels are refused at once and never queued
    const bad = await w.receiver.push({
      ...pushOf("x"),
      labels: Labels.from({ service_name: "a", "bad-name": "v" }),
    });
    assert.equal(bad.ok, false);
    await w.stop();
  });

  test("a full queue answers 429 with Retry-After; once delivered, there is room again", async () => {
    const b = await backend(true);
    const w = await startQueued([ep(b, "b")], queueArgs(await tempDir(), { max_size: 8 * 1024 }));
    let i = 0;
    let outcome = await w.receiver.push(pushOf(`f${i}`, 1000));
    while (outcome.ok && i < 100) outcome = await w.receiver.push(pushOf(`f${++i}`, 1000));
    assert.deepEqual(outcome, {
      ok: false,
      code: Code.ResourceExhausted,
      httpStatus: 429,
      message: "the queue is full (max_size 8192 bytes); try again later",
      retryAfterMs: 1000,
    });
    assert.ok(i >= 4 && i <= 8, `about max_size worth of profiles went in (${i})`);
    assert.equal(await w.metric("pyroscope_write_queue_full_rejections_total"), 1);
    assert.deepEqual(
      (await w.receiver.push(pushOf("huge", 9000))).ok,
      false,
      "a profile larger than max_size can never fit: 413",
    );

    b.down = false;
    await until("the backlog is delivered", () => b.accepted.length >= i);
    await until("room again", async () =>
      (await w.receiver.push(pushOf("later", 1000))).ok ? true : undefined,
    );
    await w.stop();
  });

  test("items older than max_age are counted as expired and not sent", async () => {
    const b = await backend(true);
    const w = await startQueued(
      [ep(b, "b")],
      queueArgs(await tempDir(), { max_age: 300, max_inflight_per_endpoint: 2 }),
    );
    for (let i = 0; i < 5; i++) assert.deepEqual(await w.receiver.push(pushOf(`old${i}`)), { ok: true });
    await until("every item expired", async () =>
      (await w.metric("pyroscope_write_queue_expired_total", { endpoint: "b" })) === 5 ? true : undefined,
    );
    // an attempt the expiry cut short may already be on the wire (on a loaded machine the fake may read it
    // late): the backend comes up only once nothing has arrived for a while, and answers anything that
    // arrived before that as down
    await until("no attempt in flight", () =>
      performance.now() - (b.fake.requests.at(-1)?.receivedAt ?? 0) > 500 ? true : undefined,
    );
    b.upSince = performance.now();
    b.down = false;
    await w.receiver.push(pushOf("fresh"));
    await until("the fresh item arrives", () => b.accepted.includes("fresh"));
    assert.deepEqual(b.accepted, ["fresh"]);
    assert.equal(await w.metric("pyroscope_write_dropped_profiles_total", { endpoint: "b" }), 5);
    await w.stop();
  });

  test("a restart resumes from the cursors; a torn tail is cut off and the rest delivered once", async () => {
    const dir = await tempDir();
    const b = await backend(true);
    const queue = queueArgs(dir, { max_inflight_per_endpoint: 1 });
    const first = await startQueued([ep(b, "b")], queue);
    for (let i = 0; i < 10; i++) assert.deepEqual(await first.receiver.push(pushOf(`r${i}`)), { ok: true });
    await first.stop();

    // a crash in the middle of a write leaves half a record at the end of the last segment
    const segments = join(dir, "segments");
    const last = (await readdir(segments))
      .filter((n) => n.endsWith(".seg"))
      .sort()
      .at(-1)!;
    await appendFile(join(segments, last), Buffer.from([0x50, 0x52, 0x51, 0x31, 0xff, 0, 0, 0, 1, 2, 3]));

    b.down = false;
    const second = await startQueued([ep(b, "b")], queue);
    await until("everything delivered", () => b.accepted.length >= 10);
    assert.deepEqual(
      b.accepted,
      Array.from({ length: 10 }, (_, i) => `r${i}`),
    );
    assert.equal(
      await second.metric("pyroscope_write_queue_corrupt_records_total", { reason: "torn_tail" }),
      1,
    );
    await second.stop();

    const third = await startQueued([ep(b, "b")], queue);
    await third.receiver.push(pushOf("sentinel"));
    await until("the sentinel arrives", () => b.accepted.includes("sentinel"));
    assert.deepEqual(duplicates(b.accepted), [], "nothing delivered before the clean stop is sent again");
    assert.equal(b.accepted.length, 11);
    await third.stop();
  });

  test("a corrupt record in the middle of the log is skipped and counted; the rest is delivered", async () => {
    const dir = await tempDir();
    const b = await backend(true);
    const queue = queueArgs(dir);
    const hooks: WriteHooks = { queue: { segmentBytes: 300 } };
    const first = await startQueued([ep(b, "b")], queue, hooks);
    for (let i = 0; i < 8; i++) await first.receiver.push(pushOf(`c${i}`));
    await first.stop();
    const segments = join(dir, "segments");
    const files = (await readdir(segments)).filter((n) => n.endsWith(".seg")).sort();
    assert.ok(files.length >= 3, "several segments");
    const path = join(segments, files[1]!);
    const bytes = await readFile(path);
    const at = bytes.indexOf("profile c");
    assert.ok(at > 0);
    const victim = `c${String.fromCharCode(bytes[at + 9]!)}`;
    bytes[at + 3] = bytes[at + 3]! ^ 0xff;
    await writeFile(path, bytes);

    b.down = false;
    const second = await startQueued([ep(b, "b")], queue, hooks);
    await until("the rest delivered", () => b.accepted.length >= 7);
    const expected = Array.from({ length: 8 }, (_, i) => `c${i}`).filter((id) => id !== victim);
    assert.deepEqual([...b.accepted].sort(), expected);
    assert.equal(
      await second.metric("pyroscope_write_queue_corrupt_records_total", { reason: "corrupt" }),
      1,
    );
    await second.stop();
  });

  test("a profile an endpoint refuses for good goes to the dead-letter folder; the others are delivered", async () => {
    const dir = await tempDir();
    const b = await backend();
    b.refuse.set("bad", 400);
    const w = await startQueued([ep(b, "b")], queueArgs(dir));
    for (const id of ["ok1", "bad", "ok2"]) assert.deepEqual(await w.receiver.push(pushOf(id)), { ok: true });
    await until("dead-lettered", async () =>
      (await w.metric("pyroscope_write_queue_dead_lettered_total", { endpoint: "b" })) === 1
        ? true
        : undefined,
    );
    await until("the others delivered", () => b.accepted.length >= 2);
    assert.deepEqual([...b.accepted].sort(), ["ok1", "ok2"]);
    assert.equal(await w.metric("pyroscope_write_queue_rejected_total", { endpoint: "b" }), 1);
    const names = await readdir(join(dir, DEAD_LETTER_DIR));
    const json = names.find((n) => n.endsWith(".json"));
    assert.ok(json, names.join(", "));
    const meta = JSON.parse(await readFile(join(dir, DEAD_LETTER_DIR, json), "utf8"));
    assert.equal(meta.endpoint, "b");
    assert.equal(meta.status, 400);
    assert.match(meta.error, /bad profile/);
    assert.equal(meta.samples[0].id, "bad");
    const sample = await readFile(join(dir, DEAD_LETTER_DIR, meta.samples[0].file));
    assert.deepEqual(sample, pushOf("bad").samples[0]?.rawProfile);
    await w.stop();
  });

  test("at most max_inflight_per_endpoint profiles are in flight to one endpoint", async () => {
    let open = 0;
    let most = 0;
    const fake = await startFakePyroscope({
      respond: async () => {
        open++;
        most = Math.max(most, open);
        await new Promise((r) => setTimeout(r, 5));
        open--;
        return undefined;
      },
    });
    cleanup.after(() => fake.close());
    const w = await startQueued(
      [endpointArgs({ url: fake.url, ...FAST })],
      queueArgs(await tempDir(), { max_inflight_per_endpoint: 2 }),
    );
    await Promise.all(Array.from({ length: 12 }, (_, i) => w.receiver.push(pushOf(`i${i}`))));
    await fake.waitFor(12);
    assert.ok(most <= 2, `at most 2 at once (saw ${most})`);
    await w.stop();
  });

  test("reload: a new endpoint starts at the end of the log; a removed endpoint's cursor is dropped and its segments freed", async () => {
    const dir = await tempDir();
    const a = await backend();
    const c = await backend(true);
    const queue = queueArgs(dir);
    const hooks: WriteHooks = { queue: { segmentBytes: 400 } };
    const w = await startQueued([ep(a, "a"), ep(c, "c")], queue, hooks);
    for (let i = 0; i < 10; i++) await w.receiver.push(pushOf(`old${i}`));
    await until("a has the old items", () => a.accepted.length >= 10);
    const held = await w.metric("pyroscope_write_queue_disk_bytes");
    assert.ok(held > 400, "the down endpoint holds segments");

    const b = await backend();
    await w.component.update(writeArgs({ endpoint: [ep(a, "a"), ep(b, "b")], queue }));
    await w.receiver.push(pushOf("new"));
    await until("both have the new item", () => a.accepted.includes("new") && b.accepted.includes("new"));
    assert.deepEqual(b.accepted, ["new"], "the added endpoint does not get the old backlog");
    await until("the removed endpoint's segments are freed", async () =>
      (await w.metric("pyroscope_write_queue_disk_bytes")) < held ? true : undefined,
    );
    const cursors = await until("the cursor file lists a and b", async () => {
      const saved = JSON.parse(await readFile(join(dir, CURSOR_FILE), "utf8")) as {
        endpoints: Record<string, { endpoint: string }>;
      };
      const names = Object.values(saved.endpoints)
        .map((e) => e.endpoint)
        .sort();
      return names.join() === "a,b" ? names : undefined;
    });
    assert.deepEqual(cursors, ["a", "b"]);
    assert.deepEqual(c.accepted, []);
    await w.stop();
  });

  test("reload with a new path opens another queue and moves the old backlog there; the old folder is then empty", async () => {
    const one = await tempDir();
    const two = await tempDir();
    const b = await backend(true);
    const w = await startQueued([ep(b, "b")], queueArgs(one));
    for (let i = 0; i < 3; i++) await w.receiver.push(pushOf(`one${i}`));
    await w.component.update(writeArgs({ endpoint: [ep(b, "b")], queue: queueArgs(two) }));
    await w.receiver.push(pushOf("two"));
    b.down = false;
    await until("the new queue delivers everything", () => b.accepted.length >= 4);
    assert.deepEqual([...b.accepted].sort(), ["one0", "one1", "one2", "two"]);
    await w.component.update(writeArgs({ endpoint: [ep(b, "b")], queue: queueArgs(one) }));
    await w.receiver.push(pushOf("back"));
    await until("the queue back in the first folder delivers", () => b.accepted.includes("back"));
    assert.deepEqual(duplicates(b.accepted), [], "nothing moved is sent again from the old folder");
    await w.stop();
  });

  test("health: unhealthy while an endpoint's oldest item waits too long, healthy again once it is through", async () => {
    const b = await backend(true);
    const w = await startQueued([ep(b, "b")], queueArgs(await tempDir()), { queue: { stuckAfterMs: 50 } });
    assert.equal(w.component.health().state, "healthy");
    await w.receiver.push(pushOf("stuck"));
    const sick = await until("unhealthy", () => {
      const h = w.component.health();
      return h.state === "unhealthy" ? h : undefined;
    });
    assert.match(
      sick.message,
      new RegExp(
        `endpoint ${b.fake.url} has 1 profile waiting, the oldest for \\d+s; last error: unavailable: down for maintenance`,
      ),
    );
    b.down = false;
    await until("healthy again", () => (w.component.health().state === "healthy" ? true : undefined));
    await w.stop();
  });

  test("without a queue block, no queue metrics exist", async () => {
    const b = await backend();
    const w = await startWrite(writeArgs({ endpoint: [ep(b, "b")] }));
    assert.equal(w.registry.getSingleMetric("pyroscope_write_queue_items"), undefined);
    await w.stop();
  });
});

describe("a full queue seen by SDKs through pyroscope.receive_http", () => {
  let receiver: Running | undefined;
  after(async () => {
    await receiver?.stop();
  });

  test("/ingest gets 429 with Retry-After, push gets resource_exhausted with Retry-After", async () => {
    const b = await backend(true);
    const w = await startQueued([ep(b, "b")], queueArgs(await tempDir(), { max_size: 4096 }));
    receiver = await start(testArgs([w.receiver]));
    let res: Response | undefined;
    for (let i = 0; i < 20; i++) {
      res = await fetch(`${receiver.url}/ingest?name=app.cpu%7Bseq%3D${i}%7D`, {
        method: "POST",
        body: Buffer.alloc(1000, 1),
      });
      await res.arrayBuffer();
      if (res.status !== 200) break;
    }
    assert.equal(res?.status, 429);
    assert.equal(res?.headers.get("retry-after"), "1");

    const body = pushRequestBody({ __name__: "process_cpu", service_name: "app" }, new Uint8Array(3000), "x");
    const push = await fetch(`${receiver.url}/push.v1.PusherService/Push`, {
      method: "POST",
      headers: { "content-type": "application/proto" },
      body,
    });
    const error = (await push.json()) as { code: string };
    assert.equal(push.status, 429);
    assert.equal(error.code, "resource_exhausted");
    assert.equal(push.headers.get("retry-after"), "1");
    await w.stop();
  });
});
