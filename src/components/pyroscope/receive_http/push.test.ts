import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createTransport as createGrpcProtocolTransport } from "@connectrpc/connect/protocol-grpc";
import {
  compressionGzip,
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
  createNodeHttpClient,
} from "@connectrpc/connect-node";
import { PusherService, PushRequestSchema } from "../../../pyroscope/gen/push/v1/push_pb.ts";
import { formatPrometheusLabels } from "../../../pyroscope/label-rules.ts";
import { codeForHttpStatus } from "../../../pyroscope/receiver.ts";
import {
  failed,
  fixturePath,
  RecordingReceiver,
  type Running,
  rawRequest,
  rejected,
  start,
  testArgs,
} from "./testkit.ts";

type Mode = "connect" | "connect-json" | "grpc" | "grpc-web";

function transport(url: string, mode: Mode, httpVersion: "1.1" | "2" = "1.1", gzip = false): Transport {
  const common = {
    baseUrl: url,
    ...(gzip ? { sendCompression: compressionGzip, compressMinBytes: 0 } : {}),
  };
  const h = httpVersion === "2" ? ({ httpVersion: "2" } as const) : ({ httpVersion: "1.1" } as const);
  switch (mode) {
    case "connect":
      return createConnectTransport({ ...common, ...h, useBinaryFormat: true });
    case "connect-json":
      return createConnectTransport({ ...common, ...h, useBinaryFormat: false });
    case "grpc":
      if (httpVersion === "2") return createGrpcTransport({ ...common, ...h });
      // connect-node's gRPC transport always uses HTTP/2; Alloy's test also runs gRPC over HTTP/1.1
      return createGrpcProtocolTransport({
        httpClient: createNodeHttpClient({ httpVersion: "1.1" }),
        baseUrl: url,
        useBinaryFormat: true,
        interceptors: [],
        acceptCompression: [compressionGzip],
        compressMinBytes: gzip ? 0 : 1024,
        sendCompression: gzip ? compressionGzip : null,
        readMaxBytes: 0xffffffff,
        writeMaxBytes: 0xffffffff,
      });
    case "grpc-web":
      return createGrpcWebTransport({ ...common, ...h });
  }
}

/** Series `app-<i>` with `samples` samples of `size` bytes, IDs `request-id-<i>-<j>` (Alloy's test data). */
function series(count: number, samples: number, size = 1024) {
  return Array.from({ length: count }, (_, i) => ({
    labels: [{ name: "app", value: `app-${i}` }],
    samples: Array.from({ length: samples }, (_, j) => ({
      ID: `request-id-${i}-${j}`,
      rawProfile: new Uint8Array(size).fill(j % 2 === 0 ? 0xde : 0xad),
    })),
  }));
}

function seriesOf(r: RecordingReceiver): string[] {
  return r.pushes.map((p) => formatPrometheusLabels(p.labels));
}

describe("TestForwardsProfilesPushV1 (spec §5 cases 11-18)", () => {
  const cases: {
    n: string;
    what: string;
    mode: Mode;
    count: number;
    samples: number;
    answers: (string | null)[];
  }[] = [
    { n: "11", what: "Connect + protobuf", mode: "connect", count: 1, samples: 0, answers: [null] },
    { n: "12", what: "Connect + JSON", mode: "connect-json", count: 1, samples: 0, answers: [null] },
    { n: "13", what: "gRPC over HTTP/1.1", mode: "grpc", count: 1, samples: 0, answers: [null] },
    { n: "14", what: "gRPC-Web", mode: "grpc-web", count: 1, samples: 0, answers: [null] },
    { n: "15", what: "two series, in order", mode: "connect", count: 2, samples: 0, answers: [null] },
    { n: "16", what: "two samples of 1024 bytes", mode: "connect", count: 1, samples: 2, answers: [null] },
    {
      n: "17",
      what: "two receivers get identical data",
      mode: "connect",
      count: 1,
      samples: 2,
      answers: [null, null],
    },
    {
      n: "18",
      what: "the second receiver fails with `wtf`",
      mode: "connect",
      count: 1,
      samples: 2,
      answers: [null, "wtf"],
    },
  ];
  for (const c of cases) {
    test(`${c.n}: ${c.what}`, async () => {
      const receivers = c.answers.map((a) => new RecordingReceiver(a === null ? undefined : failed(a)));
      const running = await start(testArgs(receivers));
      try {
        const client = createClient(PusherService, transport(running.url, c.mode));
        const call = client.push({ series: series(c.count, c.samples) });
        const failing = c.answers.some((a) => a !== null);
        if (failing) {
          await assert.rejects(call, (err: unknown) => {
            const e = ConnectError.from(err);
            assert.equal(e.code, Code.Internal);
            assert.equal(e.rawMessage, 'unable to append series {app="app-0"} to appendable 1: wtf');
            return true;
          });
        } else {
          await call;
        }
      } finally {
        await running.stop();
      }
      const expectedSeries = Array.from({ length: c.count }, (_, i) => `{app="app-${i}"}`);
      for (const r of receivers) {
        assert.deepEqual(seriesOf(r), expectedSeries);
        assert.equal(
          r.pushes.reduce((n, p) => n + p.samples.length, 0),
          c.count * c.samples,
        );
        r.pushes.forEach((p, i) => {
          p.samples.forEach((s, j) => {
            assert.equal(s.rawProfile.length, 1024);
            assert.equal(s.id, `request-id-${i}-${j}`);
          });
        });
      }
    });
  }
});

