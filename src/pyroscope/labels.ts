/**
 * Label sets: sorted by name, immutable, one value per name (Prometheus style, as Pyroscope uses them).
 * Used by receive_http (parsing `name`), relabel and write (validation, external labels).
 */

export interface Label {
  readonly name: string;
  readonly value: string;
}

export class Labels {
  readonly #labels: readonly Label[];

  private constructor(sorted: readonly Label[]) {
    this.#labels = sorted;
  }

  static readonly EMPTY: Labels = new Labels([]);

  /** From a record or a list; for a name given twice the last value wins. Sorted by name (byte order). */
  static from(input: Readonly<Record<string, string>> | readonly Label[]): Labels {
    const map = new Map<string, string>();
    const list = Array.isArray(input)
      ? (input as readonly Label[])
      : Object.entries(input).map(([name, value]) => ({ name, value }));
    for (const l of list) {
      map.set(l.name, l.value);
    }
    const sorted = [...map]
      .map(([name, value]) => ({ name, value }))
      .sort((a, b) => compareBytes(a.name, b.name));
    return new Labels(sorted);
  }

  get size(): number {
    return this.#labels.length;
  }

  get(name: string): string | undefined {
    return this.#labels.find((l) => l.name === name)?.value;
  }

  has(name: string): boolean {
    return this.#labels.some((l) => l.name === name);
  }

  /** A copy with `name` set to `value` (this set when it already has that value). */
  with(name: string, value: string): Labels {
    const list = this.#labels;
    // the sorted position of `name`: labels are few, so a linear scan beats a re-sort
    let i = 0;
    while (i < list.length && compareBytes(list[i]!.name, name) < 0) i++;
    if (list[i]?.name === name) {
      if (list[i]!.value === value) return this;
      const next = list.slice();
      next[i] = { name, value };
      return new Labels(next);
    }
    const next = list.slice(0, i);
    next.push({ name, value });
    for (let j = i; j < list.length; j++) next.push(list[j]!);
    return new Labels(next);
  }

  /**
   * Prometheus `labels.Builder.Set` semantics: a copy with `name` set to `value`, or without `name` when `value`
   * is empty (an empty label is the same as a missing one).
   */
  withValue(name: string, value: string): Labels {
    return value === "" ? this.without(name) : this.with(name, value);
  }

  /** A copy without `name`. */
  without(name: string): Labels {
    return this.has(name) ? new Labels(this.#labels.filter((l) => l.name !== name)) : this;
  }

  toArray(): readonly Label[] {
    return this.#labels;
  }

  toRecord(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const l of this.#labels) {
      out[l.name] = l.value;
    }
    return out;
  }

  equals(other: Labels): boolean {
    const a = this.#labels;
    const b = other.#labels;
    return a.length === b.length && a.every((l, i) => l.name === b[i]?.name && l.value === b[i]?.value);
  }

  [Symbol.iterator](): Iterator<Label> {
    return this.#labels[Symbol.iterator]();
  }
}

/** Go's string comparison: by UTF-8 bytes, which for label names (ASCII) is code-unit order. */
function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
