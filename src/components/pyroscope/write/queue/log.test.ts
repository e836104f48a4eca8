import assert from "node:assert/strict";
import { appendFile, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileCleanup, makeTempDir } from "../../../../../test/support/cleanup.ts";
import { type FsyncMode, SegmentLog } from "./log.ts";
import { checkFrame, frame } from "./record.ts";
import type { Damage } from "./recover.ts";

const cleanup = fileCleanup();
const tempDir = () => makeTempDir(cleanup, "queue-log-");

interface Opened {
  log: SegmentLog;
  records: { position: number; text: string }[];
  damage: Damage[];
  syncs: number;
}

async function openLog(
  dir: string,
  opts: { segmentBytes?: number; fsync?: FsyncMode } = {},
): Promise<Opened> {
  const out: Opened = { log: undefined as unknown as SegmentLog, records: [], damage: [], syncs: 0 };
  out.log = await SegmentLog.open(
    dir,
    {
      segmentBytes: opts.segmentBytes ?? 1 << 20,
      fsync: opts.fsync ?? "always",
      minTail: () => 0,
      onFsync: () => {
        out.syncs++;
      },
    },
    {
      onRecord: (position, _length, payload) => out.records.push({ position, text: payload.toString() }),
      onDamage: (d) => out.damage.push(d),
    },
  );
  return out;
}

const rec = (text: string) => frame([Buffer.from(text)]);

async function segmentFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.endsWith(".seg")).sort();
}

