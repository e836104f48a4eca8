/**
 * One owner per queue folder. Two writers on one folder interleave their appends in the same segments and
 * lose acknowledged profiles, so a queue takes an exclusive lock on its folder while it is open: the file
 * `lock`, created atomically (`wx`: it exists or it does not) and holding who owns it: pid, the process' start
 * time, the boot ID, the PID namespace and the host name. It is removed on close; on exit without a close (a
 * crash, SIGKILL) it stays and the next opener decides whether its owner is gone:
 *
 * - Same boot and PID namespace: the pid answers for the owner. A pid that is not running (`kill(pid, 0)`
 *   fails with ESRCH), or runs with another start time (the pid was reused), or is this very process (a
 *   container's PID 1 restarted on the same volume), means the lock is stale.
 * - Otherwise (another host on a shared volume, another container): the owner refreshes the file's mtime
 *   every `LOCK_REFRESH_MS`; a lock not refreshed for `LOCK_STALE_MS` is stale.
 *
 * A stale lock is taken over (renamed aside, checked to still be the stale one, removed, then created anew);
 * a live one makes `acquire` fail with who holds it and what to do. Locks are advisory: they keep
 * profile-relays apart, not other programs.
 */
import { randomBytes } from "node:crypto";
import { readFileSync, readlinkSync } from "node:fs";
import { readFile, rename, stat, unlink, utimes, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";

/** The lock file's name inside the queue folder. */
export const LOCK_FILE = "lock";

/** How often an open queue refreshes its lock's mtime. */
export const LOCK_REFRESH_MS = 10_000;

/** A lock whose owner cannot be checked (another host or container) is stale once this old. */
export const LOCK_STALE_MS = 30_000;

/** Who holds a lock, as written in the file. */
export interface LockOwner {
  readonly pid: number;
  /** The process' start time in clock ticks since boot (`/proc/<pid>/stat` field 22); "" when unknown. */
  readonly start: string;
  /** `/proc/sys/kernel/random/boot_id`; "" when unknown. */
  readonly boot: string;
  /** The PID namespace (`readlink /proc/self/ns/pid`); "" when unknown. */
  readonly pidns: string;
  readonly host: string;
  /** When the lock was taken, RFC 3339. */
  readonly since: string;
  /** A random token, so an owner can tell its own lock from a successor's. */
  readonly token: string;
}

/** `acquire` refused: the folder is locked by a live owner. */
export class QueueLockedError extends Error {
  readonly owner: LockOwner | undefined;

  constructor(message: string, owner: LockOwner | undefined) {
    super(message);
    this.name = "QueueLockedError";
    this.owner = owner;
  }
}

/** What the lock needs from the system; replaced in tests. */
export interface LockSystem {
  /** How often the lock's mtime is refreshed (`LOCK_REFRESH_MS`). */
  readonly refreshMs?: number;
  readonly self: () => Omit<LockOwner, "since" | "token">;
  /** The start time of a running process, "" when unknown, undefined when there is no such process. */
  readonly startOf: (pid: number) => string | undefined;
  readonly now: () => number;
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

function procStart(pid: number | "self"): string {
  const stat = readText(`/proc/${pid}/stat`);
  // The command name (field 2) is in parentheses and may hold spaces; field 22 is the 20th after it.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return rest[19] ?? "";
}

/** The real system: Linux' /proc where there is one, the pid alone elsewhere. */
export const SYSTEM: LockSystem = {
  self: () => {
    let pidns = "";
    try {
      pidns = readlinkSync("/proc/self/ns/pid");
    } catch {
      // not Linux
    }
    return {
      pid: process.pid,
      start: procStart("self"),
      boot: readText("/proc/sys/kernel/random/boot_id").trim(),
      pidns,
      host: hostname(),
    };
  },
  startOf: (pid) => {
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EPERM") return undefined;
    }
    return procStart(pid);
  },
  now: Date.now,
};

/** Why a lock's owner is gone, or undefined when it may still be running. */
function staleReason(owner: LockOwner, mtimeMs: number, me: LockSystem): string | undefined {
  const self = me.self();
  const checkable = owner.boot !== "" && owner.boot === self.boot && owner.pidns === self.pidns;
  if (checkable) {
    if (owner.pid === self.pid) return `its pid ${owner.pid} is this process, which does not hold it`;
    const start = me.startOf(owner.pid);
    if (start === undefined) return `process ${owner.pid} is not running`;
    if (start !== "" && owner.start !== "" && start !== owner.start) {
      return `process ${owner.pid} is another process than the one that took it`;
    }
    return undefined;
  }
  const age = me.now() - mtimeMs;
  return age > LOCK_STALE_MS ? `it was last refreshed ${Math.round(age / 1000)}s ago` : undefined;
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockOwner>;
    if (typeof v.pid !== "number" || typeof v.token !== "string") return undefined;
    return {
      pid: v.pid,
      start: String(v.start ?? ""),
      boot: String(v.boot ?? ""),
      pidns: String(v.pidns ?? ""),
      host: String(v.host ?? ""),
      since: String(v.since ?? ""),
      token: v.token,
    };
  } catch {
    return undefined;
  }
}

