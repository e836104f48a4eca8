import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { Code } from "@connectrpc/connect";
import {
  headerValues,
  type RecordedRequest,
  startFakePyroscope,
} from "../../../../test/support/fake-pyroscope.ts";
import { readFixture } from "../../../../test/support/fixtures.ts";
import { startWriteToFake } from "../../../../test/support/write-to-fake.ts";
import { USER_AGENT } from "../../../http/user-agent.ts";
import { IngestQuery } from "../../../pyroscope/ingest-query.ts";
import { Labels } from "../../../pyroscope/labels.ts";
import { parseName } from "../../../pyroscope/name-grammar.ts";
import type { IngestRequest } from "../../../pyroscope/receiver.ts";
import { endpointArgs, startWrite, writeArgs } from "./test-harness.ts";

const FAST = { min_backoff_period: 1, max_backoff_period: 1, max_backoff_retries: 3 } as const;
const DATA = new TextEncoder().encode("test-profile-data");

function profile(labels: Record<string, string>, overrides: Partial<IngestRequest> = {}): IngestRequest {
  return {
    headers: {},
    labels: Labels.from(labels),
    body: DATA,
    contentType: ["ct1", "ct2"],
    path: "/ingest",
    query: IngestQuery.parse("key=value"),
    ...overrides,
  };
}

function nameOf(req: RecordedRequest): Record<string, string> {
  return parseName(new URLSearchParams(req.query).get("name") ?? "").toRecord();
}

