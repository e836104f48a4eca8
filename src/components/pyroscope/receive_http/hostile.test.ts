/**
 * Hostile and broken clients against a running `pyroscope.receive_http`: malformed HTTP/1.1 and HTTP/2,
 * aborted requests and responses, absurd headers and bodies, gzip bombs, a certificate rotated under a
 * running TLS server. None of them may crash the process (an uncaught exception or unhandled rejection is
 * recorded here and fails the test), hold memory the in-flight budget does not count, or disturb a good
 * request in flight at the same time.
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as http2 from "node:http2";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { connect as tlsConnect } from "node:tls";
import { gzipSync } from "node:zlib";
import { create, toBinary } from "@bufbuild/protobuf";
import { testCertificates } from "../../../../test/support/certs.ts";
import { pushRequestBody } from "../../../../test/support/push-request.ts";
import { PushRequestSchema } from "../../../pyroscope/gen/push/v1/push_pb.ts";
import type { TlsArguments } from "./arguments.ts";
import { RecordingReceiver, rawRequest, start, testArgs } from "./testkit.ts";

/** Everything that would have killed the process, recorded instead while these tests run. */
const fatal: unknown[] = [];
const record = (err: unknown) => fatal.push(err);
before(() => {
  process.on("uncaughtException", record);
  process.on("unhandledRejection", record);
});
after(() => {
  process.off("uncaughtException", record);
  process.off("unhandledRejection", record);
});

/**
 * Sends raw bytes on a new connection; resolves with what came back once the server closed the connection,
 * went quiet for a moment after answering, or `capMs` passed. `reset` destroys the connection right after
 * sending.
 */
function exchange(port: number, data: string | Buffer, options: { reset?: boolean; capMs?: number } = {}) {
  return new Promise<string>((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let got = "";
    let quiet: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(cap);
      clearTimeout(quiet);
      socket.destroy();
      resolve(got);
    };
    // generous: under a loaded machine an answer can take over a second (the cap only bounds silent cases)
    const cap = setTimeout(done, options.capMs ?? 3000);
    socket.on("data", (d: Buffer) => {
      got += d.toString("latin1");
      clearTimeout(quiet);
      quiet = setTimeout(done, 100);
    });
    socket.on("error", () => {});
    socket.on("close", done);
    socket.on("connect", () => {
      socket.write(data);
      if (options.reset === true) socket.resetAndDestroy();
    });
  });
}

const PUSH = "POST /push.v1.PusherService/Push HTTP/1.1\r\nHost: x\r\n";

