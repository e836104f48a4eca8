/**
 * The `pyroscope.relabel` component: rewrites the labels of every profile with Prometheus relabelling rules,
 * drops the profiles the rules drop, and forwards the rest to `forward_to` one receiver after another
 * (Alloy's sequential `Fanout`).
 *
 * As in Alloy (`internal/component/pyroscope/relabel/relabel.go`):
 * - an empty label set skips the rules and the cache and is forwarded as it is;
 * - results are cached by label set (least recently used first out), dropped ones too; changed rules purge
 *   the cache, a changed `max_cache_size` resizes it, a changed `forward_to` applies to the next profile;
 * - exports `receiver` and `rules` (the rule blocks, for other components to reuse).
 *
 * Unlike Alloy, a profile whose rules leave no label at all is always dropped and counted. Alloy forwards it
 * the first time (write then refuses it: 500) and drops it later from the cache.
 */

import { Fanout } from "../../../pyroscope/fanout.ts";
import type { Labels } from "../../../pyroscope/labels.ts";
import { RECEIVER_HOST_TYPE, type Receiver } from "../../../pyroscope/receiver.ts";
import type { Component, ComponentOptions } from "../../../runtime/component.ts";
import { liveTap } from "../../../runtime/livedebugging/hub.ts";
import { Capsule } from "../../../syntax/value.ts";
import type { RelabelArguments, RuleArguments } from "./arguments.ts";
import { DROPPED, RelabelCache } from "./cache.ts";
import { type CompiledRule, relabel } from "./engine.ts";
import { RelabelMetrics } from "./metrics.ts";
import { relabelReceiver } from "./receiver-glue.ts";
import { compileRule, sameRules } from "./rules.ts";

/** The capsule host type of the exported `rules` (Alloy's `relabel.Rules`). */
export const RULES_HOST_TYPE = "relabel.Rules";

/** A running `pyroscope.relabel`. */
export class RelabelComponent implements Component<RelabelArguments> {
  readonly #options: ComponentOptions;
  readonly #metrics: RelabelMetrics;
  readonly #fanout: Fanout;
  readonly #cache: RelabelCache;
  #ruleArgs: readonly RuleArguments[] = [];
  #rules: readonly CompiledRule[] = [];
  #exited = false;

  /** The exported receiver; the same object for the component's life. */
  readonly receiver: Receiver;

  constructor(options: ComponentOptions, args: RelabelArguments) {
    this.#options = options;
    this.#metrics = new RelabelMetrics(options.registry);
    this.#fanout = new Fanout(args.forward_to, options.registry);
    this.#cache = new RelabelCache(args.max_cache_size);
    const component = this;
    this.receiver = relabelReceiver({
      id: options.id,
      get exited() {
        return component.#exited;
      },
      relabel: (labels) => this.relabel(labels),
      next: this.#fanout,
      tap: liveTap(options),
    });
    this.update(args);
  }

  /** The relabelling cache (for tests). */
  get cache(): RelabelCache {
    return this.#cache;
  }

  async run(signal: AbortSignal): Promise<void> {
    if (!signal.aborted) {
      await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
    }
    this.#exited = true;
  }

  /** Applies new arguments; rules that do not compile are refused and the old ones stay. */
  update(args: RelabelArguments): void {
    const rules = args.rule.map(compileRule);
    if (!sameRules(this.#ruleArgs, args.rule)) {
      if (this.#cache.size > 0) this.#options.logger.debug("received new relabel rules, purging the cache");
      this.#cache.purge();
    }
    const evicted = this.#cache.resize(args.max_cache_size);
    if (evicted > 0) {
      this.#options.logger.debug({ evicted_count: evicted }, "resizing the cache evicted entries");
    }
    this.#metrics.cacheSize.set(this.#cache.size);
    this.#ruleArgs = args.rule;
    this.#rules = rules;
    this.#fanout.updateChildren(args.forward_to);
    this.#options.onStateChange({
      receiver: new Capsule(RECEIVER_HOST_TYPE, this.receiver),
      rules: new Capsule(RULES_HOST_TYPE, args.rule),
    });
  }

  /**
   * The labels a profile goes on with (the same object when the set is empty), or `undefined` when the rules
   * drop it; counts it in the metrics.
   */
  relabel(labels: Labels): Labels | undefined {
    this.#metrics.processed.inc();
    if (labels.size === 0) {
      this.#metrics.written.inc();
      return labels;
    }
    let result = this.#cache.get(labels);
    if (result === undefined) {
      this.#metrics.cacheMisses.inc();
      const relabelled = relabel(labels, this.#rules);
      result = relabelled === undefined || relabelled.size === 0 ? DROPPED : relabelled;
      this.#cache.set(labels, result);
      this.#metrics.cacheSize.set(this.#cache.size);
    } else {
      this.#metrics.cacheHits.inc();
    }
    if (result === DROPPED) {
      this.#metrics.dropped.inc();
      this.#options.logger.debug({ labels: labels.toRecord() }, "profile dropped by relabel rules");
      return undefined;
    }
    this.#metrics.written.inc();
    return result;
  }
}
