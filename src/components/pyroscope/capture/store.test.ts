import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { Registry } from "prom-client";
import { readFixture } from "../../../../test/support/fixtures.ts";
import { Labels } from "../../../pyroscope/labels.ts";
import { listCaptures } from "./catalog.ts";
import { pushDraft } from "./draft.ts";
import { CaptureMetrics } from "./metrics.ts";
import { CaptureStore, type StoreLimits } from "./store.ts";

const HOUR = 3_600_000;
const T0 = Date.parse("2025-03-01T10:15:00.000Z");
const labels = Labels.from({ __name__: "process_cpu", service_name: "svc" });
const draft = pushDraft(labels, { id: "", rawProfile: readFixture("pprof/go-cpu.pb.gz") });

let root: string;
let clock: number;
const stores: CaptureStore[] = [];

function open(limits: Partial<StoreLimits> = {}, metrics?: CaptureMetrics): CaptureStore {
  const store = new CaptureStore(
    root,
    { maxSize: 1024 ** 3, retentionMs: 24 * HOUR, ...limits },
    { now: () => clock, metrics },
  );
  stores.push(store);
  return store;
}

/** Every file under `root`, relative, sorted. */
async function files(): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(join(e.parentPath, e.name).slice(root.length + 1));
  }
  return out.sort();
}

async function diskBytes(): Promise<number> {
  let total = 0;
  for (const f of await files()) total += (await stat(join(root, f))).size;
  return total;
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "capture-store-"));
  clock = T0;
});

afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  await rm(root, { recursive: true, force: true });
});