function code(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

/** The lock of one queue folder, held from `acquire` until `release`. */
export class QueueLock {
  readonly path: string;
  readonly owner: LockOwner;
  readonly #timer: NodeJS.Timeout;
  #released = false;
  /** Called once if the lock file disappears while held (its folder was deleted). */
  onLost: ((why: string) => void) | undefined;

  private constructor(path: string, owner: LockOwner, refreshMs: number) {
    this.path = path;
    this.owner = owner;
    this.#timer = setInterval(() => void this.#refresh(), refreshMs);
    this.#timer.unref();
  }

  async #refresh(): Promise<void> {
    const now = new Date();
    try {
      await utimes(this.path, now, now);
    } catch (err) {
      if (code(err) !== "ENOENT" || this.#released) return;
      clearInterval(this.#timer);
      this.onLost?.(`the lock file ${this.path} is gone`);
    }
  }

  /**
   * Locks `dir` (which must exist) or throws `QueueLockedError` saying who holds it. `onTakeover` is called
   * with the reason when a stale lock is taken over.
   */
  static async acquire(
    dir: string,
    onTakeover: (previous: LockOwner | undefined, reason: string) => void,
    system: LockSystem = SYSTEM,
  ): Promise<QueueLock> {
    const path = join(dir, LOCK_FILE);
    const owner: LockOwner = {
      ...system.self(),
      since: new Date(system.now()).toISOString(),
      token: randomBytes(8).toString("hex"),
    };
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await writeFile(path, `${JSON.stringify(owner)}\n`, { flag: "wx", mode: 0o644 });
        return new QueueLock(path, owner, system.refreshMs ?? LOCK_REFRESH_MS);
      } catch (err) {
        if (code(err) !== "EEXIST") throw err;
      }
      let text: string;
      let mtimeMs: number;
      try {
        text = await readFile(path, "utf8");
        mtimeMs = (await stat(path)).mtimeMs;
      } catch (err) {
        if (code(err) === "ENOENT") continue; // released meanwhile
        throw err;
      }
      const previous = parseOwner(text);
      let reason: string | undefined;
      if (previous === undefined) {
        // Being written right now, or left half-written by a crash: give a writer a moment.
        reason = system.now() - mtimeMs > 1000 ? "it is unreadable" : undefined;
        if (reason === undefined) {
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
      } else {
        reason = staleReason(previous, mtimeMs, system);
      }
      if (reason === undefined) throw lockedError(dir, path, previous!, mtimeMs, system);
      if (await takeAside(path, text)) onTakeover(previous, reason);
    }
    throw new QueueLockedError(
      `cannot lock the queue folder ${dir}: other processes keep taking ${path}`,
      undefined,
    );
  }

  /** Removes the lock file, if it is still this lock's (not a successor's that took over a stale one). */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    clearInterval(this.#timer);
    const text = await readFile(this.path, "utf8").catch(() => "");
    if (parseOwner(text)?.token === this.owner.token) await unlink(this.path).catch(() => {});
  }
}

/**
 * Moves a stale lock out of the way; true when what was moved is the stale lock read before (else it is put
 * back: another process took the folder in between, and the next attempt finds its live lock).
 */
async function takeAside(path: string, staleText: string): Promise<boolean> {
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    await rename(path, aside);
  } catch (err) {
    if (code(err) === "ENOENT") return false;
    throw err;
  }
  const moved = await readFile(aside, "utf8").catch(() => "");
  if (moved === staleText) {
    await unlink(aside).catch(() => {});
    return true;
  }
  await rename(aside, path).catch(() => {});
  return false;
}

function lockedError(
  dir: string,
  path: string,
  owner: LockOwner,
  mtimeMs: number,
  system: LockSystem,
): QueueLockedError {
  const self = system.self();
  const where = owner.host !== "" && owner.host !== self.host ? ` on host ${owner.host}` : "";
  const checkable = owner.boot !== "" && owner.boot === self.boot && owner.pidns === self.pidns;
  const age = Math.round((system.now() - mtimeMs) / 1000);
  const hint = checkable
    ? `stop that process, or give this component its own queue path`
    : `stop that process or give this component its own queue path; if that process is gone, the lock is taken over once it is ${LOCK_STALE_MS / 1000}s old (it was refreshed ${age}s ago), or delete ${path}`;
  return new QueueLockedError(
    `the queue folder ${dir} is in use by process ${owner.pid}${where} (since ${owner.since}, lock file ${path}); two writers on one queue lose profiles: ${hint}`,
    owner,
  );
}
