/**
 * The durable queue under `run --workers=N`: workers of one relay as `pyroscope.write` instances with distinct
 * worker slots on one configured `queue.path`, against a fake Pyroscope over real HTTP. Each owns its shard;
 * shards of a higher worker count are adopted and delivered by the remaining workers; a shard a live process
 * holds (a child process here) is left to it; one process keeps the single-process layout.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { fileCleanup, makeTempDir } from "../../../../test/support/cleanup.ts";
import {
  type SwitchableBackend,
  startSwitchableBackend,
} from "../../../../test/support/switchable-backend.ts";
import { until } from "../../../../test/support/until.ts";
import { Labels } from "../../../pyroscope/labels.ts";
import type { PushRequest } from "../../../pyroscope/receiver.ts";
import { SINGLE_PROCESS } from "../../../runtime/component.ts";
import { shareOf } from "../../../runtime/worker-share.ts";
import { defaultsOf } from "../../../syntax/decode.ts";
import { type QueueArguments, queueBody } from "./arguments.ts";
import { DEAD_LETTER_DIR } from "./queue/dead-letters.ts";
import { LOCK_FILE } from "./queue/lock.ts";
import { SHARDS_DIR } from "./queue/shards.ts";
import { endpointArgs, type RunningWrite, startWrite, stopAtCleanup, writeArgs } from "./test-harness.ts";
import { queueSettings } from "./write.ts";

const cleanup = fileCleanup();
const tempDir = () => makeTempDir(cleanup, "write-shards-");
const backend = (down = false) => startSwitchableBackend(cleanup, down);

function pushOf(id: string): PushRequest {
  return {
    headers: {},
    labels: Labels.from({ __name__: "process_cpu", service_name: "app" }),
    samples: [{ id, rawProfile: Buffer.from(`profile ${id}`.padEnd(64, "x")) }],
  };
}

function queueArgs(path: string): QueueArguments {
  return { ...defaultsOf(queueBody), path };
}

/** Worker `index` of `count`, writing to `b` through the queue at `path`. */
async function worker(
  b: SwitchableBackend,
  path: string,
  index: number,
  count: number,
): Promise<RunningWrite> {
  const endpoint = endpointArgs({
    url: b.fake.url,
    name: "b",
    min_backoff_period: 5,
    max_backoff_period: 20,
  });
  const w = await startWrite(
    writeArgs({ endpoint: [endpoint], queue: queueArgs(path) }),
    { adoptRetryMs: 50 },
    "/nonexistent/pyroscope.write.test",
    undefined,
    { index, count },
  );
  return stopAtCleanup(cleanup, w);
}

/** Pushes `n` profiles named `<prefix>-<i>` through `w`; returns their IDs. */
async function pushAll(w: RunningWrite, prefix: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = `${prefix}-${i}`;
    assert.deepEqual(await w.receiver.push(pushOf(id)), { ok: true });
    ids.push(id);
  }
  return ids;
}

const sorted = (ids: readonly string[]): string[] => [...ids].sort();

/** A child process holding the lock of the queue folder `dir` until killed. */
async function holdLock(dir: string): Promise<ChildProcess> {
  const lockModule = fileURLToPath(new URL("./queue/lock.ts", import.meta.url));
  const node = fileURLToPath(new URL("../../../../node_modules/.bin/node", import.meta.url));
  const code = `import { QueueLock } from ${JSON.stringify(lockModule)};
await QueueLock.acquire(${JSON.stringify(dir)}, () => {});
console.log("locked");
setTimeout(() => process.exit(3), 60_000);`;
  const child = spawn(node, ["--input-type=module", "-e", code], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  cleanup.after(async () => {
    child.kill("SIGKILL");
    await exited;
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (b: Buffer) => {
      if (b.toString().includes("locked")) resolve();
    });
    child.on("exit", (c) => reject(new Error(`the lock holder exited with ${c}`)));
  });
  return child;
}

