/**
 * The receiver of one `pyroscope.write` configuration without a queue (Alloy's `fanOutClient`): validates and
 * rewrites labels, then sends the profile to every endpoint concurrently, each with its own retry loop, and
 * waits for all of them. The request to send is built once (a push body is encoded once) and every endpoint
 * and every attempt sends the same bytes.
 *
 * The result is `ok` when every endpoint accepted. Otherwise, when every failure is permanent (a 4xx other
 * than 408/429, a non-200 2xx/3xx on ingest, invalid labels), the first one, with the downstream's message;
 * else the first downstream status of a transient failure (500 when none answered) and any `Retry-After`.
 * The message of a failure lists each failed endpoint in Alloy's words, in completion order.
 */
import type { Logger } from "pino";
import { encodePushBody } from "../../../pyroscope/push-body.ts";
import {
  codeForHttpStatus,
  type Failure,
  type IngestRequest,
  OK,
  type Outcome,
  type PushRequest,
  type Receiver,
} from "../../../pyroscope/receiver.ts";
import {
  type DeliveryOutcome,
  ingestEvent,
  outcomeAt,
  type ProfileEvent,
  pushEvent,
} from "../../../runtime/livedebugging/event.ts";
import type { ComponentTap } from "../../../runtime/livedebugging/hub.ts";
import { type DeliveryResult, deliver } from "./deliver.ts";
import type { Endpoint } from "./endpoint.ts";
import type { EndpointSeries, WriteMetrics } from "./metrics.ts";
import { prepareIngestQuery, preparePushLabels } from "./prepare.ts";
import { shouldRetry } from "./retry.ts";

/** What a direct write needs besides its endpoints. */
export interface DirectWriteContext {
  readonly metrics: WriteMetrics;
  readonly logger: Logger;
  /** Aborted when the component stops: in-flight loops give up. */
  readonly lifetime: AbortSignal;
  /** Jitter source (tests). */
  readonly random?: (() => number) | undefined;
  /** The wait between attempts (tests). */
  readonly sleep?: ((ms: number, signal: AbortSignal) => Promise<boolean>) | undefined;
  /** Live debugging: each profile with every endpoint's outcome, while someone watches. */
  readonly tap: ComponentTap;
}

/** An endpoint that gave up on a profile: its last failure and Alloy's line for it. */
interface EndpointFailure {
  readonly last: Failure;
  readonly text: string;
  /** Retrying stopped because the client's answer was due; the wait that was left out. */
  readonly answerDueMs?: number | undefined;
}

/** A receiver that sends to a fixed set of endpoints and waits for them. */
export class DirectWrite implements Receiver {
  readonly #endpoints: readonly Endpoint[];
  readonly #external: Readonly<Record<string, string>>;
  readonly #ctx: DirectWriteContext;
  #inflight = 0;
  readonly #idleWaiters: (() => void)[] = [];
  /** The abort of each call in flight: all aborted when the component stops (one listener on its lifetime). */
  readonly #calls = new Set<AbortController>();
  readonly #onStop = (): void => {
    for (const call of this.#calls) call.abort();
  };

