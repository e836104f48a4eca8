/**
 * The receiver of one `pyroscope.write` configuration (Alloy's `fanOutClient`): validates and rewrites labels,
 * then sends the profile to every endpoint concurrently, each with its own retry loop, and waits for all of
 * them. Nothing is queued.
 *
 * The result is an `Outcome`: `ok` when every endpoint accepted; `rejected` when every failure is permanent
 * (a 4xx other than 408/429, a non-200 2xx/3xx on ingest, invalid labels), with the first such status and the
 * downstream's message; otherwise `failed`, with the first downstream status of a transient failure (500
 * when none answered) and any `Retry-After`. The message of a failure lists each failed endpoint in Alloy's
 * words, in completion order.
 */
import { create } from "@bufbuild/protobuf";
import type { Logger } from "pino";
import { HeaderList } from "../../../http/headers.ts";
import { PushRequestSchema } from "../../../pyroscope/gen/push/v1/push_pb.ts";
import {
  type IngestRequest,
  OK,
  type Outcome,
  type PushRequest,
  type Receiver,
} from "../../../pyroscope/receiver.ts";
import { type DeliveryResult, deliver } from "./deliver.ts";
import type { AttemptResult, Endpoint } from "./endpoint.ts";
import { ALL_ENDPOINTS, type LatencyType, type WriteMetrics } from "./metrics.ts";
import { prepareIngestQuery, preparePushLabels } from "./prepare.ts";
import { shouldRetry } from "./retry.ts";

/** What the fan-out needs besides its endpoints. */
export interface FanOutContext {
  readonly metrics: WriteMetrics;
  readonly logger: Logger;
  /** Aborted when the component stops: in-flight loops give up. */
  readonly lifetime: AbortSignal;
  /** Jitter source (tests). */
  readonly random?: (() => number) | undefined;
  /** The wait between attempts (tests). */
  readonly sleep?: ((ms: number, signal: AbortSignal) => Promise<boolean>) | undefined;
}

interface EndpointFailure {
  readonly endpoint: Endpoint;
  readonly result: Extract<DeliveryResult, { ok: false }>;
  readonly text: string;
}

/** A receiver that fans out to a fixed set of endpoints. */
export class FanOut implements Receiver {
  readonly #endpoints: readonly Endpoint[];
  readonly #external: Readonly<Record<string, string>>;
  readonly #ctx: FanOutContext;
  #inflight = 0;
  readonly #idleWaiters: (() => void)[] = [];

  constructor(
    endpoints: readonly Endpoint[],
    external: Readonly<Record<string, string>>,
    ctx: FanOutContext,
  ) {
    this.#endpoints = endpoints;
    this.#external = external;
    this.#ctx = ctx;
  }

  /** Push path (Alloy's `Append`): one series per request to every endpoint. */
  async push(request: PushRequest): Promise<Outcome> {
    const prepared = preparePushLabels(request.labels, this.#external);
    if (!prepared.ok) return prepared.outcome;
    const stopTotal = this.#ctx.metrics.startTimer(ALL_ENDPOINTS, "push_total");
    try {
      const message = create(PushRequestSchema, {
        series: [
          {
            labels: prepared.value.toArray().map((l) => ({ name: l.name, value: l.value })),
            samples: request.samples.map((s) => ({ rawProfile: s.rawProfile, ID: s.id })),
          },
        ],
      });
      let bytes = 0;
      for (const s of request.samples) bytes += s.rawProfile.byteLength;
      const forwarded = headerList(request.headers);
      return await this.#fanOut("push", request.signal, bytes, request.samples.length, (ep, signal) =>
        ep.pushAttempt(message, forwarded, signal),
      );
    } finally {
      stopTotal();
    }
  }

  /** Ingest path (Alloy's `AppendIngest`): the body as received, `name` rebuilt, to `<endpoint>/ingest`. */
  async ingest(request: IngestRequest): Promise<Outcome> {
    const stopTotal = this.#ctx.metrics.startTimer(ALL_ENDPOINTS, "ingest_total");
    try {
      const query = prepareIngestQuery(request.labels, request.query, this.#external);
      if (!query.ok) return query.outcome;
      const call = {
        body: request.body,
        contentType: request.contentType,
        path: request.path,
        query: query.value,
        forwardedHeaders: headerList(request.headers),
      };
      return await this.#fanOut("ingest", request.signal, request.body.byteLength, 1, (ep, signal) =>
        ep.ingestAttempt(call, signal),
      );
    } finally {
      stopTotal();
    }
  }