describe("push: protocols, compression and labels", () => {
  let running: Running;
  let h2c: Running;
  const receiver = new RecordingReceiver();
  before(async () => {
    running = await start(testArgs([receiver]));
    h2c = await start(
      testArgs([receiver], { http: { http2: { ...testArgs([]).http.http2, enabled: true } } }),
    );
  });
  after(async () => {
    await running.stop();
    await h2c.stop();
  });

  for (const mode of ["connect", "connect-json", "grpc", "grpc-web"] as const) {
    test(`${mode} with a gzip request body`, async () => {
      const client = createClient(PusherService, transport(running.url, mode, "1.1", true));
      await client.push({ series: series(1, 1, 5000) });
      assert.equal(receiver.pushes.at(-1)!.samples[0]!.rawProfile.length, 5000);
    });
    test(`${mode} over h2c (http2 { enabled = true })`, async () => {
      const client = createClient(PusherService, transport(h2c.url, mode, "2"));
      await client.push({ series: series(2, 1) });
      assert.deepEqual(seriesOf(receiver).slice(-2), ['{app="app-0"}', '{app="app-1"}']);
    });
  }

  test("HTTP/1.1 still works next to h2c", async () => {
    const client = createClient(PusherService, transport(h2c.url, "connect", "1.1"));
    await client.push({ series: series(1, 1) });
  });

  test("labels: last duplicate wins, empty values are dropped, the service_name rule applies", async () => {
    const client = createClient(PusherService, transport(running.url, "connect"));
    await client.push({
      series: [
        {
          labels: [
            { name: "__name__", value: "process_cpu" },
            { name: "service_name", value: "svc" },
            { name: "env", value: "a" },
            { name: "env", value: "b" },
            { name: "empty", value: "" },
            { name: "app_name", value: "client-sent" },
          ],
          samples: [],
        },
        { labels: [{ name: "__name__", value: "memory" }], samples: [] },
      ],
    });
    const [first, second] = receiver.pushes.slice(-2);
    assert.deepEqual(first!.labels.toRecord(), {
      __name__: "process_cpu",
      app_name: "process_cpu",
      env: "b",
      service_name: "svc",
    });
    assert.deepEqual(second!.labels.toRecord(), { __name__: "memory", service_name: "memory" });
  });

  const read = (p: string) => readFileSync(fixturePath(p));
  const fixtures: { file: string; headers: [string, string][]; series: number }[] = [
    { file: "push/push-go-cpu.pb", headers: [["Content-Type", "application/proto"]], series: 1 },
    {
      file: "push/push-go-cpu.pb.gz",
      headers: [
        ["Content-Type", "application/proto"],
        ["Content-Encoding", "gzip"],
      ],
      series: 1,
    },
    { file: "push/push-go-cpu.json", headers: [["Content-Type", "application/json"]], series: 1 },
    {
      file: "push/push-go-cpu-uncompressed-pprof.pb",
      headers: [["Content-Type", "application/proto"]],
      series: 1,
    },
    { file: "push/push-multi-series.pb", headers: [["Content-Type", "application/proto"]], series: 3 },
    {
      file: "push/push-multi-series.pb.gz",
      headers: [
        ["Content-Type", "application/proto"],
        ["Content-Encoding", "gzip"],
      ],
      series: 3,
    },
    { file: "push/push-missing-name.pb", headers: [["Content-Type", "application/proto"]], series: 1 },
  ];
  for (const f of fixtures) {
    test(`fixture ${f.file} as pyroscope-rs and Alloy send it`, async () => {
      const before = receiver.pushes.length;
      const res = await rawRequest(`${running.url}/push.v1.PusherService/Push`, {
        headers: f.headers,
        body: read(f.file),
      });
      assert.equal(res.status, 200, res.body.toString());
      assert.equal(receiver.pushes.length - before, f.series);
    });
  }

  test("fixture push-go-cpu: the raw profile and ID arrive untouched", async () => {
    await rawRequest(`${running.url}/push.v1.PusherService/Push`, {
      headers: [["Content-Type", "application/proto"]],
      body: read("push/push-go-cpu.pb"),
    });
    const got = receiver.pushes.at(-1)!;
    assert.ok(Buffer.from(got.samples[0]!.rawProfile).equals(read("pprof/go-cpu.pb.gz")));
    assert.equal(got.samples[0]!.id, "734fd599-6865-419e-9475-932762d8f469");
    assert.deepEqual(got.labels.toRecord(), {
      __name__: "process_cpu",
      app_name: "process_cpu",
      env: "test",
      service_name: "fixture-go-app",
    });
  });

  test("forward_headers reach receivers on the push path too", async () => {
    const r = new RecordingReceiver();
    const s = await start(testArgs([r], { forward_headers: ["X-Scope-OrgID"] }));
    try {
      const client = createClient(PusherService, transport(s.url, "connect"));
      await client.push({ series: series(1, 0) }, { headers: { "X-Scope-OrgID": "tenant-b" } });
    } finally {
      await s.stop();
    }
    assert.deepEqual(r.pushes[0]!.headers, { "x-scope-orgid": "tenant-b" });
  });
});