  constructor(
    endpoints: readonly Endpoint[],
    external: Readonly<Record<string, string>>,
    ctx: DirectWriteContext,
  ) {
    this.#endpoints = endpoints;
    this.#external = external;
    this.#ctx = ctx;
    ctx.lifetime.addEventListener("abort", this.#onStop, { once: true });
  }

  /** Push path (Alloy's `Append`): one series per request to every endpoint. */
  async push(request: PushRequest): Promise<Outcome> {
    const prepared = preparePushLabels(request.labels, this.#external);
    if (!prepared.ok) return prepared.outcome;
    const started = performance.now();
    try {
      const call = {
        body: encodePushBody(prepared.value.value.toArray(), request.samples),
        headers: request.headers,
        tenant: prepared.value.tenant,
      };
      let bytes = 0;
      for (const s of request.samples) bytes += s.rawProfile.byteLength;
      return await this.#send(
        "push",
        request,
        bytes,
        request.samples.length,
        (ep, signal) => ep.push(call, signal),
        (outcomes) => pushEvent(request, outcomes),
      );
    } finally {
      this.#ctx.metrics.totalLatency("push").observe((performance.now() - started) / 1000);
    }
  }

  /** Ingest path (Alloy's `AppendIngest`): the body as received, `name` rebuilt, to `<endpoint>/ingest`. */
  async ingest(request: IngestRequest): Promise<Outcome> {
    const started = performance.now();
    try {
      const query = prepareIngestQuery(request.labels, request.query, this.#external);
      if (!query.ok) return query.outcome;
      const call = {
        body: request.body,
        contentType: request.contentType,
        path: request.path,
        query: query.value.value,
        headers: request.headers,
        tenant: query.value.tenant,
      };
      return await this.#send(
        "ingest",
        request,
        request.body.byteLength,
        1,
        (ep, signal) => ep.ingest(call, signal),
        (outcomes) => ingestEvent(request, outcomes),
      );
    } finally {
      this.#ctx.metrics.totalLatency("ingest").observe((performance.now() - started) / 1000);
    }
  }

  async #send(
    path: "push" | "ingest",
    caller: { readonly signal?: AbortSignal | undefined; readonly answerBy?: number | undefined },
    bytes: number,
    profiles: number,
    attempt: (ep: Endpoint, signal: AbortSignal) => Promise<Outcome>,
    event: (outcomes: readonly DeliveryOutcome[]) => ProfileEvent,
  ): Promise<Outcome> {
    const endpoints = this.#endpoints;
    if (endpoints.length === 0) return OK;
    const tap = this.#ctx.tap;
    const outcomes: DeliveryOutcome[] | undefined = tap.watched ? [] : undefined;
    const call = this.#startCall(caller.signal);
    const failures: EndpointFailure[] = [];
    this.#inflight++;
    try {
      const one = (ep: Endpoint): Promise<void> =>
        this.#deliverTo(path, ep, call.signal, caller.answerBy, attempt, bytes, profiles, outcomes, failures);
      if (endpoints.length === 1) await one(endpoints[0]!);
      else await Promise.all(endpoints.map(one));
    } finally {
      call.end();
      this.#inflight--;
      if (this.#inflight === 0) for (const resolve of this.#idleWaiters.splice(0)) resolve();
    }
    if (outcomes !== undefined) tap.publish(event(outcomes));
    if (failures.length === 0) return OK;
    this.#ctx.logger.warn({ err: joined(failures), sz: bytes, n: profiles }, PATH_LOG[path]);
    return combined(failures);
  }

  /**
   * One endpoint's delivery: the first attempt straight away (the usual case ends there), then, when it failed,
   * the retry loop, which starts from that failure. Records the endpoint's metrics, its outcome for live
   * debugging and its failure.
   */
  async #deliverTo(
    path: "push" | "ingest",
    ep: Endpoint,
    signal: AbortSignal,
    answerBy: number | undefined,
    attempt: (ep: Endpoint, signal: AbortSignal) => Promise<Outcome>,
    bytes: number,
    profiles: number,
    outcomes: DeliveryOutcome[] | undefined,
    failures: EndpointFailure[],
  ): Promise<void> {
    const series = this.#ctx.metrics.series(ep.metricLabel);
    const started = performance.now();
    const timed = async (): Promise<Outcome> => {
      const attemptStarted = performance.now();
      try {
        return await attempt(ep, signal);
      } finally {
        series.downstreamLatency(path).observe((performance.now() - attemptStarted) / 1000);
      }
    };
    const first = await timed();
    const result = first.ok
      ? DELIVERED_AT_ONCE
      : await this.#retry(path, ep, series, signal, answerBy, timed, first);
    outcomes?.push(outcomeAt(ep.metricLabel, result.ok ? OK : result.last));
    if (result.ok) {
      series.sent(bytes, profiles);
    } else {
      series.dropped(bytes, profiles);
      const due =
        result.answerDueMs === undefined
          ? ""
          : " (stopped retrying to answer before the client's server_write_timeout)";
      const text = `failed to ${path} to endpoint ${ep.displayUrl} (${result.retries} retries): ${result.last.message}${due}`;
      failures.push({ last: result.last, text, answerDueMs: result.answerDueMs });
    }
    series.endpointLatency(path).observe((performance.now() - started) / 1000);
  }

