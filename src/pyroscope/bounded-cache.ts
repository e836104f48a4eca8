/**
 * A map of bounded size for values derived from what clients repeat on every upload: an SDK sends the same
 * `name` (application and labels) every 10 s, so parsing, validating and re-encoding it once per distinct
 * value instead of once per request takes that work off the data path. When full it forgets everything (a
 * miss only costs the computation again), which keeps it O(1) and small without an LRU's bookkeeping.
 */
export class BoundedCache<K, V> {
  readonly #map = new Map<K, V>();
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get(key: K): V | undefined {
    return this.#map.get(key);
  }

  set(key: K, value: V): void {
    if (this.#map.size >= this.#capacity) this.#map.clear();
    this.#map.set(key, value);
  }
}