describe("push: bad input gets a clear answer", () => {
  let running: Running;
  const receiver = new RecordingReceiver();
  before(async () => {
    running = await start(
      testArgs([receiver], { max_request_body_size: 64 * 1024, max_inflight_body_size: 64 * 1024 }),
    );
  });
  after(() => running.stop());
  const url = () => `${running.url}/push.v1.PusherService/Push`;

  async function goodRequestStillWorks(): Promise<void> {
    const client = createClient(PusherService, transport(running.url, "connect"));
    await client.push({ series: series(1, 1) });
  }

  test("malformed protobuf → 400 invalid_argument", async () => {
    const [res] = await Promise.all([
      rawRequest(url(), {
        headers: [["Content-Type", "application/proto"]],
        body: Buffer.from([0x0a, 0xff, 0xff]),
      }),
      goodRequestStillWorks(),
    ]);
    assert.equal(res.status, 400);
    assert.equal(res.headers["content-type"], "application/json");
    assert.equal((JSON.parse(res.body.toString()) as { code: string }).code, "invalid_argument");
  });

  test("malformed JSON → 400 invalid_argument", async () => {
    const [res] = await Promise.all([
      rawRequest(url(), { headers: [["Content-Type", "application/json"]], body: "{not json" }),
      goodRequestStillWorks(),
    ]);
    assert.equal(res.status, 400);
    assert.equal((JSON.parse(res.body.toString()) as { code: string }).code, "invalid_argument");
  });

  test("corrupt gzip → 400 invalid_argument", async () => {
    const res = await rawRequest(url(), {
      headers: [
        ["Content-Type", "application/proto"],
        ["Content-Encoding", "gzip"],
      ],
      body: Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02, 0x03]),
    });
    assert.equal(res.status, 400);
    assert.equal((JSON.parse(res.body.toString()) as { code: string }).code, "invalid_argument");
  });

  test("malformed protobuf over gRPC and gRPC-Web → invalid_argument (status 3)", async () => {
    const envelope = Buffer.from([0x00, 0, 0, 0, 3, 0x0a, 0xff, 0xff]);
    const grpc = await rawRequest(url(), {
      headers: [
        ["Content-Type", "application/grpc"],
        ["TE", "trailers"],
      ],
      body: envelope,
    });
    assert.equal(grpc.status, 200);
    assert.equal(grpc.trailers["grpc-status"] ?? grpc.headers["grpc-status"], "3");
    const web = await rawRequest(url(), {
      headers: [["Content-Type", "application/grpc-web+proto"]],
      body: envelope,
    });
    assert.equal(web.status, 200);
    const trailer = web.body.subarray(web.body.indexOf(0x80) + 5).toString();
    assert.match(trailer, /grpc-status: 3\r\n/);
    assert.match(trailer, /grpc-message: parse%20binary/);
  });

  test("unsupported content type → 415 with Accept-Post", async () => {
    const [res] = await Promise.all([
      rawRequest(url(), { headers: [["Content-Type", "text/plain"]], body: "x" }),
      goodRequestStillWorks(),
    ]);
    assert.equal(res.status, 415);
    assert.match(String(res.headers["accept-post"]), /application\/proto/);
    assert.match(String(res.headers["accept-post"]), /application\/grpc-web\+proto/);
  });

  test("unknown request compression → 501 unimplemented", async () => {
    const res = await rawRequest(url(), {
      headers: [
        ["Content-Type", "application/proto"],
        ["Content-Encoding", "br"],
      ],
      body: "x",
    });
    assert.equal(res.status, 501);
  });

  test("GET → 405 with an empty body; another path under the service → 404", async () => {
    const get = await rawRequest(url(), { method: "GET" });
    assert.equal(get.status, 405);
    assert.equal(get.body.length, 0);
    const other = await rawRequest(`${running.url}/push.v1.PusherService/Other`, {
      headers: [["Content-Type", "application/proto"]],
      body: "",
    });
    assert.equal(other.status, 404);
    assert.equal(other.body.toString(), "404 page not found\n");
  });

  test("a body over max_request_body_size → resource_exhausted naming the limit", async () => {
    const body = toBinary(PushRequestSchema, create(PushRequestSchema, { series: series(1, 1, 100 * 1024) }));
    const [res] = await Promise.all([
      rawRequest(url(), { headers: [["Content-Type", "application/proto"]], body }),
      goodRequestStillWorks(),
    ]);
    assert.equal(res.status, 429);
    const err = JSON.parse(res.body.toString()) as { code: string; message: string };
    assert.equal(err.code, "resource_exhausted");
    assert.match(err.message, /limit is 65536 bytes \(max_request_body_size\)/);
  });

  test("a gzip body that inflates past the limit is refused the same way", async () => {
    const body = toBinary(
      PushRequestSchema,
      create(PushRequestSchema, { series: series(1, 1, 1024 * 1024) }),
    );
    const bomb = gzipSync(body);
    assert.ok(bomb.length < 64 * 1024);
    const res = await rawRequest(url(), {
      headers: [
        ["Content-Type", "application/proto"],
        ["Content-Encoding", "gzip"],
      ],
      body: bomb,
    });
    assert.equal(res.status, 429);
    assert.equal((JSON.parse(res.body.toString()) as { code: string }).code, "resource_exhausted");
  });
});

