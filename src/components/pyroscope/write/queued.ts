/**
 * The receiver of a `pyroscope.write` with a `queue` block: it prepares each profile as the synchronous path
 * does (label checks, external labels, the rebuilt ingest query), gives every push sample without an ID a new
 * one (so a backend can recognise a redelivery), and appends it to the queue. The caller's answer is the
 * queue's: `ok` once the profile is on disk, 429 when the queue is full.
 */
import { randomUUID } from "node:crypto";
import type { IngestRequest, Outcome, PushRequest, Receiver } from "../../../pyroscope/receiver.ts";
import {
  type DeliveryOutcome,
  ingestEvent,
  outcomeAt,
  type ProfileEvent,
  pushEvent,
} from "../../../runtime/livedebugging/event.ts";
import type { ComponentTap } from "../../../runtime/livedebugging/hub.ts";
import type { WriteMetrics } from "./metrics.ts";
import { prepareIngestQuery, preparePushLabels } from "./prepare.ts";
import type { Queue } from "./queue/queue.ts";

/** A receiver that queues. */
export class QueuedWrite implements Receiver {
  readonly #queue: Queue;
  readonly #external: Readonly<Record<string, string>>;
  readonly #metrics: WriteMetrics;
  readonly #tap: ComponentTap;
  readonly #now: () => number;

  constructor(
    queue: Queue,
    external: Readonly<Record<string, string>>,
    metrics: WriteMetrics,
    tap: ComponentTap,
    now: () => number = Date.now,
  ) {
    this.#queue = queue;
    this.#external = external;
    this.#metrics = metrics;
    this.#tap = tap;
    this.#now = now;
  }

  /** Live debugging: a profile the queue took is `queued`; one it refused has that failure. */
  #published(outcome: Outcome, event: (outcomes: readonly DeliveryOutcome[]) => ProfileEvent): Outcome {
    if (this.#tap.watched) {
      this.#tap.publish(
        event([outcome.ok ? { target: "queue", state: "queued" } : outcomeAt("queue", outcome)]),
      );
    }
    return outcome;
  }

  async push(request: PushRequest): Promise<Outcome> {
    const labels = preparePushLabels(request.labels, this.#external);
    if (!labels.ok) return labels.outcome;
    const started = performance.now();
    try {
      const outcome = await this.#queue.append({
        kind: "push",
        id: randomUUID(),
        receivedAt: this.#now(),
        headers: Object.entries(request.headers),
        labels: labels.value.value.toArray(),
        tenant: labels.value.tenant,
        samples: request.samples.map((s) =>
          s.id === "" ? { id: randomUUID(), rawProfile: s.rawProfile } : s,
        ),
      });
      return this.#published(outcome, (outcomes) => pushEvent(request, outcomes));
    } finally {
      this.#metrics.totalLatency("push").observe((performance.now() - started) / 1000);
    }
  }

  async ingest(request: IngestRequest): Promise<Outcome> {
    const started = performance.now();
    try {
      const query = prepareIngestQuery(request.labels, request.query, this.#external);
      if (!query.ok) return query.outcome;
      const outcome = await this.#queue.append({
        kind: "ingest",
        id: randomUUID(),
        receivedAt: this.#now(),
        headers: Object.entries(request.headers),
        body: request.body,
        contentType: request.contentType,
        path: request.path,
        query: query.value.value,
        tenant: query.value.tenant,
      });
      return this.#published(outcome, (outcomes) => ingestEvent(request, outcomes));
    } finally {
      this.#metrics.totalLatency("ingest").observe((performance.now() - started) / 1000);
    }
  }
}
