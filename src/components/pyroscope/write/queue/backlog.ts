/**
 * The in-memory index of the records still on disk that some endpoint has not finished with, in log order.
 * Each entry is small (position, size, receive time, counts); the decoded item is kept as well while the
 * cache has room for it, so endpoints that keep up never read the disk.
 */
import type { QueueItem } from "./item.ts";

/** One record of the log. */
export interface Entry {
  /** Log position of the record's first byte. */
  readonly position: number;
  /** Size on disk, header included; the next record starts at `position + length`. */
  readonly length: number;
  /** When the profile was accepted, ms since the epoch. */
  readonly receivedAt: number;
  /** Profile bytes (for the metrics). */
  readonly bytes: number;
  /** Profiles it counts as (for the metrics). */
  readonly profiles: number;
  /** The decoded item while it is cached; read from disk otherwise. */
  item: QueueItem | undefined;
  /** Set once a read found the record damaged: every endpoint skips it. */
  corrupt: boolean;
}

/** Entries in position order, appended at the end and dropped from the front. */
export class Backlog {
  #entries: Entry[] = [];
  #head = 0;

  /** Number of entries. */
  get size(): number {
    return this.#entries.length - this.#head;
  }

  /** The end of the last entry, or undefined when empty. */
  get end(): number | undefined {
    const last = this.#entries.at(-1);
    return this.size === 0 || last === undefined ? undefined : last.position + last.length;
  }

  /** The first entry, if any. */
  first(): Entry | undefined {
    return this.#entries[this.#head];
  }

  /** Adds an entry after every other (positions only grow). */
  push(entry: Entry): void {
    this.#entries.push(entry);
  }

  /** The first entry that starts at or after `position`. */
  firstAtOrAfter(position: number): Entry | undefined {
    return this.#entries[this.#indexAtOrAfter(position)];
  }

  /** Entries starting at or after `from`, in order. */
  *from(from: number): Generator<Entry> {
    for (let i = this.#indexAtOrAfter(from); i < this.#entries.length; i++) yield this.#entries[i]!;
  }

  #indexAtOrAfter(position: number): number {
    let lo = this.#head;
    let hi = this.#entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#entries[mid]!.position < position) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Removes the entries that end at or before `position`; returns them. */
  dropBefore(position: number): Entry[] {
    const dropped: Entry[] = [];
    while (this.#head < this.#entries.length) {
      const e = this.#entries[this.#head]!;
      if (e.position + e.length > position) break;
      dropped.push(e);
      this.#head++;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
    return dropped;
  }
}