describe("pyroscope.write ingest path (Alloy AppendIngestTestSuite)", () => {
  test("TestBasicFunctionality: headers, content types, name with external labels, query kept, body identical", async () => {
    const fake = await startFakePyroscope();
    after(() => fake.close());
    const w = await startWrite(
      writeArgs({
        external_labels: { env: "prod", cluster: "cluster-1" },
        endpoint: [
          endpointArgs({
            url: fake.url,
            ...FAST,
            headers: { ContentType: "evil-content-type", "X-Good-Header": "i-am-so-good" },
          }),
        ],
      }),
    );
    after(() => w.stop());
    const outcome = await w.receiver.ingest(
      profile({ __name__: "my.awesome.app.cpu", env: "staging", region: "us-west-1" }),
    );
    assert.deepEqual(outcome, { ok: true });
    assert.equal(fake.ingests.length, 1);
    const [req] = fake.ingests;
    assert.ok(req);
    assert.equal(req.path, "/ingest");
    assert.equal(req.headers["x-good-header"], "i-am-so-good");
    assert.deepEqual(headerValues(req, "content-type"), ["ct1", "ct2"]);
    assert.deepEqual(nameOf(req), {
      __name__: "my.awesome.app.cpu",
      cluster: "cluster-1",
      env: "prod",
      region: "us-west-1",
    });
    assert.equal(new URLSearchParams(req.query).get("key"), "value");
    assert.deepEqual(req.body, Buffer.from(DATA));
    assert.equal(req.headers["user-agent"], USER_AGENT);
    assert.equal(req.headers["content-encoding"], undefined);
  });

  test("TestErrorHandling: one endpoint's 400 fails the call with Alloy's message; no retry", async () => {
    const fake = await startFakePyroscope({
      respond: (r) =>
        r.headers["x-server-id"] === "1" ? { status: 400, body: "I don't like your profile" } : undefined,
    });
    after(() => fake.close());
    const w = await startWrite(
      writeArgs({
        endpoint: [0, 1, 2].map((i) =>
          endpointArgs({ url: fake.url, ...FAST, headers: { "X-Server-ID": `${i}` } }),
        ),
      }),
    );
    after(() => w.stop());
    const outcome = await w.receiver.ingest(profile({ __name__: "test.profile" }));
    assert.deepEqual(outcome, {
      ok: false,
      code: Code.InvalidArgument,
      httpStatus: 400,
      message: "I don't like your profile",
    });
    assert.equal(fake.ingests.length, 3);
    const log = w.logs.join("");
    assert.match(
      log,
      /failed to ingest to endpoint http:\/\/127\.0\.0\.1:\d+ \(0 retries\): remote error: pyroscope write error: status=400 msg=I don't like your profile/,
    );
  });

  test("TestRetryLogic: 503 then 200 succeeds after exactly 2 requests", async () => {
    const { fake, w } = await startWriteToFake(
      { after },
      {
        respond: (r) =>
          r.index === 0 ? { status: 503, body: "service temporarily unavailable" } : undefined,
      },
      FAST,
    );
    assert.deepEqual(await w.receiver.ingest(profile({ __name__: "test.profile", service: "x" })), {
      ok: true,
    });
    assert.equal(fake.ingests.length, 2);
  });

  test("TestRetryExhaustion: always 503 → 3 requests, Alloy's message, status relayed as failed", async () => {
    const { fake, w } = await startWriteToFake(
      { after },
      {
        respond: () => ({ status: 503, body: "service always unavailable" }),
      },
      FAST,
    );
    const outcome = await w.receiver.ingest(profile({ __name__: "test.profile" }));
    assert.deepEqual(outcome, {
      ok: false,
      code: Code.Unavailable,
      httpStatus: 503,
      message: `failed to ingest to endpoint ${fake.url} (3 retries): remote error: pyroscope write error: status=503 msg=service always unavailable`,
      retryAfterMs: undefined,
    });
    assert.equal(fake.ingests.length, 3);
    assert.equal(await w.metric("pyroscope_write_dropped_bytes_total", { endpoint: fake.url }), DATA.length);
    assert.equal(await w.metric("pyroscope_write_dropped_profiles_total", { endpoint: fake.url }), 1);
    assert.equal(await w.metric("pyroscope_write_retries_total", { endpoint: fake.url }), 2);
  });

  test("TestLabelTransformation: __name__ follows service_name", async () => {
    const { fake, w } = await startWriteToFake({ after });
    await w.receiver.ingest(profile({ __name__: "original-name", service_name: "my-service-grafana" }));
    const [req] = fake.ingests;
    assert.deepEqual(nameOf(req!), { __name__: "my-service-grafana", service_name: "my-service-grafana" });
  });

  test("TestInvalidLabels: validation messages, nothing sent", async () => {
    const { fake, w } = await startWriteToFake({ after });
    assert.deepEqual(
      await w.receiver.ingest(profile({ service_name: "test-service", valid_label: "value", __name__: "n" })),
      { ok: true },
    );
    const bad: [Record<string, string>, RegExp][] = [
      [{ service_name: "test-service", "invalid-label": "value" }, /invalid label name/],
      [{ service_name: "test-service", valid_label: "\uDCFF" }, /invalid label value/],
      [{}, /^invalid labels in profile: service name is required$/],
    ];
    for (const [labels, re] of bad) {
      const outcome = await w.receiver.ingest(profile(labels));
      assert.equal(outcome.ok, false);
      assert.match(!outcome.ok ? outcome.message : "", re);
    }
    assert.equal(fake.ingests.length, 1);
    // Unlike the push path, the ingest path's total latency is observed even for invalid labels (as in Alloy).
    assert.equal(await w.metric("pyroscope_write_latency_count", { type: "ingest_total" }), 4);
  });

  test("TestRetryOnHTTP429Disabled / Enabled: 1 request vs 3", async () => {
    for (const [flag, requests] of [
      [false, 1],
      [true, 3],
    ] as const) {
      const fake = await startFakePyroscope({ respond: () => ({ status: 429, body: "slow down" }) });
      const w = await startWrite(
        writeArgs({ endpoint: [endpointArgs({ url: fake.url, ...FAST, retry_on_http_429: flag })] }),
      );
      const outcome = await w.receiver.ingest(profile({ __name__: "x" }));
      await w.stop();
      await fake.close();
      assert.equal(outcome.ok, false);
      assert.match(!outcome.ok ? outcome.message : "", /status=429/);
      assert.equal(!outcome.ok ? outcome.httpStatus : 0, 429);
      assert.equal(fake.ingests.length, requests);
    }
  });
});