describe("push: the downstream's meaning is kept (Connect codes)", () => {
  test("table: downstream status → code", () => {
    const table: [number, Code][] = [
      [400, Code.InvalidArgument],
      [401, Code.Unauthenticated],
      [403, Code.PermissionDenied],
      [404, Code.NotFound],
      [413, Code.InvalidArgument],
      [422, Code.InvalidArgument],
      [429, Code.ResourceExhausted],
      [500, Code.Internal],
      [502, Code.Unavailable],
      [503, Code.Unavailable],
      [504, Code.DeadlineExceeded],
      [408, Code.DeadlineExceeded],
    ];
    for (const [status, code] of table) {
      assert.equal(codeForHttpStatus(status), code, String(status));
      const { code: fromFailure } = rejected("x", status) as { code: Code };
      assert.equal(fromFailure, code);
    }
  });

  test("a downstream 400 is invalid_argument (HTTP 400), not internal", async () => {
    const running = await start(testArgs([new RecordingReceiver(rejected("invalid labels", 400))]));
    try {
      const res = await rawRequest(`${running.url}/push.v1.PusherService/Push`, {
        headers: [["Content-Type", "application/proto"]],
        body: toBinary(PushRequestSchema, create(PushRequestSchema, { series: series(1, 0) })),
      });
      assert.equal(res.status, 400);
      const err = JSON.parse(res.body.toString()) as { code: string; message: string };
      assert.equal(err.code, "invalid_argument");
      assert.equal(err.message, 'unable to append series {app="app-0"} to appendable 0: invalid labels');
    } finally {
      await running.stop();
    }
  });

  test("a retryable failure with a delay → unavailable with Retry-After", async () => {
    const running = await start(testArgs([new RecordingReceiver(failed("busy", 503, 1500))]));
    try {
      const res = await rawRequest(`${running.url}/push.v1.PusherService/Push`, {
        headers: [["Content-Type", "application/proto"]],
        body: toBinary(PushRequestSchema, create(PushRequestSchema, { series: series(1, 0) })),
      });
      assert.equal(res.status, 503);
      assert.equal(res.headers["retry-after"], "2");
      assert.equal((JSON.parse(res.body.toString()) as { code: string }).code, "unavailable");
    } finally {
      await running.stop();
    }
  });
});
