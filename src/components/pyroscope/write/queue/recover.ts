/**
 * Start-up scan of the queue's segment files: every record is checked against its checksum and handed to the
 * caller in log order, so the caller can rebuild its index.
 *
 * - Damaged bytes inside a segment (a checksum that does not match, a flipped magic) are skipped by finding
 *   the next valid record (`findFrame`); they are reported as `corrupt` and the rest of the segment is kept.
 * - A last segment that ends in an incomplete or damaged record is a write the process did not finish (a
 *   crash, a power cut): it is cut off (the file is truncated at the record's start) and reported as `torn`.
 * - A sealed (not last) segment that ends in damage keeps its valid records; the damage is `corrupt`.
 * - A segment that overlaps the previous one cannot be placed in the log: it is renamed to `<name>.bad` and
 *   reported as `corrupt`. Empty sealed segments are removed.
 * - Something named like a segment that is not a regular file (a folder, a symlink, a device) is not part of
 *   the log: it is renamed to `<name>.bad`, left as it is, and reported as `foreign`, and the log opens
 *   without it (the name would otherwise stop the queue from opening, or from rotating onto that name).
 *
 * One segment is read at a time, so the scan holds at most one segment in memory.
 */
import { readdir, readFile, rename, truncate, unlink } from "node:fs/promises";
import { join } from "node:path";
import { checkFrame, findFrame } from "./record.ts";

/** Segment files are named by the log position of their first byte, 20 digits, so names sort by position. */
export const SEGMENT_PATTERN = /^(\d{20})\.seg$/;

/** The file name of the segment that starts at `base`. */
export function segmentFileName(base: number): string {
  return `${String(base).padStart(20, "0")}.seg`;
}

/** A segment as the scan found it. */
export interface ScannedSegment {
  readonly base: number;
  /** Bytes that belong to the log: the file size, or less after a truncation or before an overlap. */
  readonly size: number;
}

/** Damage the scan found. `bytes` is how much was skipped or cut off (-1: a whole file or entry). */
export interface Damage {
  readonly kind: "corrupt" | "torn" | "foreign";
  readonly file: string;
  readonly offset: number;
  readonly bytes: number;
}

/** What the scan calls back with. `payload` is only valid during the call. */
export interface ScanCallbacks {
  readonly onRecord: (position: number, length: number, payload: Buffer) => void;
  readonly onDamage: (damage: Damage) => void;
}

/** Scans every segment in `dir` in order; returns the segments that make up the log. */
export async function scanSegments(dir: string, callbacks: ScanCallbacks): Promise<ScannedSegment[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const e of entries) {
    if (e.isFile() || !SEGMENT_PATTERN.test(e.name)) continue;
    callbacks.onDamage({ kind: "foreign", file: e.name, offset: 0, bytes: -1 });
    await rename(join(dir, e.name), join(dir, `${e.name}.bad`));
  }
  const names = entries
    .filter((e) => e.isFile())
    .map((e) => ({ name: e.name, m: SEGMENT_PATTERN.exec(e.name) }))
    .filter((x): x is { name: string; m: RegExpExecArray } => x.m !== null)
    .map((x) => ({ name: x.name, base: Number(x.m[1]) }))
    .sort((a, b) => a.base - b.base);
  const out: ScannedSegment[] = [];
  let previousEnd = 0;
  for (const [i, { name, base }] of names.entries()) {
    const path = join(dir, name);
    const last = i === names.length - 1;
    if (out.length > 0 && base < previousEnd) {
      callbacks.onDamage({ kind: "corrupt", file: name, offset: 0, bytes: -1 });
      await rename(path, `${path}.bad`);
      continue;
    }
    const buf = await readFile(path);
    let size = buf.length;
    let offset = 0;
    while (offset < buf.length) {
      const c = checkFrame(buf, offset);
      if (c.kind === "ok") {
        callbacks.onRecord(base + offset, c.end - offset, buf.subarray(c.payloadStart, c.end));
        offset = c.end;
        continue;
      }
      const next = findFrame(buf, offset + 1);
      if (next >= 0) {
        callbacks.onDamage({ kind: "corrupt", file: name, offset, bytes: next - offset });
        offset = next;
        continue;
      }
      if (last) {
        callbacks.onDamage({ kind: "torn", file: name, offset, bytes: buf.length - offset });
        await truncate(path, offset);
        size = offset;
      } else {
        callbacks.onDamage({ kind: "corrupt", file: name, offset, bytes: buf.length - offset });
      }
      break;
    }
    if (size === 0 && !last) {
      await unlink(path);
      continue;
    }
    // A sealed segment's damaged tail may reach past the next segment's start: the log ends where it begins.
    const nextBase = names[i + 1]?.base;
    const end =
      nextBase !== undefined ? Math.min(base + size, Math.max(nextBase, base + offset)) : base + size;
    out.push({ base, size: end - base });
    previousEnd = end;
  }
  return out;
}
