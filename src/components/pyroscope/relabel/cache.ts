/**
 * The cache of relabelling results (Alloy's `hashicorp/golang-lru` cache in `pyroscope.relabel`): the least
 * recently used entry goes first when it is full. Alloy keys entries by a 64-bit fingerprint and keeps a list
 * per fingerprint to survive collisions; here the key is the label set itself (an unambiguous encoding of its
 * names and values), so two different sets never share an entry.
 */
import type { Labels } from "../../../pyroscope/labels.ts";

/** What a cached relabelling gave: the new labels, or `DROPPED`. */
export type CachedResult = Labels | typeof DROPPED;

/** The cached result of a label set the rules drop. */
export const DROPPED: unique symbol = Symbol("dropped");

/** An exact key for a label set: each name and value with its length in front, so no two sets share one. */
export function labelSetKey(labels: Labels): string {
  let key = "";
  for (const l of labels) key += `${l.name.length}:${l.name}${l.value.length}:${l.value}`;
  return key;
}

/** A least-recently-used map from label sets to relabelling results. */
export class RelabelCache {
  readonly #entries = new Map<string, CachedResult>();
  #capacity: number;

  /** `capacity` must be positive (the arguments check it). */
  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** The number of label sets held. */
  get size(): number {
    return this.#entries.size;
  }

  /** The result for `labels`, marked as the most recently used; `undefined` when not cached. */
  get(labels: Labels): CachedResult | undefined {
    const key = labelSetKey(labels);
    const found = this.#entries.get(key);
    if (found !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, found);
    }
    return found;
  }

  /** Stores the result for `labels`, evicting the least recently used entry when full. */
  set(labels: Labels, result: CachedResult): void {
    const key = labelSetKey(labels);
    this.#entries.delete(key);
    this.#entries.set(key, result);
    this.#evict();
  }

  /** Whether `labels` has an entry, without touching its recency (for tests and tools). */
  has(labels: Labels): boolean {
    return this.#entries.has(labelSetKey(labels));
  }

  /** Empties the cache (the rules changed). */
  purge(): void {
    this.#entries.clear();
  }

  /** Changes the capacity; returns how many entries were evicted to fit. */
  resize(capacity: number): number {
    this.#capacity = capacity;
    return this.#evict();
  }

  #evict(): number {
    let evicted = 0;
    while (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
      evicted++;
    }
    return evicted;
  }
}
