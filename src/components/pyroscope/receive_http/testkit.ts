/**
 * Test helpers for `pyroscope.receive_http`: recording receivers, a component started on 127.0.0.1 port 0,
 * and fixture paths. Used only by the tests beside it.
 */
import { request as httpRequest } from "node:http";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { Registry } from "prom-client";
import type { IngestRequest, Outcome, PushRequest, Receiver } from "../../../pyroscope/receiver.ts";
import { failure, OK } from "../../../pyroscope/receiver.ts";
import { SINGLE_PROCESS } from "../../../runtime/component.ts";
import type { BodySchema, Fields, InferFields } from "../../../syntax/schema.ts";
import { type ReceiveHttpArguments, receiveHttpSchema } from "./arguments.ts";
import { ReceiveHttp } from "./receive-http.ts";

/** A receiver that records every call and answers with `answer` (an outcome, or a function of the call). */
export class RecordingReceiver implements Receiver {
  readonly pushes: PushRequest[] = [];
  readonly ingests: IngestRequest[] = [];
  answer: Outcome | ((req: PushRequest | IngestRequest) => Outcome | Promise<Outcome>);

  constructor(answer: RecordingReceiver["answer"] = OK) {
    this.answer = answer;
  }

  async push(request: PushRequest): Promise<Outcome> {
    this.pushes.push(request);
    return typeof this.answer === "function" ? this.answer(request) : this.answer;
  }

  async ingest(request: IngestRequest): Promise<Outcome> {
    this.ingests.push(request);
    return typeof this.answer === "function" ? this.answer(request) : this.answer;
  }
}

/** A failure worth retrying, as a receiver reports a plain error (a 5xx, 429 or 408). */
export function failed(message: string, httpStatus = 500, retryAfterMs?: number): Outcome {
  return failure(httpStatus, message, { retryAfterMs });
}

/** A refusal (a downstream 4xx). */
export function rejected(message: string, httpStatus: number): Outcome {
  return failure(httpStatus, message);
}

/** The argument defaults with a listener on 127.0.0.1, a free port, and the given changes. */
export function testArgs(
  forwardTo: readonly Receiver[],
  changes: Partial<Omit<ReceiveHttpArguments, "http">> & {
    http?: Partial<ReceiveHttpArguments["http"]>;
  } = {},
): ReceiveHttpArguments {
  const defaults = defaultsOf(receiveHttpSchema);
  const { http, ...rest } = changes;
  return {
    ...defaults,
    forward_to: [...forwardTo],
    ...rest,
    http: { ...defaults.http, listen_address: "127.0.0.1", listen_port: 0, ...http },
  };
}

/** A schema's defaults: attribute defaults, defaulted blocks filled in, the rest absent. */
export function defaultsOf<F extends Fields>(schema: BodySchema<F>): InferFields<F> {
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(schema.fields)) {
    if (field.kind === "attr") out[name] = field.default;
    else if (field.kind === "blocks") out[name] = [];
    else out[name] = field.absent === "defaults" ? defaultsOf(field.body) : undefined;
  }
  return out as InferFields<F>;
}

/** A component running on a free port; `stop()` ends it and waits for its connections to close. */
export interface Running {
  readonly component: ReceiveHttp;
  readonly registry: Registry;
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts the component with `args` (see `testArgs`). */
export async function start(args: ReceiveHttpArguments): Promise<Running> {
  const registry = new Registry();
  const logger = pino({ level: process.env["TEST_LOG_LEVEL"] ?? "silent" });
  const component = await ReceiveHttp.create(
    {
      id: "pyroscope.receive_http.test",
      logger,
      registry,
      dataPath: "",
      worker: SINGLE_PROCESS,
      onStateChange: () => {},
    },
    args,
  );
  const controller = new AbortController();
  const run = component.run(controller.signal);
  const port = component.port;
  if (port === undefined) throw new Error("component did not start");
  const scheme = args.http.tls === undefined ? "http" : "https";
  return {
    component,
    registry,
    port,
    url: `${scheme}://127.0.0.1:${port}`,
    async stop() {
      controller.abort();
      await run;
    },
  };
}

/** The path of a file under the project's test fixtures (`test/fixtures/`). */
export function fixturePath(relative: string): string {
  return fileURLToPath(new URL(`../../../../test/fixtures/${relative}`, import.meta.url));
}

/**
 * The value of one sample of a metric family: `suffix` picks a histogram's `_count`, `_sum` or `_bucket`
 * series; every label in `labels` must match.
 */
export async function sample(
  registry: Registry,
  family: string,
  labels: Readonly<Record<string, string>>,
  suffix: "" | "_count" | "_sum" | "_bucket" = "",
): Promise<number | undefined> {
  const metric = registry.getSingleMetric(family);
  if (metric === undefined) return undefined;
  const data = await metric.get();
  const want = family + suffix;
  const found = data.values.find(
    (v) =>
      ((v as { metricName?: string }).metricName ?? family) === want &&
      Object.entries(labels).every(([k, x]) => String(v.labels[k]) === x),
  );
  return found?.value;
}

/** A response read whole. */
export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly trailers: Readonly<Record<string, string | undefined>>;
  readonly body: Buffer;
}

/**
 * One HTTP/1.1 request with raw header pairs (so a header may repeat, e.g. three `Content-Type` lines), on
 * its own connection. Rejects on a connection error; times out after `timeoutMs`.
 */
export function rawRequest(
  url: string,
  options: {
    method?: string;
    headers?: readonly (readonly [string, string])[];
    body?: Uint8Array | string;
    /** Send the body chunked, without a Content-Length. */
    chunked?: boolean;
    timeoutMs?: number;
  } = {},
): Promise<RawResponse> {
  const u = new URL(url);
  const pairs = options.headers ?? [];
  const has = (name: string) => pairs.some(([k]) => k.toLowerCase() === name);
  const extra: (readonly [string, string])[] = [];
  if (!has("host")) extra.push(["Host", u.host]);
  if (options.chunked === true) extra.push(["Transfer-Encoding", "chunked"]);
  else if (!has("content-length") && options.body !== undefined) {
    extra.push(["Content-Length", String(Buffer.byteLength(options.body))]);
  }
  const flat = [...extra, ...pairs].flat();
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: u.hostname,
        port: u.port,
        path: `${u.pathname}${u.search}`,
        method: options.method ?? "POST",
        headers: flat,
        agent: false,
        timeout: options.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            trailers: res.trailers,
            body: Buffer.concat(chunks),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error("request timed out")));
    req.on("error", reject);
    req.end(options.body);
  });
}