describe("the durable queue under run --workers", () => {
  test("each worker's share of the relay's limits adds up to what was configured", () => {
    const args = { ...queueArgs("/q"), max_size: 1000, max_inflight_per_endpoint: 4 };
    assert.deepEqual(queueSettings(args, "/data", SINGLE_PROCESS), {
      path: "/q",
      maxSize: 1000,
      maxSizeShare: undefined,
      maxAgeMs: args.max_age,
      fsync: "always",
      maxInflight: 4,
    });
    const three = [0, 1, 2].map((index) => queueSettings(args, "/data", { index, count: 3 }));
    assert.deepEqual(
      three.map((s) => s.path),
      ["/q", "/q/shards/1", "/q/shards/2"],
    );
    assert.deepEqual(
      three.map((s) => s.maxSize),
      [334, 333, 333],
    );
    assert.deepEqual(
      three.map((s) => s.maxInflight),
      [2, 1, 1],
    );
    // more workers than max_inflight_per_endpoint: every worker still sends one at a time
    assert.equal(shareOf(4, { index: 5, count: 6 }), 1);
  });

  test("a worker's full shard says it is that worker's share of max_size", async () => {
    const b = await backend(true);
    const path = join(await tempDir(), "queue");
    const endpoint = endpointArgs({ url: b.fake.url, name: "b" });
    const w = await startWrite(
      writeArgs({ endpoint: [endpoint], queue: { ...queueArgs(path), max_size: 16 * 1024 } }),
      {},
      "/nonexistent/pyroscope.write.test",
      undefined,
      { index: 1, count: 2 },
    );
    cleanup.after(() => w.stop());
    let outcome = await w.receiver.push(pushOf("first"));
    for (let i = 0; outcome.ok && i < 200; i++) outcome = await w.receiver.push(pushOf(`p${i}`));
    assert.equal(outcome.ok, false);
    assert.equal(
      outcome.ok ? "" : outcome.message,
      "the queue is full (this worker's share of the queue's max_size: 8192 of 16384 bytes (2 workers)); try again later",
    );
  });

  test("two workers on one queue.path: each its own shard and lock, both deliver, metrics sum to the relay's", async () => {
    const b = await backend();
    const path = join(await tempDir(), "queue");
    const w0 = await worker(b, path, 0, 2);
    const w1 = await worker(b, path, 1, 2);
    const sent = [...(await pushAll(w0, "a", 10)), ...(await pushAll(w1, "b", 10))];
    await until("every profile delivered", () => b.accepted.length >= sent.length);
    assert.deepEqual(sorted(b.accepted), sorted(sent));

    const lock0 = JSON.parse(await readFile(join(path, LOCK_FILE), "utf8")) as { token: string };
    const lock1 = JSON.parse(await readFile(join(path, SHARDS_DIR, "1", LOCK_FILE), "utf8")) as {
      token: string;
    };
    assert.notEqual(lock0.token, lock1.token, "each shard has its own lock");
    assert.ok(existsSync(join(path, "segments")) && existsSync(join(path, SHARDS_DIR, "1", "segments")));
    assert.deepEqual(await readdir(join(path, SHARDS_DIR)), ["1"]);

    const appended = [
      await w0.metric("pyroscope_write_queue_appended_total"),
      await w1.metric("pyroscope_write_queue_appended_total"),
    ];
    assert.deepEqual(appended, [10, 10]);
    const delivered =
      (await w0.metric("pyroscope_write_queue_delivered_total", { endpoint: "b" })) +
      (await w1.metric("pyroscope_write_queue_delivered_total", { endpoint: "b" }));
    assert.equal(delivered, 20);
    await w0.stop();
    await w1.stop();
  });

  test("3 workers, then 2: the shard of worker 2 is adopted by worker 0, delivered once, and removed but for its dead letters", async () => {
    const b = await backend(true);
    const path = join(await tempDir(), "queue");
    const three = [await worker(b, path, 0, 3), await worker(b, path, 1, 3), await worker(b, path, 2, 3)];
    const sent: string[] = [];
    for (const [i, w] of three.entries()) sent.push(...(await pushAll(w, `w${i}`, 8)));
    for (const w of three) await w.stop();
    assert.deepEqual(b.accepted, [], "nothing delivered while the backend was down");
    const deadLetters = join(path, SHARDS_DIR, "2", DEAD_LETTER_DIR);
    await mkdir(deadLetters);
    await writeFile(join(deadLetters, "0000000000001-x-00000000.json"), "{}\n");

    b.down = false;
    const w0 = await worker(b, path, 0, 2);
    const w1 = await worker(b, path, 1, 2);
    await until("every profile delivered", () => b.accepted.length >= sent.length);
    await until("shard 2 adopted", () => w0.logs.some((l) => /"shard":2/.test(l)));
    assert.deepEqual(sorted(b.accepted), sorted(sent), "every profile arrives exactly once");
    assert.deepEqual(await readdir(join(path, SHARDS_DIR, "2")), [DEAD_LETTER_DIR], "dead letters stay");

    assert.equal(await w0.metric("pyroscope_write_queue_adopted_total"), 8);
    assert.equal(await w1.metric("pyroscope_write_queue_adopted_total"), 0);
    assert.equal(
      (await w0.metric("pyroscope_write_queue_appended_total")) +
        (await w1.metric("pyroscope_write_queue_appended_total")),
      0,
      "moved profiles are not counted as received again",
    );
    const adopted = w0.logs
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l["shard"] === 2);
    assert.equal(adopted?.["moved"], 8);
    assert.match(String(adopted?.["msg"]), /adopted the queue shard of a worker that no longer runs/);
    await w0.stop();
    await w1.stop();

    // Back to one process: worker 0 of 1 adopts shard 1 too, and the single-process layout is all that is left.
    b.accepted.length = 0;
    b.down = true;
    const again = [await worker(b, path, 0, 2), await worker(b, path, 1, 2)];
    const more = [...(await pushAll(again[0]!, "x", 3)), ...(await pushAll(again[1]!, "y", 3))];
    for (const w of again) await w.stop();
    b.down = false;
    const single = await worker(b, path, 0, 1);
    await until("every profile delivered", () => b.accepted.length >= more.length);
    await until("shard 1 removed", () => !existsSync(join(path, SHARDS_DIR, "1")));
    assert.deepEqual(sorted(b.accepted), sorted(more));
    assert.deepEqual(await readdir(join(path, SHARDS_DIR)), ["2"]);
    assert.ok(
      !single.logs.some((l) => /"shard":2/.test(l)),
      "a shard with nothing but dead letters left is not adopted again",
    );
    await single.stop();
    await rm(join(path, SHARDS_DIR), { recursive: true });
    const empty = await worker(b, path, 0, 1);
    await empty.stop();
    assert.deepEqual(sorted(await readdir(path)), ["cursors.json", "segments"]);
  });

  test("a shard held by a live process is not adopted; once that process is gone, it is", async () => {
    const b = await backend(true);
    const path = join(await tempDir(), "queue");
    const old = await worker(b, path, 2, 3);
    const sent = await pushAll(old, "old", 5);
    await old.stop();
    const shard = join(path, SHARDS_DIR, "2");
    const holder = await holdLock(shard);

    b.down = false;
    const w0 = await worker(b, path, 0, 2);
    await until("the adoption to find the shard held", () =>
      w0.logs.some((l) => /held by a running process/.test(l)),
    );
    const owner = JSON.parse(await readFile(join(shard, LOCK_FILE), "utf8")) as { pid: number };
    assert.equal(owner.pid, holder.pid, "the live owner keeps its lock");
    assert.deepEqual(b.accepted, []);
    assert.equal(await w0.metric("pyroscope_write_queue_adopted_total"), 0);

    holder.kill("SIGKILL");
    await until("every profile delivered", () => b.accepted.length >= sent.length);
    await until("shard 2 removed", () => !existsSync(shard));
    assert.deepEqual(sorted(b.accepted), sorted(sent));
    await w0.stop();
  });

  test("one process: the queue folder has exactly the single-process layout", async () => {
    const b = await backend();
    const path = join(await tempDir(), "queue");
    const w = await worker(b, path, 0, 1);
    const sent = await pushAll(w, "p", 3);
    await until("every profile delivered", () => b.accepted.length >= sent.length);
    await w.stop();
    assert.deepEqual(sorted(await readdir(path)), ["cursors.json", "segments"]);
  });
});
