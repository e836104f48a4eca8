/**
 * The durable queue across worker processes: relay workers as child processes (`test/support/worker-agent.ts`,
 * one agent per worker slot, each `receive_http` on its own port as there is no cluster here) on one storage
 * folder, against a fake Pyroscope that is down at first. Three workers take profiles over HTTP and are
 * SIGKILLed (their locks left behind); two workers then start on the same folder, take the dead workers' locks
 * over, adopt the shard of worker 2, and every acknowledged profile arrives once; the adopted shard is removed.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { fileCleanup, makeTempDir } from "../support/cleanup.ts";
import { type RecordedRequest, startFakePyroscope } from "../support/fake-pyroscope.ts";
import { freePort } from "../support/free-port.ts";
import { queuedRelayConfig } from "../support/relay-process.ts";
import { until } from "../support/until.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const NODE = join(ROOT, "node_modules/.bin/node");
const WORKER = join(ROOT, "test/support/worker-agent.ts");
const PER_WORKER = 10;

interface Worker {
  readonly process: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
  readonly port: number;
}

const running = new Set<Worker>();
// the workers first: they write into the folders
after(async () => {
  await Promise.all(
    [...running].map(async (w) => {
      w.process.kill("SIGKILL");
      await w.exited;
    }),
  );
});
const cleanup = fileCleanup();

/**
 * Starts worker `index` of `count` with its own receive port; resolves once its config is loaded. A port that
 * another test took between `freePort` and the worker's listen is replaced by a new one (three tries).
 */
async function startWorker(
  dir: string,
  storage: string,
  backendUrl: string,
  index: number,
  count: number,
): Promise<Worker> {
  for (let tries = 1; ; tries++) {
    try {
      return await startWorkerOn(await freePort(), dir, storage, backendUrl, index, count);
    } catch (err) {
      if (tries >= 3 || !(err as Error).message.includes("EADDRINUSE")) throw err;
    }
  }
}

async function startWorkerOn(
  port: number,
  dir: string,
  storage: string,
  backendUrl: string,
  index: number,
  count: number,
): Promise<Worker> {
  const config = join(dir, `worker-${count}-${index}.alloy`);
  await writeFile(config, queuedRelayConfig(port, backendUrl));
  const proc = spawn(NODE, [WORKER, config, storage, String(index), String(count)], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const add = (b: Buffer): void => {
    output = (output + b.toString()).slice(-50_000);
  };
  proc.stdout!.on("data", add);
  proc.stderr!.on("data", add);
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
  const worker: Worker = { process: proc, output: () => output, exited, port };
  running.add(worker);
  const watchdog = setTimeout(() => proc.kill("SIGKILL"), 60_000);
  void exited.then(() => {
    clearTimeout(watchdog);
    running.delete(worker);
  });
  await until(`worker ${index} of ${count} to run`, () => {
    if (proc.exitCode !== null) throw new Error(`worker ${index} of ${count} exited:\n${output}`);
    return /profile-relay is running/.test(output);
  });
  return worker;
}

async function ingest(w: Worker, seq: string): Promise<void> {
  const res = await fetch(
    `http://127.0.0.1:${w.port}/ingest?name=${encodeURIComponent(`app.cpu{seq=${seq}}`)}&format=folded`,
    { method: "POST", body: `main;work ${seq.length}\n` },
  );
  assert.equal(res.status, 200, await res.text());
}

function idOf(r: RecordedRequest): string {
  const name = new URLSearchParams(r.query).get("name") ?? "";
  return /seq=([^,}]+)/.exec(name)?.[1] ?? "?";
}

describe("durable queue: worker processes on one folder", () => {
  it("3 workers SIGKILLed, then 2: every acknowledged profile arrives once, worker 2's shard is adopted and removed", {
    timeout: 90_000,
  }, async () => {
    const dir = await makeTempDir(cleanup, "profile-relay-workers-");
    let up = false;
    const arrived = new Map<string, number>();
    const backend = await startFakePyroscope({
      respond: (r) => {
        if (!up) return { status: 503, message: "down" };
        const id = idOf(r);
        arrived.set(id, (arrived.get(id) ?? 0) + 1);
        return undefined;
      },
    });
    cleanup.after(() => backend.close());
    const storage = join(dir, "data");
    const queue = join(storage, "pyroscope.write.out");

    const three = await Promise.all([0, 1, 2].map((i) => startWorker(dir, storage, backend.url, i, 3)));
    const sent: string[] = [];
    for (const [i, w] of three.entries()) {
      for (let n = 0; n < PER_WORKER; n++) {
        const seq = `w${i}n${n}`;
        await ingest(w, seq);
        sent.push(seq);
      }
    }
    assert.deepEqual(
      (await readdir(join(queue, "shards"))).sort(),
      ["1", "2"],
      "workers 1 and 2 have their shards inside the queue folder",
    );
    for (const w of three) {
      w.process.kill("SIGKILL");
      await w.exited;
    }
    assert.ok(existsSync(join(queue, "shards", "2", "lock")), "the killed worker's lock is left behind");

    up = true;
    const two = await Promise.all([0, 1].map((i) => startWorker(dir, storage, backend.url, i, 2)));
    await until("every acknowledged profile delivered", () => sent.every((id) => arrived.has(id)), 30_000);
    await until("worker 2's shard removed", () => !existsSync(join(queue, "shards", "2")), 30_000);
    const twice = [...arrived].filter(([, n]) => n > 1).map(([id]) => id);
    assert.deepEqual(twice, [], "nothing was delivered before the crash, so nothing arrives twice");
    // the log line may reach this process after the shard is gone (the child's log writer is asynchronous)
    await until("the adoption logged", () =>
      /adopted the queue shard of a worker that no longer runs/.test(two[0]!.output()),
    );
    assert.match(two[0]!.output(), /adopted the queue shard of a worker that no longer runs/);
    assert.match(two[0]!.output(), /taking over the lock of the queue folder/);

    for (const w of two) {
      w.process.kill("SIGTERM");
      assert.equal(await w.exited, 0);
    }
    assert.deepEqual(await readdir(join(queue, "shards")), ["1"]);
  });
});