describe("the queue's segment log", () => {
  test("concurrent appends share writes and syncs (group commit), in order, and read back", async () => {
    const dir = await tempDir();
    const o = await openLog(dir);
    const written: number[] = [];
    const positions = await Promise.all(
      Array.from({ length: 200 }, (_, i) => o.log.append(rec(`record ${i}`), (p) => written.push(p))),
    );
    assert.deepEqual(written, positions, "onWritten runs in log order");
    assert.deepEqual(
      [...positions].sort((a, b) => a - b),
      positions,
    );
    assert.ok(o.syncs >= 1 && o.syncs < 200, `one sync per batch, not per record (${o.syncs} syncs)`);
    const buf = await o.log.read(positions[7]!, rec("record 7").length);
    const c = checkFrame(buf, 0);
    assert.equal(c.kind, "ok");
    assert.equal(c.kind === "ok" ? buf.toString("utf8", c.payloadStart, c.end) : "", "record 7");
    await o.log.close();

    const again = await openLog(dir);
    assert.equal(again.records.length, 200);
    assert.deepEqual(
      again.records.map((r) => r.position),
      positions,
    );
    assert.deepEqual(again.damage, []);
    await again.log.close();
  });

  test('fsync = "never" and "interval" do not sync on append', async () => {
    for (const fsync of ["never", "interval"] as const) {
      const o = await openLog(await tempDir(), { fsync });
      await Promise.all(Array.from({ length: 20 }, (_, i) => o.log.append(rec(`r${i}`), () => {})));
      assert.equal(o.syncs, 0, fsync);
      await o.log.close();
      assert.equal(o.syncs, fsync === "interval" ? 1 : 0, `${fsync}: a final sync on close`);
    }
  });

  test("segments rotate at segmentBytes and are released once passed", async () => {
    const dir = await tempDir();
    const o = await openLog(dir, { segmentBytes: 100 });
    const positions: number[] = [];
    for (let i = 0; i < 10; i++) positions.push(await o.log.append(rec(`record number ${i}`), () => {}));
    const files = await segmentFiles(dir);
    assert.ok(files.length >= 3, `several segments: ${files.join(", ")}`);
    assert.equal(files[0], "00000000000000000000.seg");
    assert.equal(o.log.diskBytes, o.log.tail);
    await o.log.release(positions[5]!);
    const left = await segmentFiles(dir);
    assert.ok(left.length < files.length);
    assert.ok(o.log.head <= positions[5]!, "the segment holding an unread record stays");
    await o.log.release(o.log.tail);
    assert.equal((await segmentFiles(dir)).length, 1, "the active segment is never deleted");
    await o.log.close();
  });

  test("a torn record at the tail is cut off; appends continue after the last good record", async () => {
    const dir = await tempDir();
    const o = await openLog(dir);
    for (const t of ["a", "b", "c"]) await o.log.append(rec(t), () => {});
    await o.log.close();
    const [file] = await segmentFiles(dir);
    const path = join(dir, file!);
    const good = (await stat(path)).size;
    const torn = Buffer.concat(rec("d is never finished").parts).subarray(0, 15);
    await appendFile(path, torn);

    const again = await openLog(dir);
    assert.deepEqual(
      again.records.map((r) => r.text),
      ["a", "b", "c"],
    );
    assert.deepEqual(again.damage, [{ kind: "torn", file, offset: good, bytes: 15 }]);
    assert.equal((await stat(path)).size, good, "truncated at the record's start");
    await again.log.append(rec("e"), () => {});
    await again.log.close();
    const third = await openLog(dir);
    assert.deepEqual(
      third.records.map((r) => r.text),
      ["a", "b", "c", "e"],
    );
    assert.deepEqual(third.damage, []);
    await third.log.close();
  });

  test("a corrupt record in a sealed segment is skipped and counted; the rest is kept", async () => {
    const dir = await tempDir();
    const o = await openLog(dir, { segmentBytes: 60 });
    for (const t of ["alpha-1", "alpha-2", "alpha-3", "beta-1", "beta-2", "beta-3", "gamma"]) {
      await o.log.append(rec(t), () => {});
    }
    await o.log.close();
    const files = await segmentFiles(dir);
    assert.ok(files.length >= 2);
    const first = join(dir, files[0]!);
    const bytes = await readFile(first);
    const at = bytes.indexOf("alpha-2");
    bytes[at] = "X".charCodeAt(0);
    await writeFile(first, bytes);

    const again = await openLog(dir, { segmentBytes: 60 });
    assert.deepEqual(
      again.records.map((r) => r.text),
      ["alpha-1", "alpha-3", "beta-1", "beta-2", "beta-3", "gamma"],
    );
    assert.equal(again.damage.length, 1);
    assert.equal(again.damage[0]?.kind, "corrupt");
    assert.equal(again.damage[0]?.file, files[0]);
    await again.log.close();
  });

  test("a corrupt record in the middle of the last segment is skipped, not treated as a torn tail", async () => {
    const dir = await tempDir();
    const o = await openLog(dir);
    for (const t of ["one", "two", "three"]) await o.log.append(rec(t), () => {});
    await o.log.close();
    const [file] = await segmentFiles(dir);
    const path = join(dir, file!);
    const bytes = await readFile(path);
    bytes[bytes.indexOf("two")] = 0;
    await writeFile(path, bytes);
    const again = await openLog(dir);
    assert.deepEqual(
      again.records.map((r) => r.text),
      ["one", "three"],
    );
    assert.deepEqual(
      again.damage.map((d) => d.kind),
      ["corrupt"],
    );
    assert.equal((await stat(path)).size, bytes.length, "nothing cut off");
    await again.log.close();
  });

  test("a failed write is refused to every append of its batch and leaves no partial record", async () => {
    const dir = await tempDir();
    const o = await openLog(dir);
    await o.log.append(rec("kept"), () => {});
    const tooLarge = { parts: [Buffer.from("x")], length: 2 }; // claims more than its parts: a short write
    await assert.rejects(
      o.log.append(tooLarge, () => {}),
      /short write/,
    );
    await o.log.append(rec("after"), () => {});
    await o.log.close();
    const again = await openLog(dir);
    assert.deepEqual(
      again.records.map((r) => r.text),
      ["kept", "after"],
    );
    assert.deepEqual(again.damage, []);
    await again.log.close();
  });
});