  async #fanOut(
    path: "push" | "ingest",
    callerSignal: AbortSignal | undefined,
    bytes: number,
    profiles: number,
    attempt: (ep: Endpoint, signal: AbortSignal) => Promise<AttemptResult>,
  ): Promise<Outcome> {
    if (this.#endpoints.length === 0) return OK;
    const { metrics, logger } = this.#ctx;
    const link = linkSignals(callerSignal, this.#ctx.lifetime);
    const signal = link.signal;
    const failures: EndpointFailure[] = [];
    this.#inflight++;
    try {
      await Promise.all(
        this.#endpoints.map(async (ep) => {
          const stopEndpoint = metrics.startTimer(ep.metricLabel, `${path}_endpoint` as LatencyType);
          const result = await deliver(
            async () => {
              const stop = metrics.startTimer(ep.metricLabel, `${path}_downstream` as LatencyType);
              try {
                return await attempt(ep, signal);
              } finally {
                stop();
              }
            },
            {
              backoff: {
                minBackoffMs: ep.args.min_backoff_period,
                maxBackoffMs: ep.args.max_backoff_period,
                maxRetries: ep.args.max_backoff_retries,
              },
              retryOnHttp429: ep.args.retry_on_http_429,
              signal,
              random: this.#ctx.random,
              sleep: this.#ctx.sleep,
              onFailedAttempt: (f, retries) =>
                logger.debug(
                  { endpoint: ep.displayUrl, retries, err: f.error },
                  `failed to ${path} to endpoint`,
                ),
              onRetry: () => metrics.retries.inc({ endpoint: ep.metricLabel }),
            },
          );
          if (result.ok) {
            metrics.sent(ep.metricLabel, bytes, profiles);
          } else {
            metrics.dropped(ep.metricLabel, bytes, profiles);
            const text = `failed to ${path} to endpoint ${ep.displayUrl} (${result.retries} retries): ${result.last.error}`;
            failures.push({ endpoint: ep, result, text });
          }
          stopEndpoint();
        }),
      );
    } finally {
      link.dispose();
      this.#inflight--;
      if (this.#inflight === 0) for (const resolve of this.#idleWaiters.splice(0)) resolve();
    }
    if (failures.length === 0) return OK;
    const outcome = outcomeOf(failures);
    logger.warn({ err: joined(failures), sz: bytes, n: profiles }, PATH_LOG[path]);
    return outcome;
  }

  /** Resolves once no call is in flight (immediately when idle); later calls are not tracked. */
  idle(): Promise<void> {
    if (this.#inflight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#idleWaiters.push(resolve);
    });
  }

  /** Closes every endpoint's connections (after in-flight requests). */
  async close(): Promise<void> {
    await Promise.allSettled(this.#endpoints.map((ep) => ep.close()));
  }
}

/**
 * A signal aborted when either input aborts. Unlike `AbortSignal.any`, the listener on the long-lived
 * component signal is removed when the call ends, so calls leave nothing behind on it.
 */
function linkSignals(
  caller: AbortSignal | undefined,
  lifetime: AbortSignal,
): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  if (caller?.aborted || lifetime.aborted) {
    controller.abort();
    return { signal: controller.signal, dispose: () => {} };
  }
  caller?.addEventListener("abort", abort, { once: true });
  lifetime.addEventListener("abort", abort, { once: true });
  return {
    signal: controller.signal,
    dispose: () => {
      caller?.removeEventListener("abort", abort);
      lifetime.removeEventListener("abort", abort);
    },
  };
}

const PATH_LOG = { push: "Push", ingest: "AppendIngest" } as const;

function headerList(headers: Readonly<Record<string, string>> | undefined): HeaderList {
  const list = new HeaderList();
  for (const [name, value] of Object.entries(headers ?? {})) list.add(name, value);
  return list;
}

function joined(failures: readonly EndpointFailure[]): string {
  return failures.map((f) => f.text).join("\n");
}

/** Whether a final failure is permanent: not worth retrying later, and the downstream said so with a status. */
function isPermanent(f: EndpointFailure): boolean {
  const { last } = f.result;
  const status = last.httpStatus;
  if (status === undefined || status >= 500 || status === 408 || status === 429) return false;
  return !shouldRetry(last.failure, true);
}

/** The call's outcome from the endpoints that failed (in completion order). */
function outcomeOf(failures: readonly EndpointFailure[]): Outcome {
  const message = joined(failures);
  if (failures.every(isPermanent)) {
    const first = failures[0]!;
    const downstream = first.result.last.downstreamMessage;
    return {
      status: "rejected",
      httpStatus: first.result.last.httpStatus ?? 400,
      message: downstream !== undefined && downstream !== "" ? downstream : message,
    };
  }
  const transient = failures.filter((f) => !isPermanent(f));
  const withStatus = transient.find((f) => f.result.last.httpStatus !== undefined);
  const retryAfters = transient.map((f) => f.result.retryAfterMs).filter((v): v is number => v !== undefined);
  return {
    status: "failed",
    httpStatus: withStatus?.result.last.httpStatus ?? 500,
    message,
    retryAfterMs: retryAfters.length > 0 ? Math.max(...retryAfters) : undefined,
  };
}