/** [name, bytes sent, what the answer must start with ("" = anything, including a closed connection)] */
const HTTP1_CASES: readonly (readonly [string, string | Buffer, string, { reset?: boolean }?])[] = [
  ["empty ingest body", "POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 200"],
  [
    "invalid UTF-8 escapes in name",
    "POST /ingest?name=%FF%FE%00{a=%C0} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    "HTTP/1.1 200",
  ],
  [
    "raw non-UTF-8 bytes in the target",
    Buffer.concat([
      Buffer.from("POST /ingest?name="),
      Buffer.from([0xff, 0xfe, 0x80]),
      Buffer.from(" HTTP/1.1\r\nHost: x\r\n\r\n"),
    ]),
    "HTTP/1.1 400",
  ],
  [
    "an unparseable name grammar",
    "POST /ingest?name=a{b=%22c HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    "HTTP/1.1 200",
  ],
  [
    "three pipelined requests",
    "POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\naPOST /ingest HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nbGET /x HTTP/1.1\r\nHost: x\r\n\r\n",
    "HTTP/1.1 200",
  ],
  [
    "an absolute-form target that does not parse",
    "POST http://[::1 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    "HTTP/1.1 301",
  ],
  ["an asterisk target", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 404"],
  [
    "a Content-Length past 2^64",
    "POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n",
    "HTTP/1.1 400",
  ],
  [
    "a negative Content-Length",
    "POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
    "HTTP/1.1 400",
  ],
  [
    "Content-Length and chunked together",
    "POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "HTTP/1.1 400",
  ],
  [
    "a broken chunk size",
    "POST /ingest HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nxx\r\n",
    "HTTP/1.1 400",
  ],
  [
    "3000 headers",
    `POST /ingest HTTP/1.1\r\nHost: x\r\n${"X-A: b\r\n".repeat(3000)}Content-Length: 0\r\n\r\n`,
    "HTTP/1.1 431",
  ],
  [
    "a 100 KiB header",
    `POST /ingest HTTP/1.1\r\nHost: x\r\nX-A: ${"b".repeat(100_000)}\r\n\r\n`,
    "HTTP/1.1 431",
  ],
  [
    "an unknown Expect",
    "POST /ingest HTTP/1.1\r\nHost: x\r\nExpect: foo\r\nContent-Length: 0\r\n\r\n",
    "HTTP/1.1 417",
  ],
  ["an undecodable path", "POST /%E0%A4%A HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 404"],
  [
    "an unclean path with CR LF escapes",
    "POST /a/../ingest%0d%0aX:y HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    "HTTP/1.1 301",
  ],
  [
    "an ingest body cut by a reset",
    "POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc",
    "",
    { reset: true },
  ],
  [
    "a push body cut by a reset",
    `${PUSH}Content-Type: application/proto\r\nContent-Length: 100\r\n\r\nabc`,
    "",
    { reset: true },
  ],
  [
    "a whole request, reset before the answer",
    "POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
    "",
    { reset: true },
  ],
  [
    "HTTP/1.0 push without Host",
    "POST /push.v1.PusherService/Push HTTP/1.0\r\nContent-Type: application/proto\r\nContent-Length: 0\r\n\r\n",
    "HTTP/1.1 400",
  ],
  ["push without a content type", `${PUSH}Content-Length: 0\r\n\r\n`, "HTTP/1.1 415"],
  [
    "push as gRPC-Web text",
    `${PUSH}Content-Type: application/grpc-web-text\r\nContent-Length: 3\r\n\r\nabc`,
    "HTTP/1.1 415",
  ],
  [
    "a truncated gRPC frame",
    `${PUSH}Content-Type: application/grpc\r\nContent-Length: 3\r\n\r\n\x00\x00\x00`,
    "HTTP/1.1 200",
  ],
  [
    "a gRPC frame claiming 4 GiB",
    `${PUSH}Content-Type: application/grpc\r\nContent-Length: 5\r\n\r\n\x00\xff\xff\xff\xff`,
    "",
  ],
  [
    "a compressed gRPC frame that is not gzip",
    `${PUSH}Content-Type: application/grpc\r\nGrpc-Encoding: gzip\r\nContent-Length: 6\r\n\r\n\x01\x00\x00\x00\x01z`,
    "HTTP/1.1 200",
  ],
  [
    "a negative Connect-Timeout-Ms",
    `${PUSH}Content-Type: application/proto\r\nConnect-Timeout-Ms: -5\r\nContent-Length: 0\r\n\r\n`,
    "HTTP/1.1 400",
  ],
  [
    "an absurd Grpc-Timeout",
    `${PUSH}Content-Type: application/grpc\r\nGrpc-Timeout: 99999999999H\r\nContent-Length: 0\r\n\r\n`,
    "HTTP/1.1 200",
  ],
  [
    "JSON nested 100 000 deep",
    `${PUSH}Content-Type: application/json\r\nContent-Length: 200000\r\n\r\n${"[".repeat(100_000)}${"]".repeat(100_000)}`,
    "HTTP/1.1 400",
  ],
  [
    "JSON with a number past float64",
    `${PUSH}Content-Type: application/json\r\nContent-Length: 39\r\n\r\n{"series":[{"samples":[{"ID":1e999}]}]}`,
    "HTTP/1.1 400",
  ],
  ["an HTTP/2 preface then garbage", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\ngarbagegarbage", ""],
  ["half an HTTP/2 preface", "PRI * HTTP/2.0\r\n", ""],
];

describe("hostile clients", () => {
  test("malformed, aborted and absurd requests get an answer or a close; a concurrent upload is untouched", async () => {
    const receiver = new RecordingReceiver();
    const running = await start(
      testArgs([receiver], {
        http: { server_read_timeout: 10_000, http2: { ...testArgs([]).http.http2, enabled: true } },
      }),
    );
    after(() => running.stop());

    // a good upload trickling in while everything else happens
    const slow = connect(running.port, "127.0.0.1");
    let slowAnswer = "";
    slow.on("data", (d: Buffer) => {
      slowAnswer += d.toString("latin1");
    });
    slow.write("POST /ingest?name=good HTTP/1.1\r\nHost: x\r\nContent-Length: 8\r\n\r\ngood");

    const answers = await Promise.all([
      ...HTTP1_CASES.map(([, data, , options]) => exchange(running.port, data, options)),
      ...http2Cases(running.port),
    ]);
    HTTP1_CASES.forEach(([name, , expected], i) => {
      assert.ok(answers[i]?.startsWith(expected), `${name}: ${JSON.stringify(answers[i]?.slice(0, 80))}`);
    });

    slow.end("body");
    for (let i = 0; i < 200 && !slowAnswer.includes("\r\n\r\n"); i++)
      await new Promise((r) => setTimeout(r, 10));
    slow.destroy();
    assert.match(slowAnswer, /^HTTP\/1\.1 200 /);
    const good = receiver.ingests.find((r) => r.query.toString() === "name=good");
    assert.equal(Buffer.from(good?.body ?? []).toString(), "goodbody");
    // nothing cut short was forwarded
    assert.ok(receiver.ingests.every((r) => r.body.length !== 100));

    assert.equal((await rawRequest(`${running.url}/ingest?name=after`, { body: "x" })).status, 200);
    assert.deepEqual(fatal, []);
  });

  test("a gzip push body counts against max_inflight_body_size as it inflates (Connect and gRPC)", async () => {
    const receiver = new RecordingReceiver();
    const running = await start(testArgs([receiver], { max_inflight_body_size: 1024 * 1024 }));
    after(() => running.stop());
    // 8 MiB of zeros: about 8 KiB once gzipped, far under the budget until it inflates
    const message = (size: number) => pushRequestBody({ __name__: "process_cpu" }, new Uint8Array(size));
    const bomb = gzipSync(message(8 * 1024 * 1024));
    assert.ok(bomb.length < 64 * 1024);

    const connectAnswer = await rawRequest(`${running.url}/push.v1.PusherService/Push`, {
      headers: [
        ["Content-Type", "application/proto"],
        ["Content-Encoding", "gzip"],
      ],
      body: bomb,
    });
    assert.equal(connectAnswer.status, 429);
    assert.equal(connectAnswer.headers["retry-after"], "1");
    const error = JSON.parse(connectAnswer.body.toString()) as { code: string; message: string };
    assert.equal(error.code, "resource_exhausted");
    assert.match(error.message, /max_inflight_body_size/);

    const frame = Buffer.alloc(5);
    frame[0] = 1; // compressed
    frame.writeUInt32BE(bomb.length, 1);
    const grpcAnswer = await rawRequest(`${running.url}/push.v1.PusherService/Push`, {
      headers: [
        ["Content-Type", "application/grpc"],
        ["Grpc-Encoding", "gzip"],
        ["TE", "trailers"],
      ],
      body: Buffer.concat([frame, bomb]),
    });
    assert.equal(grpcAnswer.trailers["grpc-status"], "8"); // RESOURCE_EXHAUSTED
    assert.equal(receiver.pushes.length, 0);

    // the reservations were given back: a push that needs most of the budget still fits
    const fits = await rawRequest(`${running.url}/push.v1.PusherService/Push`, {
      headers: [
        ["Content-Type", "application/proto"],
        ["Content-Encoding", "gzip"],
      ],
      body: gzipSync(message(900 * 1024)),
    });
    assert.equal(fits.status, 200);
    assert.equal(receiver.pushes.length, 1);
    assert.deepEqual(fatal, []);
  });

  test("pushes served by connect's handler give their in-flight budget back", async () => {
    const receiver = new RecordingReceiver();
    const running = await start(testArgs([receiver], { max_inflight_body_size: 1024 * 1024 }));
    after(() => running.stop());
    const payload = Buffer.alloc(100 * 1024, 1);
    const json = JSON.stringify({
      series: [
        { labels: [{ name: "__name__", value: "x" }], samples: [{ rawProfile: payload.toString("base64") }] },
      ],
    });
    const binary = toBinary(
      PushRequestSchema,
      create(PushRequestSchema, {
        series: [{ labels: [{ name: "__name__", value: "x" }], samples: [{ rawProfile: payload }] }],
      }),
    );
    const frame = Buffer.alloc(5);
    frame.writeUInt32BE(binary.length, 1);
    const kinds: readonly (readonly [string, readonly (readonly [string, string])[], Buffer | string])[] = [
      ["Connect JSON", [["Content-Type", "application/json"]], json],
      [
        "Connect gzip",
        [
          ["Content-Type", "application/proto"],
          ["Content-Encoding", "gzip"],
        ],
        gzipSync(binary),
      ],
      [
        "gRPC",
        [
          ["Content-Type", "application/grpc"],
          ["TE", "trailers"],
        ],
        Buffer.concat([frame, binary]),
      ],
      ["gRPC-Web", [["Content-Type", "application/grpc-web+proto"]], Buffer.concat([frame, binary])],
    ];
    // 4 × 6 × 100 KiB is more than twice the budget: any request that keeps its share makes the rest fail
    for (const [kind, headers, body] of kinds) {
      for (let i = 0; i < 6; i++) {
        const answer = await rawRequest(`${running.url}/push.v1.PusherService/Push`, { headers, body });
        assert.equal(answer.status, 200, `${kind} #${i + 1}: ${answer.body.toString()}`);
        assert.equal(answer.trailers["grpc-status"] ?? "0", "0", kind);
      }
    }
    assert.equal(receiver.pushes.length, 24);
    assert.equal(
      (await rawRequest(`${running.url}/ingest?name=big`, { body: Buffer.alloc(1000 * 1024) })).status,
      200,
    );
  });

  test("huge numbers of labels are taken in stride", async () => {
    const receiver = new RecordingReceiver();
    const running = await start(testArgs([receiver]));
    after(() => running.stop());
    const labels = [{ name: "__name__", value: "process_cpu" }];
    for (let i = 0; i < 20_000; i++) labels.push({ name: `l${i}`, value: `v${i}` });
    const body = toBinary(
      PushRequestSchema,
      create(PushRequestSchema, { series: [{ labels, samples: [{ rawProfile: new Uint8Array([1]) }] }] }),
    );
    const pushed = await rawRequest(`${running.url}/push.v1.PusherService/Push`, {
      headers: [["Content-Type", "application/proto"]],
      body,
    });
    assert.equal(pushed.status, 200);
    assert.equal(receiver.pushes[0]?.labels.toArray().length, 20_001 + 1); // + service_name
    const name = `app.cpu{${Array.from({ length: 1000 }, (_, i) => `l${i}=v`).join(",")}}`;
    const ingested = await rawRequest(`${running.url}/ingest?name=${encodeURIComponent(name)}`, {
      body: "x",
    });
    assert.equal(ingested.status, 200);
    assert.equal(receiver.ingests[0]?.labels.get("l999"), "v");
    assert.deepEqual(fatal, []);
  });

  test("a certificate rotated one file at a time never crashes the server", async () => {
    const certs = testCertificates();
    const dir = mkdtempSync(join(tmpdir(), "receive-http-rotation-"));
    after(() => rmSync(dir, { recursive: true, force: true }));
    copyFileSync(certs.server.certFile, join(dir, "cert.pem"));
    copyFileSync(certs.server.keyFile, join(dir, "key.pem"));
    const args = testArgs([new RecordingReceiver()]);
    const tls: TlsArguments = {
      cert_file: join(dir, "cert.pem"),
      key_file: join(dir, "key.pem"),
      cert_pem: undefined,
      key_pem: undefined,
      client_auth_type: "NoClientCert",
      client_ca_file: undefined,
      client_ca: undefined,
      cipher_suites: "",
      min_version: "TLS12",
    };
    const running = await start({ ...args, http: { ...args.http, tls } });
    after(() => running.stop());
    const served = () =>
      new Promise<string>((resolve, reject) => {
        const s = tlsConnect({ port: running.port, host: "127.0.0.1", rejectUnauthorized: false }, () => {
          resolve(String(s.getPeerCertificate().subject?.CN));
          s.destroy();
        });
        s.on("error", reject);
      });
    const server = await served();
    // the files are re-read at most once a second
    await new Promise((r) => setTimeout(r, 1100));
    // the new certificate is written first; its key is not there yet
    writeFileSync(join(dir, "cert.pem"), certs.client.cert);
    assert.equal(await served(), server);
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal(await served(), server, "a mismatched pair is not served");
    writeFileSync(join(dir, "key.pem"), certs.client.key);
    await new Promise((r) => setTimeout(r, 1100));
    await served(); // notices the change
    let now = "";
    for (let i = 0; i < 100 && now !== "test-client"; i++) {
      now = await served();
      if (now !== "test-client") await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(now, "test-client", "the complete new pair is served");
    assert.deepEqual(fatal, []);
  });
});

/** HTTP/2 (h2c) clients that reset, go away, or send what HTTP/2 forbids; each resolves when done. */
function http2Cases(port: number): Promise<string>[] {
  const url = `http://127.0.0.1:${port}`;
  const session = () => {
    const c = http2.connect(url);
    c.on("error", () => {});
    return c;
  };
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const resetMidBody = async (path: string, headers: http2.OutgoingHttpHeaders) => {
    const c = session();
    const s = c.request({ ":method": "POST", ":path": path, ...headers });
    s.on("error", () => {});
    s.write(Buffer.alloc(100));
    await pause(50);
    s.close(http2.constants.NGHTTP2_CANCEL);
    await pause(50);
    c.destroy();
    return "";
  };
  const answer = (path: string, headers: http2.OutgoingHttpHeaders = {}) =>
    new Promise<string>((resolve) => {
      const c = session();
      const s = c.request({ ":method": "POST", ":path": path, ...headers });
      s.on("response", (h) => {
        resolve(String(h[":status"]));
        c.destroy();
      });
      s.on("error", () => {
        resolve("reset");
        c.destroy();
      });
      s.end();
    });
  return [
    resetMidBody("/ingest?name=h2", { "content-length": "1000" }),
    resetMidBody("/push.v1.PusherService/Push", { "content-type": "application/proto" }),
    (async () => {
      const c = session();
      const s = c.request({ ":method": "POST", ":path": "/ingest", "content-length": "10" });
      s.on("error", () => {});
      s.write("abc");
      await pause(50);
      c.destroy(); // the whole connection goes, mid-body
      return "";
    })(),
    (async () => {
      const c = session();
      const s = c.request({ ":method": "POST", ":path": "/ingest" });
      s.on("error", () => {});
      s.write("abc");
      await pause(50);
      c.goaway(http2.constants.NGHTTP2_PROTOCOL_ERROR);
      await pause(50);
      c.destroy();
      return "";
    })(),
    answer("//a/../ingest"),
    answer("/ingest?name=%ZZ"),
    answer(
      "/ingest",
      Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`x-h${i}`, "v".repeat(10)])),
    ),
  ];
}
