/**
 * OTLP profiles in: each route end to end (`pyroscope.receive_http` → `pyroscope.write` → the fake Pyroscope,
 * decoding the pprof that arrives), gzip and JSON, gRPC over h2c and TLS, the answers (partial success, downstream
 * statuses), bad inputs (not protobuf, wrong content type, an index out of range, gzip bombs) and the metrics.
 */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { create, fromBinary, fromJsonString, toBinary, toJsonString } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { compressionGzip, createGrpcTransport } from "@connectrpc/connect-node";
import { testCertificates } from "../../../../test/support/certs.ts";
import { type FakePyroscope, startFakePyroscope } from "../../../../test/support/fake-pyroscope.ts";
import {
  type ExportProfilesServiceRequest,
  ExportProfilesServiceRequestSchema,
  ExportProfilesServiceResponseSchema,
  ProfilesService,
} from "../../../pyroscope/gen/opentelemetry/proto/collector/profiles/v1development/profiles_service_pb.ts";
import { OtlpBuilder, viewPprof } from "../../../pyroscope/otlp/testkit.ts";
import { OK, type PushRequest } from "../../../pyroscope/receiver.ts";
import { Secret } from "../../../syntax/value.ts";
import { assemble, listCaptures, loadCapture } from "../capture/catalog.ts";
import { startCapture } from "../capture/test-harness.ts";
import { endpointArgs, type RunningWrite, startWrite, writeArgs } from "../write/test-harness.ts";
import {
  failed,
  RecordingReceiver,
  type Running,
  rawRequest,
  rejected,
  sample,
  start,
  testArgs,
} from "./testkit.ts";

const HTTP_PATH = "/v1development/profiles";
const GRPC_PATH = "/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * A CPU export for `services` (one resource each, one profile of two samples), plus `bad` profiles whose stack
 * index is out of range.
 */
function cpuExport(services: readonly string[], bad = 0): ExportProfilesServiceRequest {
  const b = new OtlpBuilder();
  const m = b.mapping("app", 0x1000n, 0x2000n);
  const main = b.function("main", "main.go");
  const work = b.function("work", "work.go");
  const lMain = b.location(m, 0x1100n, [[main, 1]]);
  const lWork = b.location(m, 0x1200n, [[work, 2]]);
  const stack = b.stack([lWork, lMain]);
  const profile = (good: boolean) =>
    b.profile({
      type: ["samples", "count"],
      periodType: ["cpu", "nanoseconds"],
      period: 10_000_000n,
      timeUnixNano: 1_700_000_000_000_000_000n,
      samples: [
        { stackIndex: good ? stack : 999, values: [2n], attributeIndices: [b.attr("thread.name", "t1")] },
        { stackIndex: good ? b.stack([lMain]) : 999, values: [1n] },
      ],
    });
  return b.request(
    services.map((service, i) => ({
      attributes: { "service.name": service, "host.name": "node-1", "process.pid": 100 + i },
      scopes: [
        { profiles: [profile(true), ...Array.from({ length: i === 0 ? bad : 0 }, () => profile(false))] },
      ],
    })),
  );
}

function post(
  url: string,
  body: Uint8Array | string,
  headers: Record<string, string> = { "content-type": "application/x-protobuf" },
): Promise<Response> {
  return fetch(`${url}${HTTP_PATH}`, { method: "POST", headers, body });
}

function h2c(
  receivers: RecordingReceiver[] | Parameters<typeof testArgs>[0],
  changes: Parameters<typeof testArgs>[1] = {},
) {
  const args = testArgs(receivers, changes);
  return start({ ...args, http: { ...args.http, http2: { ...args.http.http2, enabled: true } } });
}

