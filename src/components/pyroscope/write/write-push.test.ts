import assert from "node:assert/strict";
import * as http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { after, describe, test } from "node:test";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { testCertificates } from "../../../../test/support/certs.ts";
import { headerValues, startFakePyroscope } from "../../../../test/support/fake-pyroscope.ts";
import { tlsConfig } from "../../../../test/support/http-config.ts";
import { startWriteToFake } from "../../../../test/support/write-to-fake.ts";
import { USER_AGENT } from "../../../http/user-agent.ts";
import { PusherService, type PushRequest as PushMessage } from "../../../pyroscope/gen/push/v1/push_pb.ts";
import { IngestQuery } from "../../../pyroscope/ingest-query.ts";
import { Labels } from "../../../pyroscope/labels.ts";
import { isRetryable, type PushRequest } from "../../../pyroscope/receiver.ts";
import { Secret } from "../../../syntax/value.ts";
import { endpointArgs, startWrite, writeArgs } from "./test-harness.ts";

/** A Connect server made with @connectrpc/connect-node, as Alloy's tests use connect-go handlers. */
async function connectServer(
  handler: (req: PushMessage, ctx: HandlerContext) => void | Promise<void>,
): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = http.createServer(
    connectNodeAdapter({
      routes: (router) =>
        router.service(PusherService, {
          async push(req, ctx) {
            await handler(req, ctx);
            return {};
          },
        }),
    }),
  );
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

const FAST = { min_backoff_period: 1, max_backoff_period: 2 } as const;

function series(labels: Record<string, string>, samples = [{ id: "test-request-id", raw: "pprofraw" }]) {
  return {
    headers: {},
    labels: Labels.from(labels),
    samples: samples.map((s) => ({ id: s.id, rawProfile: new TextEncoder().encode(s.raw) })),
  } satisfies PushRequest;
}

const TEST_LABELS = { __name__: "test", __type__: "type", job: "foo", foo: "bar" };

describe("pyroscope.write push path: fan-out (Alloy Test_Write_FanOut)", async () => {
  let pushTotal = 0;
  const servers = await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      connectServer((req, ctx) => {
        pushTotal++;
        assert.equal(ctx.requestHeader.get("x-test-header"), "test");
        assert.equal(ctx.requestHeader.get("user-agent"), USER_AGENT);
        assert.deepEqual(
          req.series[0]?.labels.map((l) => [l.name, l.value]),
          [
            ["__name__", "test"],
            ["foo", "buzz"],
            ["job", "foo"],
          ],
        );
        assert.deepEqual(Buffer.from(req.series[0]!.samples[0]!.rawProfile).toString(), "pprofraw");
        assert.equal(req.series[0]?.samples[0]?.ID, "test-request-id");
        // connect-go turns a plain error into `unknown`; connect-es would say `internal`, so be explicit.
        if (i === 0) throw new ConnectError("test", Code.Unknown);
      }),
    ),
  );
  after(() => Promise.all(servers.map((s) => s.close())));
  const endpoints = servers.map((s) =>
    endpointArgs({ url: s.url, ...FAST, max_backoff_retries: 1, headers: { "X-Test-Header": "test" } }),
  );

  test("with_failure: every endpoint gets the filtered labels; the failing one is tried once", async () => {
    const w = await startWrite(writeArgs({ endpoint: endpoints, external_labels: { foo: "buzz" } }));
    after(() => w.stop());
    pushTotal = 0;
    const outcome = await w.receiver.push(series(TEST_LABELS));
    assert.equal(outcome.ok, false);
    assert.match(!outcome.ok ? outcome.message : "", /unknown: test/);
    assert.match(
      !outcome.ok ? outcome.message : "",
      new RegExp(`^failed to push to endpoint ${servers[0]!.url} \\(1 retries\\): unknown: test$`),
    );
    assert.equal(pushTotal, 10);
  });

  test("all_success: 9 endpoints, one push each", async () => {
    const w = await startWrite(writeArgs({ endpoint: endpoints.slice(1), external_labels: { foo: "buzz" } }));
    after(() => w.stop());
    pushTotal = 0;
    assert.deepEqual(await w.receiver.push(series(TEST_LABELS)), { ok: true });
    assert.equal(pushTotal, 9);
  });

  test("with_backoff: max_backoff_retries=3 means 3 attempts", async () => {
    const ep = { ...endpoints[0]!, max_backoff_retries: 3 };
    const w = await startWrite(writeArgs({ endpoint: [ep], external_labels: { foo: "buzz" } }));
    after(() => w.stop());
    pushTotal = 0;
    const outcome = await w.receiver.push(series(TEST_LABELS));
    assert.equal(outcome.ok, false);
    assert.match(!outcome.ok ? outcome.message : "", /\(3 retries\): unknown: test$/);
    assert.equal(pushTotal, 3);
    assert.equal(await w.metric("pyroscope_write_retries_total", { endpoint: servers[0]!.url }), 2);
  });
});

