/**
 * Keeps the decoded items of recently appended entries in memory, up to a byte budget (counted as the
 * records' size on disk), so endpoints that keep up never read the log. When the budget is exceeded the
 * oldest cached items are let go; those entries are read back from disk when needed.
 *
 * A cached item holds the buffers the profile arrived in (for a push, views into the decoded request).
 */
import type { Entry } from "./backlog.ts";

/** The item cache of one queue. */
export class ItemCache {
  readonly #limit: number;
  #entries: Entry[] = [];
  #head = 0;
  #bytes = 0;

  constructor(limitBytes: number) {
    this.#limit = limitBytes;
  }

  /** Bytes held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Starts tracking an entry whose `item` is set; lets the oldest go while over budget. */
  add(entry: Entry): void {
    this.#entries.push(entry);
    this.#bytes += entry.length;
    while (this.#bytes > this.#limit && this.#head < this.#entries.length) {
      this.release(this.#entries[this.#head++]!);
    }
    this.#trim();
  }

  /** Lets an entry's item go (the entry left the backlog, or the budget needs the room). */
  release(entry: Entry): void {
    if (entry.item === undefined) return;
    entry.item = undefined;
    this.#bytes -= entry.length;
  }

  /** Lets go of every entry in `entries`. */
  releaseAll(entries: Iterable<Entry>): void {
    for (const e of entries) this.release(e);
    this.#trim();
  }

  #trim(): void {
    while (this.#head < this.#entries.length && this.#entries[this.#head]!.item === undefined) this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
  }
}
