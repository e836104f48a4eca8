/**
 * One capture store written by several worker processes of `run --workers=N`: a child process and this one
 * write the same folder at once; `ls` and `replay` see every capture; a worker's start-up scan leaves another
 * worker's write in progress alone; captures of workers a higher count left are adopted for retention and
 * `max_size`; each worker keeps its share of `max_size`.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { Registry } from "prom-client";
import { fileCleanup, makeTempDir } from "../../../../test/support/cleanup.ts";
import { captureIO } from "../../../../test/support/cli-io.ts";
import { startFakePyroscope } from "../../../../test/support/fake-pyroscope.ts";
import { main } from "../../../cli/main.ts";
import { Labels } from "../../../pyroscope/labels.ts";
import type { WorkerSlot } from "../../../runtime/component.ts";
import { DEFAULT_RETENTION_MS } from "./arguments.ts";
import { CaptureComponent } from "./capture.ts";
import { listCaptures } from "./catalog.ts";
import { pushDraft } from "./draft.ts";
import { workerOfId } from "./layout.ts";
import { CaptureStore } from "./store.ts";

const cleanup = fileCleanup();
const tempDir = () => makeTempDir(cleanup, "capture-workers-");

const HOUR = 3_600_000;
const LIMITS = { maxSize: 1024 ** 3, retentionMs: 24 * HOUR };
const labels = Labels.from({ __name__: "process_cpu", service_name: "svc" });
const draft = (n: number) => pushDraft(labels, { id: `s${n}`, rawProfile: Buffer.from(`profile ${n}`) });

function open(root: string, worker: WorkerSlot, limits = LIMITS, now?: () => number): CaptureStore {
  const store = new CaptureStore(root, limits, { worker, now });
  cleanup.after(() => store.close());
  return store;
}

/** Writes `n` captures from a child process, as worker `worker`; resolves once it has exited. */
async function writeFromChild(root: string, worker: WorkerSlot, n: number): Promise<void> {
  const here = (p: string) => JSON.stringify(fileURLToPath(new URL(p, import.meta.url)));
  const node = fileURLToPath(new URL("../../../../node_modules/.bin/node", import.meta.url));
  const code = `import { CaptureStore } from ${here("./store.ts")};
import { pushDraft } from ${here("./draft.ts")};
import { Labels } from ${here("../../../pyroscope/labels.ts")};
const labels = Labels.from({ __name__: "process_cpu", service_name: "svc" });
const store = new CaptureStore(${JSON.stringify(root)}, { maxSize: 1024 ** 3, retentionMs: 86400000 }, { worker: ${JSON.stringify(worker)} });
await Promise.all(Array.from({ length: ${n} }, (_, i) => store.write(pushDraft(labels, { id: "c" + i, rawProfile: Buffer.from("child " + i) }))));
await store.close();`;
  const child = spawn(node, ["--input-type=module", "-e", code], { stdio: ["ignore", "inherit", "inherit"] });
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const exit = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  clearTimeout(timer);
  assert.equal(exit, 0, "the child wrote its captures");
}