describe("OTLP end to end: receive_http → write → Pyroscope", () => {
  let fake: FakePyroscope;
  let write: RunningWrite;
  let relay: Running;
  before(async () => {
    fake = await startFakePyroscope();
    write = await startWrite(
      writeArgs({ external_labels: { cluster: "c1" }, endpoint: [endpointArgs({ url: fake.url })] }),
    );
    relay = await h2c([write.receiver], { forward_headers: ["X-Scope-OrgID"] });
  });
  after(async () => {
    await relay.stop();
    await write.stop();
    await fake.close();
  });

  /** Labels, ID and decoded pprof of the pushes that arrived since `from`. */
  function arrived(from: number) {
    return fake.pushes.slice(from).map((r) => {
      const series = r.push!.series[0]!;
      return {
        labels: series.labels.map((l) => `${l.name}=${l.value}`),
        id: series.samples[0]!.ID,
        pprof: viewPprof(series.samples[0]!.rawProfile),
        tenant: r.headers["x-scope-orgid"],
      };
    });
  }

  function assertCpu(got: ReturnType<typeof arrived>[number], service: string, pid: number): void {
    // write drops the reserved __otel__, keeps __delta__ and __name__, adds external labels
    assert.deepEqual(got.labels, [
      "__delta__=false",
      "__name__=process_cpu",
      "cluster=c1",
      "host.name=node-1",
      `process.pid=${pid}`,
      `service.name=${service}`,
      `service_name=${service}`,
    ]);
    assert.match(got.id, UUID);
    assert.deepEqual(got.pprof.sampleTypes, ["cpu/nanoseconds"]);
    assert.deepEqual(
      got.pprof.samples.map((s) => [s.stack, s.values, s.labels]),
      [
        [["work work.go:2", "main main.go:1"], [20_000_000n], ["thread.name=t1"]],
        [["main main.go:1"], [10_000_000n], []],
      ],
    );
    assert.equal(got.pprof.timeNanos, 1_700_000_000_000_000_000n);
  }

  test("OTLP/HTTP protobuf: one push per profile, the pprof decodes, 200 with an empty response", async () => {
    const from = fake.pushes.length;
    const res = await post(
      relay.url,
      toBinary(ExportProfilesServiceRequestSchema, cpuExport(["api", "db"])),
      {
        "content-type": "application/x-protobuf",
        "x-scope-orgid": "tenant-a",
      },
    );
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/x-protobuf");
    assert.equal((await res.arrayBuffer()).byteLength, 0);
    const got = arrived(from);
    assert.equal(got.length, 2);
    assertCpu(got[0]!, "api", 100);
    assertCpu(got[1]!, "db", 101);
    assert.equal(got[0]!.tenant, "tenant-a");
    assert.notEqual(got[0]!.id, got[1]!.id);
  });

  test("OTLP/HTTP gzip and application/protobuf", async () => {
    const from = fake.pushes.length;
    const body = gzipSync(toBinary(ExportProfilesServiceRequestSchema, cpuExport(["gz"])));
    const res = await post(relay.url, body, {
      "content-type": "application/protobuf",
      "content-encoding": "gzip",
    });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    assertCpu(arrived(from)[0]!, "gz", 100);
  });

  test("OTLP/HTTP JSON (the protobuf JSON mapping), gzipped too: a JSON answer", async () => {
    for (const gzip of [false, true]) {
      const from = fake.pushes.length;
      const json = toJsonString(ExportProfilesServiceRequestSchema, cpuExport(["json"]));
      const res = await post(relay.url, gzip ? gzipSync(json) : json, {
        "content-type": "application/json",
        ...(gzip ? { "content-encoding": "gzip" } : {}),
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "application/json");
      assert.deepEqual(await res.json(), {});
      assertCpu(arrived(from)[0]!, "json", 100);
    }
  });

  test("OTLP/gRPC over h2c, plain and gzip", async () => {
    for (const gzip of [false, true]) {
      const from = fake.pushes.length;
      const client = createClient(
        ProfilesService,
        createGrpcTransport({
          baseUrl: relay.url,
          ...(gzip ? { sendCompression: compressionGzip, compressMinBytes: 0 } : {}),
        }),
      );
      const response = await client.export(cpuExport(["grpc"]), { headers: { "x-scope-orgid": "tenant-g" } });
      assert.equal(response.partialSuccess, undefined);
      const got = arrived(from);
      assertCpu(got[0]!, "grpc", 100);
      assert.equal(got[0]!.tenant, "tenant-g");
    }
  });

  test("partial success: the convertible profiles go through, the rest are counted and named", async () => {
    const from = fake.pushes.length;
    const res = await post(relay.url, toBinary(ExportProfilesServiceRequestSchema, cpuExport(["part"], 2)));
    assert.equal(res.status, 200);
    const response = fromBinary(ExportProfilesServiceResponseSchema, new Uint8Array(await res.arrayBuffer()));
    assert.equal(response.partialSuccess?.rejectedProfiles, 2n);
    assert.match(
      response.partialSuccess?.errorMessage ?? "",
      /resource_profiles\[0\]\.scope_profiles\[0\]\.profiles\[1\]: failed to convert otel profile: stack: index 999 out of bounds/,
    );
    assert.equal(arrived(from).length, 1);
    assert.equal(
      await sample(relay.registry, "pyroscope_receive_http_otlp_conversion_failures_total", {
        reason: "index_out_of_range",
      }),
      2,
    );
  });

  test("a downstream refusal keeps its meaning: 400 over HTTP, invalid_argument over gRPC", async () => {
    fake.setResponder((r) =>
      r.kind === "push" ? { connectCode: "invalid_argument", message: "bad profile" } : undefined,
    );
    try {
      const res = await post(relay.url, toBinary(ExportProfilesServiceRequestSchema, cpuExport(["refused"])));
      assert.equal(res.status, 400);
      assert.match(
        await res.text(),
        /unable to append series .*service_name="refused".* to appendable 0: .*bad profile/,
      );
      const client = createClient(ProfilesService, createGrpcTransport({ baseUrl: relay.url }));
      await assert.rejects(client.export(cpuExport(["refused"])), (err: unknown) => {
        assert.equal(ConnectError.from(err).code, Code.InvalidArgument);
        return true;
      });
    } finally {
      fake.setResponder(undefined);
    }
  });
});

describe("OTLP answers and bad inputs", () => {
  const receiver = new RecordingReceiver();
  let relay: Running;
  before(async () => {
    relay = await h2c([receiver], {
      max_request_body_size: 1024 * 1024,
      max_inflight_body_size: 4 * 1024 * 1024,
    });
  });
  after(() => relay.stop());

  const valid = () => toBinary(ExportProfilesServiceRequestSchema, cpuExport(["svc"]));

  test("not protobuf → 400, nothing forwarded", async () => {
    const before = receiver.pushes.length;
    const res = await post(relay.url, Buffer.from("this is not protobuf \xff\xff\xff\xff", "latin1"));
    assert.equal(res.status, 400);
    assert.match(await res.text(), /^Failed to parse protobuf request/);
    const json = await post(relay.url, "{not json", { "content-type": "application/json" });
    assert.equal(json.status, 400);
    assert.match(await json.text(), /^Failed to parse JSON request/);
    assert.equal(receiver.pushes.length, before);
  });

  test("wrong content type → 415; gRPC over HTTP/1.1 → 415 as in Pyroscope; unknown encoding → 415", async () => {
    for (const type of ["text/plain", "application/grpc", "application/proto", ""]) {
      const res = await rawRequest(`${relay.url}${HTTP_PATH}`, {
        headers: type === "" ? [] : [["Content-Type", type]],
        body: valid(),
      });
      assert.equal(res.status, 415, type);
      assert.equal(res.body.toString(), `Unsupported Content-Type: ${type}\n`);
    }
    const br = await post(relay.url, valid(), {
      "content-type": "application/x-protobuf",
      "content-encoding": "br",
    });
    assert.equal(br.status, 415);
    assert.equal(await br.text(), "Unsupported Content-Encoding: br\n");
  });

  test("the gRPC path also takes OTLP/HTTP bodies (as Pyroscope); other paths under the service → 404; GET → 405", async () => {
    const before = receiver.pushes.length;
    const res = await fetch(`${relay.url}${GRPC_PATH}`, {
      method: "POST",
      headers: { "content-type": "application/x-protobuf" },
      body: valid(),
    });
    assert.equal(res.status, 200);
    assert.equal(receiver.pushes.length, before + 1);
    const other = await fetch(`${relay.url}${GRPC_PATH}x`, { method: "POST", body: valid() });
    assert.equal(other.status, 404);
    assert.equal((await fetch(`${relay.url}${HTTP_PATH}`)).status, 405);
  });

  test("no dictionary, no resource profiles → 400 with Pyroscope's messages (InvalidArgument over gRPC)", async () => {
    const noDict = create(ExportProfilesServiceRequestSchema, { resourceProfiles: [{}] });
    const res = await post(relay.url, toBinary(ExportProfilesServiceRequestSchema, noDict));
    assert.equal(res.status, 400);
    assert.equal(await res.text(), "missing profile metadata dictionary\n");
    const empty = await post(relay.url, new Uint8Array(0));
    assert.equal(empty.status, 400);
    assert.equal(await empty.text(), "missing profile metadata dictionary\n");
    const client = createClient(ProfilesService, createGrpcTransport({ baseUrl: relay.url }));
    await assert.rejects(client.export({ dictionary: {} }), (err: unknown) => {
      const e = ConnectError.from(err);
      assert.equal(e.code, Code.InvalidArgument);
      assert.equal(e.rawMessage, "missing resource profiles");
      return true;
    });
  });

  test("a dictionary index out of range in every profile → 400 naming it; metrics count the reason", async () => {
    const b = new OtlpBuilder();
    const bad = b.profile({
      type: ["samples", "count"],
      samples: [{ stackIndex: 0, values: [1n], linkIndex: 7 }],
    });
    const res = await post(
      relay.url,
      toBinary(ExportProfilesServiceRequestSchema, b.request([{ scopes: [{ profiles: [bad] }] }])),
    );
    assert.equal(res.status, 400);
    assert.equal(
      await res.text(),
      "resource_profiles[0].scope_profiles[0].profiles[0]: failed to convert otel profile: link: index 7 out of bounds\n",
    );
    assert.ok(
      ((await sample(relay.registry, "pyroscope_receive_http_otlp_conversion_failures_total", {
        reason: "index_out_of_range",
      })) ?? 0) >= 1,
    );
    assert.ok(
      ((await sample(relay.registry, "pyroscope_receive_http_otlp_profiles_total", { result: "rejected" })) ??
        0) >= 1,
    );
  });

  test("gzip bombs: past max_request_body_size after decompression → 413; past the in-flight budget → 429", async () => {
    const before = receiver.pushes.length;
    // 2 MiB of zeros inflates past the 1 MiB limit from a ~2 KiB body
    const bomb = gzipSync(Buffer.alloc(2 * 1024 * 1024));
    assert.ok(bomb.length < 10_000);
    const res = await post(relay.url, bomb, {
      "content-type": "application/x-protobuf",
      "content-encoding": "gzip",
    });
    assert.equal(res.status, 413);
    assert.match(await res.text(), /uncompressed request body too large: the limit is 1048576 bytes/);
    const corrupt = await post(relay.url, Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5]), {
      "content-type": "application/x-protobuf",
      "content-encoding": "gzip",
    });
    assert.equal(corrupt.status, 400);
    await corrupt.text();
    assert.equal(receiver.pushes.length, before);

    // a body within the size limit whose inflated bytes exceed what the budget has left
    const tight = await start(
      testArgs([receiver], { max_request_body_size: 0, max_inflight_body_size: 64 * 1024 }),
    );
    try {
      const over = await post(tight.url, gzipSync(Buffer.alloc(512 * 1024)), {
        "content-type": "application/x-protobuf",
        "content-encoding": "gzip",
      });
      assert.equal(over.status, 429);
      assert.equal(over.headers.get("retry-after"), "1");
      await over.text();
    } finally {
      await tight.stop();
    }
  });

  test("gRPC: a gzip bomb → resource_exhausted; not protobuf → invalid_argument", async () => {
    const client = createClient(
      ProfilesService,
      createGrpcTransport({ baseUrl: relay.url, sendCompression: compressionGzip, compressMinBytes: 0 }),
    );
    const b = new OtlpBuilder();
    b.str("x".repeat(2 * 1024 * 1024));
    await assert.rejects(client.export(b.request([])), (err: unknown) => {
      assert.equal(ConnectError.from(err).code, Code.ResourceExhausted);
      return true;
    });
    const http2 = await import("node:http2");
    const session = http2.connect(relay.url);
    try {
      const status = await new Promise<string | undefined>((resolve, reject) => {
        const frame = Buffer.alloc(5 + 4);
        frame.writeUInt32BE(4, 1);
        frame.write("\xff\xff\xff\xff", 5, "latin1");
        const stream = session.request({
          ":method": "POST",
          ":path": GRPC_PATH,
          "content-type": "application/grpc",
          te: "trailers",
        });
        let seen: string | undefined;
        stream.on("response", (h) => {
          if (h["grpc-status"] !== undefined) seen = String(h["grpc-status"]);
        });
        stream.on("trailers", (t) => {
          seen = String(t["grpc-status"]);
        });
        stream.on("close", () => resolve(seen));
        stream.on("error", reject);
        stream.resume();
        stream.end(frame);
      });
      assert.equal(status, String(Code.InvalidArgument));
    } finally {
      session.close();
    }
  });

  test("receiver outcomes: retryable → its status and Retry-After (gRPC: unavailable); some refused → partial success", async () => {
    const answer = receiver.answer;
    try {
      receiver.answer = failed("backend down", 503, 2000);
      const res = await post(relay.url, valid());
      assert.equal(res.status, 503);
      assert.equal(res.headers.get("retry-after"), "2");
      assert.match(await res.text(), /backend down/);
      const client = createClient(ProfilesService, createGrpcTransport({ baseUrl: relay.url }));
      await assert.rejects(client.export(cpuExport(["svc"])), (err: unknown) => {
        assert.equal(ConnectError.from(err).code, Code.Unavailable);
        return true;
      });

      receiver.answer = (req) =>
        (req as PushRequest).labels.get("service_name") === "b" ? rejected("tenant over limit", 403) : OK;
      const partial = await post(
        relay.url,
        toBinary(ExportProfilesServiceRequestSchema, cpuExport(["a", "b", "c"])),
      );
      assert.equal(partial.status, 200);
      const response = fromBinary(
        ExportProfilesServiceResponseSchema,
        new Uint8Array(await partial.arrayBuffer()),
      );
      assert.equal(response.partialSuccess?.rejectedProfiles, 1n);
      assert.match(response.partialSuccess?.errorMessage ?? "", /resource_profiles\[1\].*tenant over limit/);
      // over JSON the same answer, in JSON
      const json = await post(
        relay.url,
        toJsonString(ExportProfilesServiceRequestSchema, cpuExport(["a", "b"])),
        {
          "content-type": "application/json",
        },
      );
      const body = fromJsonString(ExportProfilesServiceResponseSchema, await json.text());
      assert.equal(body.partialSuccess?.rejectedProfiles, 1n);

      const only = await post(relay.url, toBinary(ExportProfilesServiceRequestSchema, cpuExport(["b"])));
      assert.equal(only.status, 403);
      await only.text();
    } finally {
      receiver.answer = answer;
    }
  });

  test("metrics: requests by protocol", async () => {
    const count = (protocol: string) =>
      sample(relay.registry, "pyroscope_receive_http_otlp_requests_total", { protocol }).then((v) => v ?? 0);
    const before = await Promise.all(["http_protobuf", "http_json", "grpc"].map(count));
    await (await post(relay.url, valid())).arrayBuffer();
    await (
      await post(relay.url, toJsonString(ExportProfilesServiceRequestSchema, cpuExport(["j"])), {
        "content-type": "application/json",
      })
    ).arrayBuffer();
    await createClient(ProfilesService, createGrpcTransport({ baseUrl: relay.url })).export(cpuExport(["g"]));
    const afterCounts = await Promise.all(["http_protobuf", "http_json", "grpc"].map(count));
    assert.deepEqual(
      afterCounts.map((v, i) => v - before[i]!),
      [1, 1, 1],
    );
    assert.ok(
      ((await sample(
        relay.registry,
        "pyroscope_receive_http_request_duration_seconds",
        {
          route: "v1development_profiles",
          status_code: "200",
        },
        "_count",
      )) ?? 0) >= 1,
    );
  });
});

