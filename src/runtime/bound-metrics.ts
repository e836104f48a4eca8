/**
 * Metrics for the data path: the same families prom-client renders (registered in a prom-client `Registry`,
 * read through `getMetricsAsJSON`, samples in prom-client's order), but updated through a child bound to its
 * label set once. prom-client finds the series of every `observe(labels, v)` by validating the labels and
 * building a hash string from them, which at thousands of profiles per second, several updates per profile,
 * is a measurable share of the relay's CPU; a bound child is a field update.
 *
 * A child is found by its label values, given in the order of the family's `labelNames`.
 */
import type { Metric, MetricObjectWithValues, MetricValueWithName, Registry } from "prom-client";

type LabelSet = Readonly<Record<string, string>>;

interface FamilyOptions {
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly string[];
  readonly registers: readonly Registry[];
}

type Sample = MetricValueWithName<string>;

abstract class Family<Child> {
  readonly name: string;
  readonly help: string;
  /** How `AggregatorRegistry` combines worker processes: every family here is a total. */
  readonly aggregator = "sum";
  abstract readonly type: "counter" | "gauge" | "histogram";
  readonly #labelNames: readonly string[];
  readonly #children = new Map<string, { readonly labels: LabelSet; readonly child: Child }>();

  constructor(options: FamilyOptions) {
    this.name = options.name;
    this.help = options.help;
    this.#labelNames = options.labelNames ?? [];
    for (const registry of options.registers) registry.registerMetric(this as unknown as Metric);
  }

  /** The child of the series with these label values (in `labelNames` order), made on first use. */
  child(...values: string[]): Child {
    const key = values.length === 1 ? values[0]! : values.join("\u0000");
    let entry = this.#children.get(key);
    if (entry === undefined) {
      if (values.length !== this.#labelNames.length) {
        throw new Error(
          `${this.name} has labels ${this.#labelNames.join(", ")}; got ${values.length} values`,
        );
      }
      const labels: Record<string, string> = {};
      this.#labelNames.forEach((name, i) => {
        labels[name] = values[i]!;
      });
      entry = { labels, child: this.newChild() };
      this.#children.set(key, entry);
    }
    return entry.child;
  }

  protected abstract newChild(): Child;
  protected abstract samples(labels: LabelSet, child: Child, out: Sample[]): void;

  /** prom-client's `Metric.get()`. */
  async get(): Promise<Omit<MetricObjectWithValues<Sample>, "collect">> {
    const values: Sample[] = [];
    for (const { labels, child } of this.#children.values()) this.samples(labels, child, values);
    return {
      name: this.name,
      help: this.help,
      type: this.type as never,
      values,
      aggregator: this.aggregator,
    };
  }

  /** prom-client's `Metric.reset()`. */
  reset(): void {
    this.#children.clear();
  }
}

/** One counter series. */
export class CounterChild {
  value = 0;
  inc(by = 1): void {
    this.value += by;
  }
}

/** A counter family. */
export class BoundCounter extends Family<CounterChild> {
  readonly type = "counter";
  protected newChild(): CounterChild {
    return new CounterChild();
  }
  protected samples(labels: LabelSet, child: CounterChild, out: Sample[]): void {
    out.push({ labels: { ...labels }, value: child.value, metricName: this.name });
  }
}

/** One gauge series. */
export class GaugeChild {
  value = 0;
  inc(by = 1): void {
    this.value += by;
  }
  dec(by = 1): void {
    this.value -= by;
  }
}

/** A gauge family. */
export class BoundGauge extends Family<GaugeChild> {
  readonly type = "gauge";
  protected newChild(): GaugeChild {
    return new GaugeChild();
  }
  protected samples(labels: LabelSet, child: GaugeChild, out: Sample[]): void {
    out.push({ labels: { ...labels }, value: child.value, metricName: this.name });
  }
}

/** One histogram series: a count per bucket (not cumulative), the sum and the count. */
export class HistogramChild {
  readonly #bounds: readonly number[];
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(bounds: readonly number[]) {
    this.#bounds = bounds;
    this.counts = new Array<number>(bounds.length).fill(0);
  }

  observe(value: number): void {
    const bounds = this.#bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]!) {
        this.counts[i]!++;
        break;
      }
    }
    this.sum += value;
    this.count++;
  }
}

/** A histogram family (prom-client's sample layout: `le` first, then the series' labels). */
export class BoundHistogram extends Family<HistogramChild> {
  readonly type = "histogram";
  readonly #bounds: readonly number[];

  constructor(options: FamilyOptions & { readonly buckets: readonly number[] }) {
    super(options);
    this.#bounds = [...options.buckets].sort((a, b) => a - b);
  }

  protected newChild(): HistogramChild {
    return new HistogramChild(this.#bounds);
  }

  protected samples(labels: LabelSet, child: HistogramChild, out: Sample[]): void {
    const bucket = `${this.name}_bucket`;
    let cumulative = 0;
    this.#bounds.forEach((le, i) => {
      cumulative += child.counts[i]!;
      out.push({ labels: { le, ...labels }, value: cumulative, metricName: bucket });
    });
    out.push({ labels: { le: "+Inf", ...labels }, value: child.count, metricName: bucket });
    out.push({ labels: { ...labels }, value: child.sum, metricName: `${this.name}_sum` });
    out.push({ labels: { ...labels }, value: child.count, metricName: `${this.name}_count` });
  }
}