describe("one capture store, several workers", () => {
  test("two processes write one store at once; ls and replay see every capture", async () => {
    const root = join(await tempDir(), "captures");
    const mine = open(root, { index: 0, count: 2 });
    const [written] = await Promise.all([
      Promise.all(Array.from({ length: 20 }, (_, i) => mine.write(draft(i)))),
      writeFromChild(root, { index: 1, count: 2 }, 20),
    ]);
    assert.equal(mine.count, 20, "a worker counts its own captures");

    const catalog = await listCaptures(root);
    assert.deepEqual(catalog.problems, []);
    assert.equal(catalog.entries.length, 40);
    assert.equal(new Set(catalog.entries.map((e) => e.record.id)).size, 40);
    assert.deepEqual(
      catalog.entries
        .filter((e) => workerOfId(e.record.id) === 1)
        .map((e) => e.record.sample_id)
        .sort(),
      Array.from({ length: 20 }, (_, i) => `c${i}`).sort(),
    );
    assert.ok(written.every((r) => workerOfId(r.id) === 0 && !r.id.includes("-w")));

    const ls = captureIO();
    assert.equal(await main(["ls", "--json", root], ls.io), 0, ls.err());
    const listed = JSON.parse(ls.out()) as { total: { count: number } };
    assert.equal(listed.total.count, 40);

    const fake = await startFakePyroscope();
    cleanup.after(() => fake.close());
    const replay = captureIO();
    assert.equal(await main(["replay", root, "--to", fake.url], replay.io), 0, replay.err());
    assert.equal(replay.out(), `replay: 40 sent, 0 failed, 0 skipped (to ${fake.url})\n`);
    assert.equal(fake.pushes.length, 40);

    // A restarted worker 0 indexes only its own captures again.
    await mine.close();
    const again = open(root, { index: 0, count: 2 });
    await again.ready();
    assert.equal(again.count, 20);
  });

  test("a worker's start-up scan removes only its own crash leftovers, never another worker's write in progress", async () => {
    const root = join(await tempDir(), "captures");
    const first = open(root, { index: 0, count: 2 });
    const record = await first.write(draft(0));
    await first.close();
    const hour = join(root, "svc", record.received_at.slice(0, 13));
    const ofWorker1 = "20250301T101501.000Z-process_cpu-0badcafe-w1";
    const ofWorker0 = "20250301T101502.000Z-process_cpu-1badcafe";
    for (const id of [ofWorker1, ofWorker0]) {
      await writeFile(join(hour, `.${id}.pb.gz.tmp-1234abcd`), "half");
      await writeFile(join(hour, `${id}.pb.gz`), "no sidecar yet");
    }
    const names = async () => (await readdir(hour)).filter((n) => n !== `${record.id}.json`).sort();

    const w1 = open(root, { index: 1, count: 2 });
    await w1.ready();
    assert.equal(w1.count, 0);
    assert.deepEqual(await names(), [
      `.${ofWorker0}.pb.gz.tmp-1234abcd`,
      `${ofWorker0}.pb.gz`,
      `${record.id}.pb.gz`,
    ]);

    const w0 = open(root, { index: 0, count: 2 });
    await w0.ready();
    assert.equal(w0.count, 1);
    assert.deepEqual(await names(), [`${record.id}.pb.gz`]);
  });

  test("captures of a worker a higher count left are adopted for retention and max_size", async () => {
    const root = join(await tempDir(), "captures");
    let clock = Date.parse("2025-03-01T10:15:00.000Z");
    const old = open(root, { index: 2, count: 3 }, LIMITS, () => clock);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      clock += 1000;
      ids.push((await old.write(draft(i))).id);
    }
    const one = old.bytes / 4;
    await old.close();
    assert.ok(ids.every((id) => workerOfId(id) === 2));

    const w1 = open(root, { index: 1, count: 2 }, { ...LIMITS, maxSize: Math.floor(one * 2.5) }, () => clock);
    await w1.enforce();
    assert.equal(w1.count, 0, "worker 1 of 2 does not own worker 2's captures");
    assert.equal((await listCaptures(root)).entries.length, 4);

    const w0 = open(root, { index: 0, count: 2 }, { ...LIMITS, maxSize: Math.floor(one * 2.5) }, () => clock);
    await w0.enforce();
    assert.equal(w0.count, 2, "worker 0 of 2 owns them and keeps them within its max_size");
    assert.deepEqual(
      (await listCaptures(root)).entries.map((e) => e.record.id),
      ids.slice(2),
    );
  });

  test("each worker's capture component keeps its share of max_size", async () => {
    const dataPath = join(await tempDir(), "pyroscope.capture.test");
    const component = new CaptureComponent(
      {
        id: "pyroscope.capture.test",
        logger: pino({ level: "silent" }),
        registry: new Registry(),
        dataPath,
        worker: { index: 1, count: 2 },
        onStateChange: () => {},
      },
      { path: undefined, max_size: 4001, retention: DEFAULT_RETENTION_MS },
    );
    const controller = new AbortController();
    const running = component.run(controller.signal);
    cleanup.after(async () => {
      controller.abort();
      await running;
    });
    await component.store.ready();
    const outcome = await component.push({
      headers: {},
      labels,
      samples: [{ id: "big", rawProfile: randomBytes(1800) }],
    });
    assert.equal(outcome.ok, false);
    assert.match(
      outcome.ok ? "" : outcome.message,
      /more than this worker's share of max_size: 2000 of 4001 bytes \(2 workers\)$/,
    );
  });
});