describe("CaptureStore", () => {
  test("files are grouped by service and UTC hour, named by receive time", async () => {
    const store = open();
    const record = await store.write(draft);
    assert.equal(record.received_at, "2025-03-01T10:15:00.000Z");
    assert.match(record.id, /^20250301T101500\.000Z-process_cpu-[0-9a-f]{8}$/);
    assert.deepEqual(await files(), [
      `svc/2025-03-01T10/${record.id}.json`,
      `svc/2025-03-01T10/${record.id}.pb.gz`,
    ]);
    assert.equal(store.count, 1);
    assert.equal(store.bytes, await diskBytes());
  });

  test("service names are sanitised into one safe folder name", async () => {
    const store = open();
    const odd = pushDraft(Labels.from({ __name__: "x", service_name: "../a b/c" }), {
      id: "",
      rawProfile: readFixture("pprof/go-cpu.pb.gz"),
    });
    const record = await store.write(odd);
    assert.equal(record.service_name, "../a b/c");
    assert.deepEqual(
      (await files()).map((f) => f.split("/")[0]),
      ["_._a_b_c", "_._a_b_c"],
    );
  });

  test("retention by age removes captures older than retention, sidecar and data, and empty folders", async () => {
    const metrics = new CaptureMetrics(new Registry());
    const store = open({ retentionMs: 90 * 60_000 }, metrics);
    const first = await store.write(draft);
    clock = T0 + HOUR;
    const second = await store.write(draft);
    clock = T0 + 2 * HOUR;
    await store.enforce();
    const left = await files();
    assert.ok(!left.some((f) => f.includes(first.id)), "the first capture is gone");
    assert.ok(left.some((f) => f.includes(second.id)));
    assert.ok(!left.some((f) => f.includes("2025-03-01T10/")), "its empty hour folder is gone");
    assert.equal(store.count, 1);
    assert.equal(store.bytes, await diskBytes());
    assert.equal(
      (await metrics.removedProfiles.get()).values.find((v) => v.labels.reason === "retention")?.value,
      1,
    );
    assert.equal((await metrics.storeProfiles.get()).values[0]?.value, 1);
  });

  test("a write removes expired captures first", async () => {
    const store = open({ retentionMs: HOUR });
    const first = await store.write(draft);
    clock = T0 + 2 * HOUR;
    await store.write(draft);
    await store.enforce();
    assert.ok(!(await files()).some((f) => f.includes(first.id)));
    assert.equal(store.count, 1);
  });

  test("retention by size keeps the store under max_size by removing the oldest first", async () => {
    const probe = open();
    await probe.write(draft);
    const one = probe.bytes;
    await probe.close();
    await rm(root, { recursive: true, force: true });
    await mkdir(root);

    const store = open({ maxSize: Math.floor(one * 2.5) });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      clock = T0 + i * 1000;
      ids.push((await store.write(draft)).id);
      assert.ok(store.bytes <= Math.floor(one * 2.5));
    }
    await store.enforce();
    const left = await files();
    assert.equal(store.count, 2);
    for (const id of ids.slice(0, 3)) assert.ok(!left.some((f) => f.includes(id)), `${id} removed`);
    for (const id of ids.slice(3))
      assert.ok(
        left.some((f) => f.includes(id)),
        `${id} kept`,
      );
    assert.ok((await diskBytes()) <= Math.floor(one * 2.5));
  });

  test("restarting rebuilds the index from the folder", async () => {
    const first = open();
    await first.write(draft);
    clock += 1000;
    await first.write(draft);
    const bytes = first.bytes;
    await first.close();

    const second = open();
    await second.ready();
    assert.equal(second.count, 2);
    assert.equal(second.bytes, bytes);
    // ... and enforces the limits it is opened with.
    clock = T0 + 48 * HOUR;
    const third = open();
    await third.enforce();
    assert.equal(third.count, 0);
    assert.deepEqual(await files(), []);
  });

  test("a crash mid-write leaves no visible partial profile, and the leftovers are removed at start", async () => {
    const store = open();
    const complete = await store.write(draft);
    await store.close();
    const hour = join(root, "svc", "2025-03-01T10");
    // What a crash can leave: a half-written temporary file, and a data file whose sidecar was never written.
    const orphanId = "20250301T101501.000Z-process_cpu-0badcafe";
    await writeFile(join(hour, `.${orphanId}.pb.gz.tmp-1234abcd`), Buffer.from([0x1f, 0x8b, 0x08]));
    await writeFile(join(hour, `${orphanId}.pb.gz`), readFixture("pprof/go-cpu.pb.gz"));
    await writeFile(join(hour, `.${complete.id}.json.tmp-00ff00ff`), "{");
    // A file that is not ours is left alone.
    await writeFile(join(hour, "notes.txt"), "mine");

    // Readers see only the complete capture.
    const before = await listCaptures(root);
    assert.deepEqual(
      before.entries.map((e) => e.record.id),
      [complete.id],
    );
    assert.deepEqual(before.problems, []);

    const reopened = open();
    await reopened.ready();
    assert.equal(reopened.count, 1);
    assert.deepEqual(await files(), [
      `svc/2025-03-01T10/${complete.id}.json`,
      `svc/2025-03-01T10/${complete.id}.pb.gz`,
      "svc/2025-03-01T10/notes.txt",
    ]);
    assert.equal(reopened.bytes, (await diskBytes()) - "mine".length);
  });

  test("a failed write removes what it wrote and reports 500", async () => {
    const store = open();
    await store.ready();
    await writeFile(join(root, "svc"), "a file where a folder should be");
    await assert.rejects(store.write(draft), (err: Error & { httpStatus?: number }) => {
      assert.equal(err.httpStatus, 500);
      assert.match(err.message, /writing a capture in/);
      return true;
    });
    assert.equal(store.count, 0);
    assert.equal(store.bytes, 0);
  });

  test("an unusable root fails every write with the reason", async () => {
    await writeFile(join(root, "file"), "x");
    const store = new CaptureStore(join(root, "file", "sub"), { maxSize: 1e9, retentionMs: HOUR });
    stores.push(store);
    await assert.rejects(store.write(draft), /capture store .* is not usable/);
  });
});
