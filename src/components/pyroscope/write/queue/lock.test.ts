import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import {
  LOCK_FILE,
  LOCK_STALE_MS,
  type LockOwner,
  type LockSystem,
  QueueLock,
  QueueLockedError,
} from "./lock.ts";

const ME = { pid: 100, start: "5000", boot: "boot-a", pidns: "pid:[1]", host: "here" };

/** A system where `running` maps pids to their start times. */
function system(running: Record<number, string>, now = Date.now()): LockSystem {
  return { self: () => ME, startOf: (pid) => running[pid], now: () => now, refreshMs: 60_000 };
}

function owner(changes: Partial<LockOwner>): LockOwner {
  return { ...ME, pid: 200, start: "7000", since: "2026-01-01T00:00:00.000Z", token: "t", ...changes };
}

async function withDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "queue-lock-"));
  try {
    await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function plant(dir: string, o: LockOwner | string, ageMs = 0): Promise<void> {
  const path = join(dir, LOCK_FILE);
  await writeFile(path, typeof o === "string" ? o : JSON.stringify(o));
  const t = new Date(Date.now() - ageMs);
  await utimes(path, t, t);
}

describe("queue lock", () => {
  test("is written on acquire and removed on release", () =>
    withDir(async (dir) => {
      const a = await QueueLock.acquire(dir, () => assert.fail("no takeover"), system({ 100: "5000" }));
      const held = JSON.parse(await readFile(join(dir, LOCK_FILE), "utf8")) as LockOwner;
      assert.equal(held.pid, 100);
      await a.release();
      const b = await QueueLock.acquire(dir, () => assert.fail("no takeover"), system({}));
      await b.release();
    }));

  test("a live owner in this PID namespace keeps it; the error says who and what to do", () =>
    withDir(async (dir) => {
      await plant(dir, owner({}));
      await assert.rejects(
        QueueLock.acquire(dir, () => {}, system({ 200: "7000" })),
        (err: unknown) =>
          err instanceof QueueLockedError &&
          err.owner?.pid === 200 &&
          err.message.includes(`the queue folder ${dir} is in use by process 200`) &&
          err.message.includes("give this component its own queue path"),
      );
    }));

  test("stale: a dead pid, a reused pid, this very pid, an old foreign lock, an old unreadable file", async () => {
    const cases: [string, LockOwner | string, Record<number, string>, number, RegExp][] = [
      ["dead", owner({}), {}, 0, /process 200 is not running/],
      ["reused", owner({}), { 200: "9999" }, 0, /another process than the one that took it/],
      ["self", owner({ pid: 100 }), { 100: "5000" }, 0, /is this process/],
      [
        "foreign",
        owner({ pidns: "pid:[2]" }),
        { 200: "7000" },
        LOCK_STALE_MS + 5000,
        /last refreshed 3\ds ago/,
      ],
      ["rebooted", owner({ boot: "boot-b" }), { 200: "7000" }, LOCK_STALE_MS + 5000, /last refreshed/],
      ["unreadable", "{", {}, 5000, /unreadable/],
    ];
    for (const [what, o, running, age, reason] of cases) {
      await withDir(async (dir) => {
        await plant(dir, o, age);
        const reasons: string[] = [];
        const lock = await QueueLock.acquire(dir, (_prev, r) => reasons.push(r), system(running));
        assert.equal(reasons.length, 1, what);
        assert.match(reasons[0]!, reason, what);
        const held = JSON.parse(await readFile(join(dir, LOCK_FILE), "utf8")) as LockOwner;
        assert.equal(held.token, lock.owner.token, what);
        await lock.release();
      });
    }
  });

  test("a recently refreshed lock from another host or container is not taken", () =>
    withDir(async (dir) => {
      await plant(dir, owner({ pidns: "pid:[2]", host: "there" }), 1000);
      await assert.rejects(
        QueueLock.acquire(dir, () => {}, system({})),
        (err: unknown) => {
          assert.ok(err instanceof QueueLockedError);
          assert.match(err.message, /in use by process 200 on host there/);
          assert.match(err.message, /taken over once it is 30s old/);
          return true;
        },
      );
    }));

  test("a lock file that disappears while held is reported once", () =>
    withDir(async (dir) => {
      const lock = await QueueLock.acquire(dir, () => {}, { ...system({}), refreshMs: 5 });
      const lost = new Promise<string>((resolve) => {
        lock.onLost = resolve;
      });
      await rm(join(dir, LOCK_FILE));
      assert.match(await lost, /the lock file .* is gone/);
      await lock.release();
    }));

  test("release leaves a successor's lock alone", () =>
    withDir(async (dir) => {
      const a = await QueueLock.acquire(dir, () => {}, system({}));
      await plant(dir, owner({ token: "successor" }));
      await a.release();
      assert.match(await readFile(join(dir, LOCK_FILE), "utf8"), /successor/);
    }));
});
