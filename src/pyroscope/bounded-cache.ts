/**
 * A map of bounded size for values derived from what clients repeat on every upload: an SDK sends the same
 * `name` (application and labels) every 10 s, so parsing, validating and re-encoding it once per distinct
 * value instead of once per request takes that work off the data path. When full it forgets everything (a
 * miss only costs the computation again), which keeps it O(1) and small without an LRU's bookkeeping.
 *
 * The last entry found is checked first: a key that arrives as a new string (a slice of a query) must be
 * hashed for a map lookup, and comparing it with the last key is cheaper when the same key comes again.
 */
export class BoundedCache<K, V> {
  readonly #map = new Map<K, V>();
  readonly #capacity: number;
  #lastKey: K | undefined;
  #lastValue: V | undefined;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get(key: K): V | undefined {
    if (this.#lastValue !== undefined && key === this.#lastKey) return this.#lastValue;
    const value = this.#map.get(key);
    if (value !== undefined) {
      this.#lastKey = key;
      this.#lastValue = value;
    }
    return value;
  }

  set(key: K, value: V): void {
    if (this.#map.size >= this.#capacity) this.#map.clear();
    this.#map.set(key, value);
    this.#lastKey = key;
    this.#lastValue = value;
  }
}