describe("pyroscope.write push path", () => {
  test("Test_Write_Update: no endpoints is a no-op; an update reaches the new endpoint once", async () => {
    let pushes = 0;
    const server = await connectServer(() => {
      pushes++;
    });
    after(() => server.close());
    const w = await startWrite(writeArgs());
    after(() => w.stop());
    assert.deepEqual(await w.receiver.push(series({ __name__: "test" })), { ok: true });
    await w.component.update(writeArgs({ endpoint: [endpointArgs({ url: server.url })] }));
    assert.deepEqual(await w.receiver.push(series({ __name__: "test" })), { ok: true });
    assert.equal(pushes, 1);
  });

  test("the request on the wire: Connect unary, binary proto, headers, labels sorted, sample IDs kept", async () => {
    const fake = await startFakePyroscope();
    after(() => fake.close());
    const w = await startWrite(
      writeArgs({
        endpoint: [
          endpointArgs({
            url: `${fake.url}/`,
            remote_timeout: 7_000,
            headers: { "X-Scope-OrgID": "tenant-1", "User-Agent": "mine", "Content-Type": "text/evil" },
          }),
        ],
        external_labels: { cluster: "c1", env: "", __ext__: "kept" },
      }),
    );
    after(() => w.stop());
    const outcome = await w.receiver.push(
      series(
        { service_name: "svc", __name__: "process_cpu", __delta__: "false", __tmp: "x", env: "dev", a: "1" },
        [
          { id: "id-1", raw: "one" },
          { id: "", raw: "two" },
        ],
      ),
    );
    assert.deepEqual(outcome, { ok: true });
    const [req] = fake.pushes;
    assert.ok(req);
    assert.equal(req.path, "/push.v1.PusherService/Push");
    assert.equal(req.method, "POST");
    assert.equal(req.headers["content-type"], "application/proto");
    assert.equal(req.headers["connect-protocol-version"], "1");
    assert.equal(req.headers["connect-timeout-ms"], "7000");
    assert.equal(req.headers["accept-encoding"], "gzip");
    assert.equal(req.headers["content-encoding"], undefined);
    assert.equal(req.headers["user-agent"], USER_AGENT);
    assert.equal(req.headers["x-scope-orgid"], "tenant-1");
    assert.equal(req.push?.series.length, 1);
    assert.deepEqual(
      req.push?.series[0]?.labels.map((l) => `${l.name}=${l.value}`),
      ["__delta__=false", "__ext__=kept", "__name__=process_cpu", "a=1", "cluster=c1", "service_name=svc"],
    );
    assert.deepEqual(
      req.push?.series[0]?.samples.map((s) => [s.ID, Buffer.from(s.rawProfile).toString()]),
      [
        ["id-1", "one"],
        ["", "two"],
      ],
    );
    assert.equal(req.push?.series[0]?.annotations.length, 0);
  });

  test("invalid labels are rejected before any request, and no metric moves (Test_Write_FanOut_ValidateLabels)", async () => {
    const { fake, w } = await startWriteToFake({ after });
    const cases: [Record<string, string>, string][] = [
      [{}, "invalid labels in profile: service name is required"],
      [
        { __name__: "x", "invalid-label-name": "v" },
        "invalid labels in profile: invalid label name: invalid label name: invalid-label-name: character is not allowed: '-'",
      ],
      [{ __name__: "x", "": "v" }, "invalid labels in profile: duplicate label name: "],
      [{ __name__: "x", bad: "\uD800" }, "invalid labels in profile: invalid label value for bad: \uD800"],
    ];
    for (const [labels, message] of cases) {
      assert.deepEqual(await w.receiver.push(series(labels)), {
        ok: false,
        code: Code.InvalidArgument,
        httpStatus: 400,
        message,
      });
    }
    assert.deepEqual(await w.receiver.push(series({ __name__: "x", "otel.scope.name": "ok", "9ok": "y" })), {
      ok: true,
    });
    assert.equal(fake.pushes.length, 1);
    assert.equal(await w.metric("pyroscope_write_latency_count", { type: "push_total" }), 1);
  });

  test("Test_Write_Append_RetryOnResourceExhausted: resource_exhausted follows retry_on_http_429", async () => {
    const fake = await startFakePyroscope({
      respond: () => ({ connectCode: "resource_exhausted", message: "slow down" }),
    });
    after(() => fake.close());
    for (const [flag, attempts] of [
      [false, 1],
      [true, 3],
    ] as const) {
      const before = fake.pushes.length;
      const w = await startWrite(
        writeArgs({
          endpoint: [
            endpointArgs({ url: fake.url, ...FAST, max_backoff_retries: 3, retry_on_http_429: flag }),
          ],
        }),
      );
      const outcome = await w.receiver.push(series({ __name__: "x" }));
      await w.stop();
      assert.equal(outcome.ok, false);
      assert.match(!outcome.ok ? outcome.message : "", /resource_exhausted: slow down/);
      assert.equal(!outcome.ok ? outcome.httpStatus : 0, 429);
      assert.equal(fake.pushes.length - before, attempts);
    }
  });

  test("a permanent Connect error is not retried and is rejected with its status and message", async () => {
    const { fake, w } = await startWriteToFake(
      { after },
      {
        respond: () => ({ connectCode: "invalid_argument", message: "invalid labels 'x' with error: bad" }),
      },
      FAST,
    );
    assert.deepEqual(await w.receiver.push(series({ __name__: "x" })), {
      ok: false,
      code: Code.InvalidArgument,
      httpStatus: 400,
      message: "invalid labels 'x' with error: bad",
    });
    assert.equal(fake.pushes.length, 1);
    assert.equal(await w.metric("pyroscope_write_dropped_profiles_total", { endpoint: fake.url }), 1);
    assert.equal(await w.metric("pyroscope_write_dropped_bytes_total", { endpoint: fake.url }), 8);
  });

  test("plain-HTTP errors get connect-go's codes: 400 internal (retried), 404 unimplemented (not), 429 retried regardless", async () => {
    const cases = [
      { status: 400, attempts: 3, error: "internal: HTTP status 400 Bad Request", retry429: true },
      { status: 404, attempts: 1, error: "unimplemented: HTTP status 404 Not Found", retry429: true },
      { status: 429, attempts: 3, error: "unavailable: HTTP status 429 Too Many Requests", retry429: false },
    ];
    for (const c of cases) {
      const fake = await startFakePyroscope({ respond: () => ({ status: c.status, body: "nope" }) });
      const w = await startWrite(
        writeArgs({
          endpoint: [
            endpointArgs({ url: fake.url, ...FAST, max_backoff_retries: 3, retry_on_http_429: c.retry429 }),
          ],
        }),
      );
      const outcome = await w.receiver.push(series({ __name__: "x" }));
      await w.stop();
      await fake.close();
      assert.equal(fake.pushes.length, c.attempts, `status ${c.status}`);
      if (outcome.ok) assert.fail("expected a failure");
      assert.equal(outcome.httpStatus, c.status);
      if (!isRetryable(outcome.code)) {
        assert.equal(outcome.message, "nope", "a permanent failure carries the downstream's body");
      } else {
        assert.ok(outcome.message.includes(c.error), JSON.stringify(outcome));
      }
    }
  });

  test("503 then 200: retried, delivered once, metrics count one retry and one send", async () => {
    const { fake, w } = await startWriteToFake({ after }, { failFirst: 1 }, { ...FAST, name: "primary" });
    assert.deepEqual(await w.receiver.push(series({ __name__: "x" })), { ok: true });
    assert.equal(fake.pushes.length, 2);
    assert.equal(await w.metric("pyroscope_write_retries_total", { endpoint: "primary" }), 1);
    assert.equal(await w.metric("pyroscope_write_sent_profiles_total", { endpoint: "primary" }), 1);
    assert.equal(await w.metric("pyroscope_write_sent_bytes_total", { endpoint: "primary" }), 8);
    assert.equal(await w.metric("pyroscope_write_dropped_profiles_total", { endpoint: "primary" }), 0);
    assert.equal(
      await w.metric("pyroscope_write_latency_count", { endpoint: "primary", type: "push_downstream" }),
      2,
    );
    assert.equal(
      await w.metric("pyroscope_write_latency_count", { endpoint: "primary", type: "push_endpoint" }),
      1,
    );
    assert.equal(await w.metric("pyroscope_write_latency_count", { endpoint: "-", type: "push_total" }), 1);
  });

  test("a hanging server: each attempt times out after remote_timeout and is retried", async () => {
    const { fake, w } = await startWriteToFake(
      { after },
      { respond: (r) => (r.index < 2 ? { hang: true } : {}) },
      { ...FAST, remote_timeout: 100 },
    );
    assert.deepEqual(await w.receiver.push(series({ __name__: "x" })), { ok: true });
    assert.equal(fake.pushes.length, 3);
    assert.equal(fake.pushes[0]?.headers["connect-timeout-ms"], "100");
  });

  test("timeouts exhausted: Alloy's deadline message", async () => {
    const { fake, w } = await startWriteToFake(
      { after },
      { respond: () => ({ hang: true }) },
      { ...FAST, remote_timeout: 50, max_backoff_retries: 2 },
    );
    const outcome = await w.receiver.push(series({ __name__: "x" }));
    assert.deepEqual(outcome, {
      ok: false,
      code: Code.Internal,
      httpStatus: 500,
      message: `failed to push to endpoint ${fake.url} (2 retries): deadline_exceeded: context deadline exceeded`,
      retryAfterMs: undefined,
    });
  });

  test("remote_timeout = 0 fails every attempt at once (Alloy: instant deadline), without a request", async () => {
    const { fake, w } = await startWriteToFake(
      { after },
      {},
      { ...FAST, remote_timeout: 0, max_backoff_retries: 2 },
    );
    const outcome = await w.receiver.push(series({ __name__: "x" }));
    assert.equal(outcome.ok, false);
    assert.equal(fake.pushes.length, 0);
  });

  test("a connection reset is retried (transport errors are unavailable)", async () => {
    const { fake, w } = await startWriteToFake(
      { after },
      { respond: (r) => (r.index === 0 ? { reset: true } : {}) },
      FAST,
    );
    assert.deepEqual(await w.receiver.push(series({ __name__: "x" })), { ok: true });
    assert.equal(fake.pushes.length, 2);
  });

  test("connection refused: unavailable, retried, then failed", async () => {
    const fake = await startFakePyroscope();
    const url = fake.url;
    await fake.close();
    const w = await startWrite(
      writeArgs({ endpoint: [endpointArgs({ url, ...FAST, max_backoff_retries: 2 })] }),
    );
    after(() => w.stop());
    const outcome = await w.receiver.push(series({ __name__: "x" }));
    assert.equal(outcome.ok, false);
    assert.match(!outcome.ok ? outcome.message : "", /\(2 retries\): unavailable: .*ECONNREFUSED/);
  });

  test("Retry-After is honoured over a shorter backoff, capped by max_backoff_period", async () => {
    const fake = await startFakePyroscope({
      respond: (r) =>
        r.index === 0
          ? { connectCode: "unavailable", retryAfter: 3600 }
          : r.index === 1
            ? { connectCode: "unavailable", retryAfter: 0 }
            : {},
    });
    after(() => fake.close());
    const waits: number[] = [];
    const w = await startWrite(
      writeArgs({
        endpoint: [endpointArgs({ url: fake.url, min_backoff_period: 10, max_backoff_period: 150 })],
      }),
      {
        random: () => 0,
        sleep: async (ms) => {
          waits.push(ms);
          return true;
        },
      },
    );
    after(() => w.stop());
    assert.deepEqual(await w.receiver.push(series({ __name__: "x" })), { ok: true });
    assert.equal(fake.pushes.length, 3);
    // One hour is capped to max_backoff_period; "0" leaves the backoff delay (second range [20, 40)).
    assert.deepEqual(waits, [150, 20]);
  });

  test("retryAfterMs is reported when the endpoint gives up on a 429", async () => {
    const { w } = await startWriteToFake(
      { after },
      {
        respond: () => ({ connectCode: "resource_exhausted", retryAfter: 7, message: "rate" }),
      },
      { retry_on_http_429: false },
    );
    const outcome = await w.receiver.push(series({ __name__: "x" }));
    assert.equal(outcome.ok, false);
    assert.equal(!outcome.ok ? outcome.retryAfterMs : 0, 7000);
  });

  test("the caller's signal stops the retry loop: canceled, not retried further", async () => {
    const { fake, w } = await startWriteToFake({ after }, { respond: () => ({ hang: true }) });
    const controller = new AbortController();
    const pending = w.receiver.push({ ...series({ __name__: "x" }), signal: controller.signal });
    await fake.waitFor(1);
    controller.abort();
    const outcome = await pending;
    assert.equal(outcome.ok, false);
    assert.match(!outcome.ok ? outcome.message : "", /\(0 retries\): canceled/);
    assert.equal(fake.pushes.length, 1);
  });

  test("forwarded headers are sent unless the endpoint sets the same header; hop-by-hop never", async () => {
    const fake = await startFakePyroscope();
    after(() => fake.close());
    const w = await startWrite(
      writeArgs({ endpoint: [endpointArgs({ url: fake.url, headers: { "x-scope-orgid": "configured" } })] }),
    );
    after(() => w.stop());
    await w.receiver.push({
      ...series({ __name__: "x" }),
      headers: {
        "x-scope-orgid": "from-client",
        "x-custom": "c",
        connection: "close",
        "content-type": "x/y",
      },
    });
    const [req] = fake.pushes;
    assert.deepEqual(headerValues(req!, "x-scope-orgid"), ["configured"]);
    assert.equal(req?.headers["x-custom"], "c");
    assert.equal(req?.headers["content-type"], "application/proto");
    assert.notEqual(req?.headers["connection"], "close");
  });

  test("the endpoint label is the URL without a name; two endpoints with names are told apart", async () => {
    const fake = await startFakePyroscope();
    after(() => fake.close());
    const w = await startWrite(
      writeArgs({
        endpoint: [endpointArgs({ url: fake.url }), endpointArgs({ url: fake.url, name: "second" })],
      }),
    );
    after(() => w.stop());
    await w.receiver.push(series({ __name__: "x" }));
    assert.equal(await w.metric("pyroscope_write_sent_profiles_total", { endpoint: fake.url }), 1);
    assert.equal(await w.metric("pyroscope_write_sent_profiles_total", { endpoint: "second" }), 1);
  });

  test("update swaps endpoints atomically: an in-flight call finishes on the old one", async () => {
    const slow = await startFakePyroscope({ respond: () => ({ delayMs: 100 }) });
    const other = await startFakePyroscope();
    after(() => Promise.all([slow.close(), other.close()]));
    const w = await startWrite(writeArgs({ endpoint: [endpointArgs({ url: slow.url })] }));
    after(() => w.stop());
    const inflight = w.receiver.push(series({ __name__: "x" }));
    await slow.waitFor(1);
    await w.component.update(writeArgs({ endpoint: [endpointArgs({ url: other.url })] }));
    assert.deepEqual(await w.receiver.push(series({ __name__: "y" })), { ok: true });
    assert.deepEqual(await inflight, { ok: true });
    assert.equal(slow.pushes.length, 1);
    assert.equal(other.pushes.length, 1);
    assert.equal(w.exports.length, 1, "the receiver is exported once and stays valid");
  });

  test("a configuration that cannot work is rejected and the previous one stays", async () => {
    const { fake, w } = await startWriteToFake({ after });
    await assert.rejects(
      w.component.update(
        writeArgs({
          endpoint: [
            endpointArgs({ url: fake.url, tls_config: tlsConfig({ ca_file: "/nonexistent/ca.pem" }) }),
          ],
        }),
      ),
      /unable to load specified CA cert \/nonexistent\/ca.pem/,
    );
    await assert.rejects(
      w.component.update(writeArgs({ endpoint: [endpointArgs({ url: "localhost:4040" })] })),
      /must use http or https/,
    );
    assert.deepEqual(await w.receiver.push(series({ __name__: "x" })), { ok: true });
  });

  test("over TLS with a CA and a client certificate, HTTP/2 negotiated, with auth on every attempt", async () => {
    const certs = testCertificates();
    const fake = await startFakePyroscope({
      tls: { key: certs.server.key, cert: certs.server.cert, ca: certs.ca, requestCert: true },
      http2: true,
      failFirst: 1,
    });
    after(() => fake.close());
    const w = await startWrite(
      writeArgs({
        endpoint: [
          endpointArgs({
            url: fake.url,
            ...FAST,
            bearer_token: new Secret("tok"),
            tls_config: tlsConfig({
              ca_pem: certs.ca,
              cert_file: certs.client.certFile,
              key_file: certs.client.keyFile,
            }),
          }),
        ],
      }),
    );
    after(() => w.stop());
    const ingest = {
      labels: Labels.from({ __name__: "x" }),
      body: new Uint8Array([1]),
      contentType: [],
      path: "/ingest",
      query: IngestQuery.parse(""),
      headers: {},
    };
    assert.deepEqual(await w.receiver.push(series({ __name__: "x" })), { ok: true });
    assert.deepEqual(await w.receiver.ingest(ingest), { ok: true });
    assert.deepEqual(
      fake.requests.map((r) => [r.kind, r.httpVersion, r.headers.authorization]),
      [
        ["push", "2.0", "Bearer tok"],
        ["push", "2.0", "Bearer tok"],
        ["ingest", "2.0", "Bearer tok"],
      ],
    );
    assert.equal(fake.pushes[1]?.push?.series[0]?.labels[0]?.value, "x");
  });

  test("after run ends, calls fail instead of hanging", async () => {
    const fake = await startFakePyroscope();
    after(() => fake.close());
    const w = await startWrite(writeArgs({ endpoint: [endpointArgs({ url: fake.url })] }));
    await w.stop();
    const outcome = await w.receiver.push(series({ __name__: "x" }));
    assert.equal(outcome.ok, false);
  });

  test("connection error to one endpoint does not hold back another (concurrent fan-out)", async () => {
    const hanging = await startFakePyroscope({ respond: () => ({ hang: true }) });
    const fine = await startFakePyroscope();
    after(() => Promise.all([hanging.close(), fine.close()]));
    const w = await startWrite(
      writeArgs({
        endpoint: [
          endpointArgs({ url: hanging.url, remote_timeout: 200, max_backoff_retries: 1 }),
          endpointArgs({ url: fine.url }),
        ],
      }),
    );
    after(() => w.stop());
    const pending = w.receiver.push(series({ __name__: "x" }));
    await fine.waitFor(1);
    assert.equal(hanging.pushes.length, 1, "both were contacted while the first still hangs");
    const outcome = await pending;
    assert.equal(outcome.ok, false);
  });
});