  /** The retry loop of an endpoint whose first attempt (`attempt`, timed) failed with `first`. */
  #retry(
    path: "push" | "ingest",
    ep: Endpoint,
    series: EndpointSeries,
    signal: AbortSignal,
    answerBy: number | undefined,
    attempt: () => Promise<Outcome>,
    first: Outcome,
  ): Promise<DeliveryResult> {
    const logger = this.#ctx.logger;
    return deliver(
      attempt,
      {
        backoff: ep.backoff,
        retryOnHttp429: ep.args.retry_on_http_429,
        signal,
        answerBy,
        attemptTimeoutMs: ep.args.remote_timeout,
        random: this.#ctx.random,
        sleep: this.#ctx.sleep,
        onFailedAttempt: (f, retries) =>
          logger.debug({ endpoint: ep.displayUrl, retries, err: f.message }, `failed to ${path} to endpoint`),
        onRetry: () => series.retried(),
      },
      first,
    );
  }

  /**
   * The abort of one call: when the caller gives up (its client went away) or the component stops. One
   * listener on the caller's signal; the component's stop reaches every call through one listener of its own.
   */
  #startCall(caller: AbortSignal | undefined): { readonly signal: AbortSignal; end(): void } {
    const controller = new AbortController();
    if (caller?.aborted || this.#ctx.lifetime.aborted) {
      controller.abort();
      return { signal: controller.signal, end: () => {} };
    }
    const abort = (): void => controller.abort();
    caller?.addEventListener("abort", abort, { once: true });
    this.#calls.add(controller);
    return {
      signal: controller.signal,
      end: () => {
        caller?.removeEventListener("abort", abort);
        this.#calls.delete(controller);
      },
    };
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
    this.#ctx.lifetime.removeEventListener("abort", this.#onStop);
    await Promise.allSettled(this.#endpoints.map((ep) => ep.close()));
  }
}

/** The result of a delivery whose first attempt was accepted. */
const DELIVERED_AT_ONCE: DeliveryResult = Object.freeze({ ok: true, retries: 0 });

const PATH_LOG = { push: "Push", ingest: "AppendIngest" } as const;

function joined(failures: readonly EndpointFailure[]): string {
  return failures.map((f) => f.text).join("\n");
}

/** Whether a final failure is permanent: not worth retrying later, and the downstream said so with a status. */
function isPermanent(f: EndpointFailure): boolean {
  const status = f.last.httpStatus;
  if (status === undefined || status >= 500 || status === 408 || status === 429) return false;
  return !shouldRetry(f.last.code, true);
}

/** The call's result from the endpoints that failed (in completion order). */
function combined(failures: readonly EndpointFailure[]): Failure {
  const message = joined(failures);
  if (failures.every(isPermanent)) {
    const first = failures[0]!.last;
    const status = first.httpStatus ?? 400;
    return {
      ok: false,
      code: codeForHttpStatus(status),
      httpStatus: status,
      message: first.detail !== undefined && first.detail !== "" ? first.detail : message,
    };
  }
  const transient = failures.filter((f) => !isPermanent(f));
  // a client answered early, before retries ran out, is told to come back: 503 when no endpoint answered
  const cutShort = transient.some((f) => f.answerDueMs !== undefined);
  const status =
    transient.find((f) => f.last.httpStatus !== undefined)?.last.httpStatus ?? (cutShort ? 503 : 500);
  const retryAfters = transient
    .flatMap((f) => [f.last.retryAfterMs, f.answerDueMs])
    .filter((v): v is number => v !== undefined);
  return {
    ok: false,
    code: transientCode(status),
    httpStatus: status,
    message,
    retryAfterMs: retryAfters.length > 0 ? Math.max(...retryAfters) : undefined,
  };
}

/** The code for a transient failure: the status's own when it is retryable, else `internal` (e.g. a push 400). */
function transientCode(status: number): Failure["code"] {
  const code = codeForHttpStatus(status);
  return shouldRetry(code, true) ? code : codeForHttpStatus(500);
}