describe("OTLP into pyroscope.capture", () => {
  test("each converted profile is stored as a push capture: pprof, labels, ID; it assembles back to the pprof", async () => {
    const capture = await startCapture();
    const relay = await start(testArgs([capture.component]));
    try {
      const res = await post(
        relay.url,
        toBinary(ExportProfilesServiceRequestSchema, cpuExport(["cap-a", "cap-b"])),
      );
      assert.equal(res.status, 200);
      await res.arrayBuffer();
      const { entries, problems } = await listCaptures(capture.dataPath);
      assert.deepEqual(problems, []);
      assert.deepEqual(entries.map((e) => [e.record.route, e.record.service_name, e.record.format]).sort(), [
        ["push", "cap-a", "pprof"],
        ["push", "cap-b", "pprof"],
      ]);
      for (const e of entries) {
        assert.equal(e.record.profile_type, "process_cpu");
        assert.equal(e.record.labels["__otel__"], "true");
        assert.match(e.record.sample_id ?? "", UUID);
        const pprof = viewPprof(assemble(await loadCapture(e)));
        assert.deepEqual(pprof.sampleTypes, ["cpu/nanoseconds"]);
        assert.equal(pprof.samples.length, 2);
      }
    } finally {
      await relay.stop();
      await capture.stop();
    }
  });
});

describe("OTLP/gRPC over TLS (h2 by ALPN)", () => {
  const certs = testCertificates();
  after(() => rmSync(certs.dir, { recursive: true, force: true }));

  test("Export works and the profile arrives", async () => {
    const receiver = new RecordingReceiver();
    const args = testArgs([receiver]);
    const relay = await start({
      ...args,
      http: {
        ...args.http,
        http2: { ...args.http.http2, enabled: true },
        tls: {
          cert_pem: certs.server.cert,
          cert_file: undefined,
          key_pem: new Secret(certs.server.key),
          key_file: undefined,
          client_auth_type: "NoClientCert",
          client_ca_file: undefined,
          client_ca: undefined,
          cipher_suites: "",
          min_version: "TLS12",
        },
      },
    });
    try {
      const client = createClient(
        ProfilesService,
        createGrpcTransport({ baseUrl: relay.url, nodeOptions: { ca: certs.ca } }),
      );
      await client.export(cpuExport(["tls"]));
      assert.equal(receiver.pushes.length, 1);
      assert.equal(receiver.pushes[0]!.labels.get("service_name"), "tls");
    } finally {
      await relay.stop();
    }
  });
});