describe("pyroscope.write ingest path: request details", () => {
  test("the URL: endpoint path joined with /ingest, endpoint query replaced, query re-encoded as Alloy does", async () => {
    const fake = await startFakePyroscope();
    after(() => fake.close());
    const w = await startWrite(
      writeArgs({
        external_labels: { cluster: "c1" },
        endpoint: [endpointArgs({ url: `${fake.url}/pyroscope/?token=drop-me` })],
      }),
    );
    after(() => w.stop());
    const outcome = await w.receiver.ingest(
      profile(
        { __name__: "test.app", env: "prod", service_name: "test.app" },
        {
          contentType: ["multipart/form-data; boundary=X"],
          query: IngestQuery.parse("name=test.app%7Benv%3Dprod%7D&until=2&from=1&format=jfr"),
        },
      ),
    );
    assert.deepEqual(outcome, { ok: true });
    const [req] = fake.ingests;
    assert.equal(req?.path, "/pyroscope/ingest");
    assert.equal(
      req?.query,
      "format=jfr&from=1&name=test.app%7Bcluster%3Dc1%2Cenv%3Dprod%2Cservice_name%3Dtest.app%7D&until=2",
    );
    assert.deepEqual(headerValues(req!, "content-type"), ["multipart/form-data; boundary=X"]);
  });

  test("Content-Type: a configured one survives only when the client sent none", async () => {
    const fake = await startFakePyroscope();
    after(() => fake.close());
    const w = await startWrite(
      writeArgs({
        endpoint: [endpointArgs({ url: fake.url, headers: { "Content-Type": "configured/type" } })],
      }),
    );
    after(() => w.stop());
    await w.receiver.ingest(profile({ __name__: "x" }, { contentType: [] }));
    await w.receiver.ingest(profile({ __name__: "x" }, { contentType: ["binary/octet-stream"] }));
    assert.deepEqual(headerValues(fake.ingests[0]!, "content-type"), ["configured/type"]);
    assert.deepEqual(headerValues(fake.ingests[1]!, "content-type"), ["binary/octet-stream"]);
  });

  test("success means exactly 200: a 202 is a permanent failure with that status", async () => {
    const { fake, w } = await startWriteToFake(
      { after },
      { respond: () => ({ status: 202, body: "accepted?" }) },
      FAST,
    );
    assert.deepEqual(await w.receiver.ingest(profile({ __name__: "x" })), {
      ok: false,
      code: Code.InvalidArgument,
      httpStatus: 202,
      message: "accepted?",
    });
    assert.equal(fake.ingests.length, 1);
  });

  test("only the first 2 KiB of an error body are kept", async () => {
    const { w } = await startWriteToFake(
      { after },
      { respond: () => ({ status: 400, body: "x".repeat(10_000) }) },
    );
    const outcome = await w.receiver.ingest(profile({ __name__: "x" }));
    assert.equal(!outcome.ok ? outcome.message : "", "x".repeat(2048));
  });

  test("a configured User-Agent wins on ingest (Alloy sends Go's default otherwise)", async () => {
    const fake = await startFakePyroscope();
    after(() => fake.close());
    const w = await startWrite(
      writeArgs({ endpoint: [endpointArgs({ url: fake.url, headers: { "User-Agent": "custom/1" } })] }),
    );
    after(() => w.stop());
    await w.receiver.ingest(profile({ __name__: "x" }));
    assert.equal(fake.ingests[0]?.headers["user-agent"], "custom/1");
  });

  test("the tenant header from forward_headers is sent; the endpoint's own wins", async () => {
    const fake = await startFakePyroscope();
    after(() => fake.close());
    const w = await startWrite(
      writeArgs({
        endpoint: [
          endpointArgs({ url: fake.url, name: "a" }),
          endpointArgs({ url: fake.url, name: "b", headers: { "X-Scope-OrgID": "fixed" } }),
        ],
      }),
    );
    after(() => w.stop());
    await w.receiver.ingest(profile({ __name__: "x" }, { headers: { "x-scope-orgid": "tenant-7" } }));
    const tenants = fake.ingests.map((r) => headerValues(r, "x-scope-orgid")).sort();
    assert.deepEqual(tenants, [["fixed"], ["tenant-7"]]);
  });

  test("__ labels are not filtered on this path; external labels with empty values delete", async () => {
    const fake = await startFakePyroscope();
    after(() => fake.close());
    const w = await startWrite(
      writeArgs({ external_labels: { region: "" }, endpoint: [endpointArgs({ url: fake.url })] }),
    );
    after(() => w.stop());
    await w.receiver.ingest(profile({ __name__: "app", __tmp_hash: "1", region: "eu" }));
    assert.equal(new URLSearchParams(fake.ingests[0]!.query).get("name"), "app{__tmp_hash=1}");
  });

  test("a hanging server times out per attempt; the error is Go's", async () => {
    const { fake, w } = await startWriteToFake(
      { after },
      { respond: () => ({ hang: true }) },
      { ...FAST, remote_timeout: 50, max_backoff_retries: 2 },
    );
    const outcome = await w.receiver.ingest(profile({ __name__: "x" }, { query: IngestQuery.parse("") }));
    assert.equal(outcome.ok, false);
    assert.equal(
      !outcome.ok ? outcome.message : "",
      `failed to ingest to endpoint ${fake.url} (2 retries): do request: Post "${fake.url}/ingest?name=x%7B%7D": context deadline exceeded`,
    );
    assert.equal(fake.ingests.length, 2);
  });

  test("a connection reset is retried", async () => {
    const { fake, w } = await startWriteToFake(
      { after },
      { respond: (r) => (r.index === 0 ? { reset: true } : undefined) },
      FAST,
    );
    assert.deepEqual(await w.receiver.ingest(profile({ __name__: "x" })), { ok: true });
    assert.equal(fake.ingests.length, 2);
  });

  test("Retry-After on a 503 is reported and honoured", async () => {
    const { w } = await startWriteToFake(
      { after },
      { respond: () => ({ status: 503, retryAfter: 0, body: "busy" }) },
      { ...FAST, max_backoff_retries: 2 },
    );
    const outcome = await w.receiver.ingest(profile({ __name__: "x" }));
    assert.equal(!outcome.ok ? outcome.retryAfterMs : -1, 0);
  });

  test("3xx: relayed when follow_redirects=false, followed (307 keeps the body) otherwise", async () => {
    const target = await startFakePyroscope();
    const redirecting = await startFakePyroscope({
      respond: () => ({ status: 307, headers: { location: `${target.url}/ingest?moved=1` } }),
    });
    after(() => Promise.all([target.close(), redirecting.close()]));
    const noFollow = await startWrite(
      writeArgs({ endpoint: [endpointArgs({ url: redirecting.url, follow_redirects: false })] }),
    );
    after(() => noFollow.stop());
    const relayed = await noFollow.receiver.ingest(profile({ __name__: "x" }));
    assert.equal(relayed.ok, false);
    assert.equal(!relayed.ok ? relayed.httpStatus : 0, 307);

    const follow = await startWrite(writeArgs({ endpoint: [endpointArgs({ url: redirecting.url })] }));
    after(() => follow.stop());
    assert.deepEqual(await follow.receiver.ingest(profile({ __name__: "x" })), { ok: true });
    const [moved] = target.ingests;
    assert.equal(moved?.method, "POST");
    assert.equal(moved?.query, "moved=1");
    assert.deepEqual(moved?.body, Buffer.from(DATA));
  });

  test("real SDK bodies pass through byte for byte (Node SDK captures, JFR)", async () => {
    const { fake, w } = await startWriteToFake({ after });
    const bodies = [
      { file: "node-sdk/sdk-0.6.4-wall.pb.gz", ct: [] as string[] },
      { file: "node-sdk/sdk-0.6.1-heap.multipart.body", ct: ["multipart/form-data; boundary=abc"] },
      { file: "jfr/recording.jfr.gz", ct: ["application/octet-stream"] },
    ];
    for (const b of bodies) {
      const body = readFixture(b.file);
      assert.deepEqual(
        await w.receiver.ingest(
          profile(
            { __name__: "svc.cpu" },
            { body, contentType: b.ct, query: IngestQuery.parse("format=pprof") },
          ),
        ),
        { ok: true },
      );
    }
    assert.deepEqual(
      fake.ingests.map((r) => r.body),
      bodies.map((b) => readFixture(b.file)),
    );
    assert.equal(
      await w.metric("pyroscope_write_sent_bytes_total", { endpoint: fake.url }),
      bodies.reduce((n, b) => n + readFixture(b.file).length, 0),
    );
    assert.equal(await w.metric("pyroscope_write_sent_profiles_total", { endpoint: fake.url }), 3);
  });
});
