import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as http2 from "node:http2";
import { request as httpsRequest } from "node:https";
import { connect, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { connect as tlsConnect } from "node:tls";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { freePort } from "../../../../test/support/free-port.ts";
import { until } from "../../../../test/support/until.ts";
import { PusherService } from "../../../pyroscope/gen/push/v1/push_pb.ts";
import { failure, OK, type Outcome } from "../../../pyroscope/receiver.ts";
import { Secret } from "../../../syntax/value.ts";
import type { TlsArguments } from "./arguments.ts";
import { RecordingReceiver, type Running, rawRequest, sample, start, testArgs } from "./testkit.ts";

/** Waits (bounded) until `check` holds; fails the test if it never does. */
/** A raw TCP connection with everything it has received so far. */
async function openSocket(
  port: number,
): Promise<{ socket: Socket; received: () => string; closed: () => boolean }> {
  const socket = connect(port, "127.0.0.1");
  let data = "";
  let closed = false;
  socket.on("data", (d: Buffer) => {
    data += d.toString("latin1");
  });
  socket.on("error", () => {});
  socket.on("close", () => {
    closed = true;
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  return { socket, received: () => data, closed: () => closed };
}

const GET_ROOT = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

describe("conn_limit: fail fast", () => {
  test("a connection beyond the limit gets 503 + Retry-After at once; the others keep working", async () => {
    const receiver = new RecordingReceiver();
    const running = await start(testArgs([receiver], { http: { conn_limit: 2 } }));
    const sockets: Awaited<ReturnType<typeof openSocket>>[] = [];
    try {
      sockets.push(await openSocket(running.port), await openSocket(running.port));
      await until(
        "two connections counted",
        async () =>
          (await sample(running.registry, "pyroscope_receive_http_tcp_connections", { protocol: "http" })) ===
          2,
      );
      assert.equal(
        await sample(running.registry, "pyroscope_receive_http_tcp_connections_limit", { protocol: "http" }),
        2,
      );
      const third = await openSocket(running.port);
      await until("the third connection is closed", () => third.closed());
      assert.match(third.received(), /^HTTP\/1\.1 503 Service Unavailable\r\n/);
      assert.match(third.received(), /\r\nRetry-After: 1\r\n/);

      // the two accepted connections still serve requests
      const first = sockets[0]!;
      first.socket.write("POST /ingest?name=a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
      await until("a response on an accepted connection", () => first.received().includes("\r\n\r\n"));
      assert.match(first.received(), /^HTTP\/1\.1 200 OK/);
      assert.equal(receiver.ingests.length, 1);

      // once one closes, a new connection is accepted again
      sockets[1]!.socket.destroy();
      await until(
        "one connection left",
        async () =>
          (await sample(running.registry, "pyroscope_receive_http_tcp_connections", { protocol: "http" })) ===
          1,
      );
      assert.equal((await rawRequest(`${running.url}/`, { method: "GET" })).status, 404);
    } finally {
      for (const s of sockets) s.socket.destroy();
      await running.stop();
    }
  });
});

describe("slow and broken clients", () => {
  let running: Running;
  const receiver = new RecordingReceiver();
  before(async () => {
    running = await start(
      testArgs([receiver], {
        http: { server_read_timeout: 300, server_write_timeout: 0 },
        max_request_body_size: 1024 * 1024,
        max_inflight_body_size: 1024 * 1024,
      }),
    );
  });
  after(() => running.stop());

  async function goodRequest(): Promise<void> {
    const res = await rawRequest(`${running.url}/ingest?name=good`, { body: "good" });
    assert.equal(res.status, 200);
  }

  test("a client that stalls mid-body is cut off by server_read_timeout (408); nothing is forwarded", async () => {
    const before = receiver.ingests.length;
    const slow = await openSocket(running.port);
    slow.socket.write("POST /ingest?name=slow HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\npartial");
    await goodRequest();
    await until("the slow connection is closed", () => slow.closed());
    assert.match(slow.received(), /^HTTP\/1\.1 408 /);
    assert.deepEqual(
      receiver.ingests.slice(before).map((r) => r.labels.get("service_name")),
      ["good"],
    );
  });

  test("a client that disconnects mid-body is not forwarded", async () => {
    const before = receiver.ingests.length;
    const gone = await openSocket(running.port);
    gone.socket.write("POST /ingest?name=gone HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\npartial");
    await until(
      "the request is in flight",
      async () =>
        (await sample(running.registry, "pyroscope_receive_http_inflight_requests", { route: "ingest" })) ===
        1,
    );
    gone.socket.destroy();
    await until(
      "the request is over",
      async () =>
        (await sample(running.registry, "pyroscope_receive_http_inflight_requests", { route: "ingest" })) ===
        0,
    );
    await goodRequest();
    assert.deepEqual(
      receiver.ingests.slice(before).map((r) => r.labels.get("service_name")),
      ["good"],
    );
  });

  test("a declared body over max_request_body_size is refused before it is read (413)", async () => {
    const big = await openSocket(running.port);
    big.socket.write(
      `POST /ingest?name=big HTTP/1.1\r\nHost: x\r\nContent-Length: ${2 * 1024 * 1024}\r\n\r\n`,
    );
    const [res] = await Promise.all([
      until("a 413", () => big.received().includes("\r\n\r\n")).then(() => big.received()),
      goodRequest(),
    ]);
    assert.match(res, /^HTTP\/1\.1 413 /);
    assert.match(res, /Connection: close/i);
    assert.match(res, /request body too large: the limit is 1048576 bytes \(max_request_body_size\)/);
    big.socket.destroy();
  });

  test("a chunked body that grows past the limit is cut off (413) while streaming", async () => {
    const [res] = await Promise.all([
      rawRequest(`${running.url}/ingest?name=big`, {
        body: Buffer.alloc(3 * 1024 * 1024),
        chunked: true,
      }).catch((err: Error) => err),
      goodRequest(),
    ]);
    // the client may still be sending when we answer and close; it then sees either the 413 or a reset
    if (!(res instanceof Error)) {
      assert.equal(res.status, 413);
      assert.match(res.body.toString(), /max_request_body_size/);
    }
    assert.ok(!receiver.ingests.some((r) => r.labels.get("service_name") === "big"));
  });

  test("Expect: 100-continue with a body that is too large gets 413 without 100 Continue", async () => {
    const s = await openSocket(running.port);
    s.socket.write(
      `POST /ingest?name=big HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: ${4 * 1024 * 1024}\r\n\r\n`,
    );
    await until("an answer", () => s.received().includes("\r\n\r\n"));
    assert.match(s.received(), /^HTTP\/1\.1 413 /);
    s.socket.destroy();
  });

  test("Expect: 100-continue with an acceptable body gets 100 Continue, then 200", async () => {
    const s = await openSocket(running.port);
    s.socket.write(
      "POST /ingest?name=cont HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n",
    );
    await until("100 Continue", () => s.received().includes("100 Continue"));
    s.socket.write("abc");
    await until("200", () => s.received().includes("HTTP/1.1 200"));
    s.socket.destroy();
    assert.equal(Buffer.from(receiver.ingests.at(-1)!.body).toString(), "abc");
  });
});

describe("in-flight budget", () => {
  test("a request that would exceed max_inflight_body_size gets 429 + Retry-After; others continue", async () => {
    let release: (o: Outcome) => void = () => {};
    const held = new Promise<Outcome>((r) => {
      release = r;
    });
    const receiver = new RecordingReceiver((req) => (req.labels.get("service_name") === "hold" ? held : OK));
    const running = await start(
      testArgs([receiver], { max_request_body_size: 1024 * 1024, max_inflight_body_size: 1024 * 1024 }),
    );
    try {
      const holding = rawRequest(`${running.url}/ingest?name=hold`, { body: Buffer.alloc(700 * 1024) });
      await until("the first body is held by the receiver", () => receiver.ingests.length === 1);
      const refused = await rawRequest(`${running.url}/ingest?name=second`, {
        body: Buffer.alloc(700 * 1024),
      });
      assert.equal(refused.status, 429);
      assert.equal(refused.headers["retry-after"], "1");
      assert.match(refused.body.toString(), /max_inflight_body_size/);
      // a small one still fits
      assert.equal((await rawRequest(`${running.url}/ingest?name=small`, { body: "x" })).status, 200);
      release(OK);
      assert.equal((await holding).status, 200);
      // and once the first is done, the budget is free again
      assert.equal(
        (await rawRequest(`${running.url}/ingest?name=third`, { body: Buffer.alloc(700 * 1024) })).status,
        200,
      );
    } finally {
      release(OK);
      await running.stop();
    }
  });
});

describe("server_write_timeout", () => {
  test("a response not finished in time closes the connection and aborts the receivers' signal", async () => {
    let signal: AbortSignal | undefined;
    const receiver = new RecordingReceiver((req) => {
      signal = req.signal;
      return new Promise<Outcome>((resolve) =>
        req.signal?.addEventListener("abort", () => resolve(failure(499, "gone"))),
      );
    });
    const running = await start(testArgs([receiver], { http: { server_write_timeout: 300 } }));
    try {
      await assert.rejects(rawRequest(`${running.url}/ingest?name=a`, { body: "x" }));
      await until("the receiver's signal is aborted", () => signal?.aborted === true);
      assert.equal((await rawRequest(`${running.url}/`, { method: "GET" })).status, 404);
    } finally {
      await running.stop();
    }
  });
});

describe("stopping", () => {
  test("a request in flight finishes; new connections are refused meanwhile", async () => {
    let release: (o: Outcome) => void = () => {};
    const held = new Promise<Outcome>((r) => {
      release = r;
    });
    const receiver = new RecordingReceiver(() => held);
    const running = await start(testArgs([receiver]));
    const port = running.port;
    const inFlight = rawRequest(`${running.url}/ingest?name=a`, { body: "x" });
    await until("the request reached the receiver", () => receiver.ingests.length === 1);
    const stopped = running.stop();
    await until(
      "the port no longer accepts connections",
      () =>
        new Promise<boolean>((resolve) => {
          const s = connect(port, "127.0.0.1");
          s.on("connect", () => {
            s.destroy();
            resolve(false);
          });
          s.on("error", () => resolve(true));
        }),
    );
    release(OK);
    assert.equal((await inFlight).status, 200);
    await stopped;
  });

  test("graceful_shutdown_timeout bounds the wait for a request that never ends", async () => {
    const receiver = new RecordingReceiver(() => new Promise<Outcome>(() => {}));
    const running = await start(testArgs([receiver], { graceful_shutdown_timeout: 200 }));
    const inFlight = rawRequest(`${running.url}/ingest?name=a`, { body: "x" }).then(
      (res) => res.status,
      (err: Error) => err,
    );
    await until("the request reached the receiver", () => receiver.ingests.length === 1);
    await running.stop();
    assert.ok((await inFlight) instanceof Error, "the connection was closed");
  });
});

describe("update (spec §5 case 19)", () => {
  test("a new port restarts the server there; an identical config does not restart it", async () => {
    const receiver = new RecordingReceiver();
    const args = testArgs([receiver]);
    const running = await start(args);
    try {
      const portA = running.port;
      const portB = await freePort();
      await running.component.update({ ...args, http: { ...args.http, listen_port: portB } });
      assert.equal(running.component.port, portB);
      assert.equal((await rawRequest(`http://127.0.0.1:${portB}/`, { method: "GET" })).status, 404);
      await assert.rejects(rawRequest(`http://127.0.0.1:${portA}/`, { method: "GET" }));

      // an identical config: the same keep-alive connection keeps working
      const conn = await openSocket(portB);
      conn.socket.write(GET_ROOT);
      await until("first response", () => conn.received().includes("404 page not found"));
      await running.component.update({ ...args, http: { ...args.http, listen_port: portB } });
      conn.socket.write(GET_ROOT);
      await until("second response", () => conn.received().split("404 page not found").length === 3);
      assert.equal(conn.closed(), false);
      conn.socket.destroy();
    } finally {
      await running.stop();
    }
  });

  test("a changed http block on the same port keeps the listening socket; an idle connection of the old server answers its next request with Connection: close", async () => {
    const args = testArgs([new RecordingReceiver()]);
    const running = await start(args);
    try {
      const conn = await openSocket(running.port);
      conn.socket.write(GET_ROOT);
      await until("first response", () => conn.received().includes("404 page not found"));
      assert.match(conn.received(), /Keep-Alive: timeout=120/);
      await running.component.update({
        ...args,
        http: { ...args.http, listen_port: running.port, server_idle_timeout: 60_000 },
      });
      // not closed under the client, which may be sending on it right now
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(conn.closed(), false);
      conn.socket.write(GET_ROOT);
      await until("the old server's connection closes after its next answer", () => conn.closed());
      const second = conn.received().split("HTTP/1.1 404")[2] ?? "";
      assert.match(second, /Connection: close/);
      assert.match(second, /404 page not found/);
      // new connections go to the new server
      const fresh = await openSocket(running.port);
      fresh.socket.write(GET_ROOT);
      await until("a new connection's answer", () => fresh.received().includes("404 page not found"));
      assert.match(fresh.received(), /Keep-Alive: timeout=60/);
      fresh.socket.destroy();
    } finally {
      await running.stop();
    }
  });

  test("forward_to changes apply to the next request", async () => {
    const first = new RecordingReceiver();
    const second = new RecordingReceiver();
    const args = testArgs([first]);
    const running = await start(args);
    try {
      await rawRequest(`${running.url}/ingest?name=a`, { body: "1" });
      await running.component.update({
        ...args,
        forward_to: [second],
        http: { ...args.http, listen_port: running.port },
      });
      await rawRequest(`${running.url}/ingest?name=a`, { body: "2" });
      assert.deepEqual([first.ingests.length, second.ingests.length], [1, 1]);
    } finally {
      await running.stop();
    }
  });

  test("an update to a port in use is rejected and the running server stays", async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const taken = (blocker.address() as { port: number }).port;
    const args = testArgs([new RecordingReceiver()]);
    const running = await start(args);
    try {
      await assert.rejects(
        running.component.update({ ...args, http: { ...args.http, listen_port: taken } }),
        /failed to create server/,
      );
      assert.equal(running.component.health().state, "unhealthy");
      assert.equal((await rawRequest(`${running.url}/`, { method: "GET" })).status, 404);
    } finally {
      await running.stop();
      blocker.close();
    }
  });
});

describe("metrics (spec §1.8)", () => {
  test("request duration, sizes and in-flight gauges carry Alloy's names and labels", async () => {
    const running = await start(testArgs([new RecordingReceiver()]));
    try {
      await rawRequest(`${running.url}/ingest?name=a`, { body: Buffer.alloc(100) });
      await rawRequest(`${running.url}/nothing`, { method: "GET" });
      await rawRequest(`${running.url}/ingest`, { method: "GET" });
      const text = await running.registry.metrics();
      const has = (line: string) => assert.ok(text.includes(line), `missing: ${line}\n${text}`);
      has(
        'pyroscope_receive_http_request_duration_seconds_count{method="POST",route="ingest",status_code="200",ws="false"} 1',
      );
      has(
        'pyroscope_receive_http_request_duration_seconds_count{method="GET",route="other",status_code="404",ws="false"} 1',
      );
      has(
        'pyroscope_receive_http_request_duration_seconds_count{method="GET",route="other",status_code="405",ws="false"} 1',
      );
      has(
        'pyroscope_receive_http_request_duration_seconds_bucket{le="0.005",method="POST",route="ingest",status_code="200",ws="false"}',
      );
      has('pyroscope_receive_http_request_message_bytes_sum{method="POST",route="ingest"} 100');
      has('pyroscope_receive_http_request_message_bytes_bucket{le="4",method="POST",route="ingest"} 0');
      has('pyroscope_receive_http_response_message_bytes_sum{method="GET",route="other"} 19');
      has('pyroscope_receive_http_inflight_requests{method="POST",route="ingest"} 0');
      has('pyroscope_receive_http_tcp_connections_limit{protocol="http"} 16384');
      has('pyroscope_receive_http_tcp_connections_limit{protocol="grpc"} 0');
      has("# TYPE pyroscope_receive_http_tcp_connections gauge");
      has("# HELP pyroscope_receive_http_tcp_connections Current number of accepted TCP connections.");
      const client = createClient(
        PusherService,
        createConnectTransport({ baseUrl: running.url, httpVersion: "1.1" }),
      );
      await client.push({ series: [] });
      // the push route is recorded under its mux template
      assert.ok(
        (await running.registry.metrics()).includes(
          'pyroscope_receive_http_request_duration_seconds_count{method="POST",route="push_v1_pusherservice",status_code="200",ws="false"} 1',
        ),
      );
    } finally {
      await running.stop();
    }
  });
});

describe("h2c (http2 { enabled = true })", () => {
  test("/ingest over cleartext HTTP/2 with prior knowledge, and HTTP/1.1 on the same port", async () => {
    const receiver = new RecordingReceiver();
    const args = testArgs([receiver]);
    const running = await start({
      ...args,
      http: { ...args.http, http2: { ...args.http.http2, enabled: true } },
    });
    const session = http2.connect(running.url);
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const stream = session.request({
          ":method": "POST",
          ":path": "/ingest?name=h2",
          "content-type": "text/plain",
        });
        stream.on("response", (h) => resolve(Number(h[":status"])));
        stream.on("error", reject);
        stream.end("foo;bar 1\n");
        stream.resume();
      });
      assert.equal(status, 200);
      assert.equal(Buffer.from(receiver.ingests[0]!.body).toString(), "foo;bar 1\n");
      assert.deepEqual(receiver.ingests[0]!.contentType, ["text/plain"]);
      assert.equal((await rawRequest(`${running.url}/ingest?name=h1`, { body: "x" })).status, 200);
    } finally {
      session.close();
      await running.stop();
    }
  });

  test("without http2 enabled, an HTTP/2 preface is not served", async () => {
    const running = await start(testArgs([new RecordingReceiver()]));
    const session = http2.connect(running.url);
    session.on("error", () => {});
    try {
      await assert.rejects(
        new Promise((resolve, reject) => {
          const stream = session.request({ ":method": "GET", ":path": "/" });
          stream.on("response", resolve);
          stream.on("error", reject);
          stream.end();
        }),
      );
    } finally {
      session.destroy();
      await running.stop();
    }
  });
});

/** Self-signed certificate for 127.0.0.1, made with openssl; the TLS tests are skipped without it. */
function makeCertificate(): { dir: string; cert: string; key: string } | undefined {
  const dir = mkdtempSync(join(tmpdir(), "receive-http-tls-"));
  try {
    makeCertificateIn(dir, "127.0.0.1", ["-addext", "subjectAltName=IP:127.0.0.1"]);
    return { dir, cert: join(dir, "cert.pem"), key: join(dir, "key.pem") };
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}

function tlsArgs(changes: Partial<TlsArguments>): TlsArguments {
  return {
    cert_pem: undefined,
    cert_file: undefined,
    key_pem: undefined,
    key_file: undefined,
    client_auth_type: "NoClientCert",
    client_ca_file: undefined,
    client_ca: undefined,
    cipher_suites: "",
    min_version: "TLS12",
    ...changes,
  };
}

/** A self-signed certificate for `cn` (`extra`: more `openssl req` arguments) as `dir/cert.pem` and `dir/key.pem`. */
function makeCertificateIn(dir: string, cn: string, extra: readonly string[] = []): void {
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      join(dir, "key.pem"),
      "-out",
      join(dir, "cert.pem"),
      "-days",
      "1",
      "-subj",
      `/CN=${cn}`,
      ...extra,
    ],
    { stdio: "ignore", timeout: 10_000 },
  );
}

/** The common name of the certificate the server presents. */
function servedName(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ port, host: "127.0.0.1", rejectUnauthorized: false }, () => {
      const cn = s.getPeerCertificate().subject?.CN;
      s.destroy();
      resolve(Array.isArray(cn) ? cn.join(",") : String(cn));
    });
    s.on("error", reject);
  });
}

describe("TLS", () => {
  const pki = makeCertificate();
  const skip = pki === undefined ? "openssl is not available to make a test certificate" : false;
  after(() => {
    if (pki !== undefined) rmSync(pki.dir, { recursive: true, force: true });
  });

  function httpsPost(
    url: string,
    body: string,
    options: { ca: string; cert?: string; key?: string },
  ): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        `${url}/ingest?name=tls`,
        { method: "POST", agent: false, timeout: 5000, ...options },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        },
      );
      req.on("error", reject);
      req.on("timeout", () => req.destroy(new Error("timeout")));
      req.end(body);
    });
  }

  test("cert_file/key_file serve HTTPS", { skip }, async () => {
    const receiver = new RecordingReceiver();
    const args = testArgs([receiver]);
    const running = await start({
      ...args,
      http: { ...args.http, tls: tlsArgs({ cert_file: pki!.cert, key_file: pki!.key }) },
    });
    try {
      assert.equal(await httpsPost(running.url, "x", { ca: readFileSync(pki!.cert, "utf8") }), 200);
      assert.equal(receiver.ingests.length, 1);
      // plain HTTP on a TLS port does not get through
      await assert.rejects(
        rawRequest(`http://127.0.0.1:${running.port}/ingest?name=a`, { body: "x", timeoutMs: 2000 }).then(
          (r) => {
            if (r.status === 200) throw new Error("served plain HTTP");
            throw new Error(`status ${r.status}`);
          },
        ),
      );
    } finally {
      await running.stop();
    }
  });

  test("a rotated certificate file is served without a restart, as exporter-toolkit does", {
    skip,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "receive-http-rotate-"));
    try {
      makeCertificateIn(dir, "first");
      const args = testArgs([new RecordingReceiver()]);
      const running = await start({
        ...args,
        http: {
          ...args.http,
          tls: tlsArgs({ cert_file: join(dir, "cert.pem"), key_file: join(dir, "key.pem") }),
        },
      });
      try {
        assert.equal(await servedName(running.port), "first");
        makeCertificateIn(dir, "second");
        await until(
          "the new certificate is served",
          async () => (await servedName(running.port)) === "second",
        );
      } finally {
        await running.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("RequireAnyClientCert refuses a client without a certificate", { skip }, async () => {
    const cert = readFileSync(pki!.cert, "utf8");
    const key = readFileSync(pki!.key, "utf8");
    const args = testArgs([new RecordingReceiver()]);
    const running = await start({
      ...args,
      http: {
        ...args.http,
        tls: tlsArgs({ cert_pem: cert, key_pem: new Secret(key), client_auth_type: "RequireAnyClientCert" }),
      },
    });
    try {
      await assert.rejects(httpsPost(running.url, "x", { ca: cert }));
      assert.equal(await httpsPost(running.url, "x", { ca: cert, cert, key }), 200);
    } finally {
      await running.stop();
    }
  });

  test("cert_pem/key_pem with RequireAndVerifyClientCert (mTLS), and h2 by ALPN", { skip }, async () => {
    const receiver = new RecordingReceiver();
    const cert = readFileSync(pki!.cert, "utf8");
    const key = readFileSync(pki!.key, "utf8");
    const args = testArgs([receiver]);
    const running = await start({
      ...args,
      http: {
        ...args.http,
        http2: { ...args.http.http2, enabled: true },
        tls: tlsArgs({
          cert_pem: cert,
          key_pem: new Secret(key),
          client_auth_type: "RequireAndVerifyClientCert",
          client_ca: cert,
        }),
      },
    });
    try {
      assert.equal(await httpsPost(running.url, "x", { ca: cert, cert, key }), 200);
      await assert.rejects(httpsPost(running.url, "x", { ca: cert }));
      const client = createClient(
        PusherService,
        createConnectTransport({
          baseUrl: running.url,
          httpVersion: "2",
          nodeOptions: { ca: cert, cert, key },
        }),
      );
      await client.push({ series: [{ labels: [{ name: "app", value: "tls" }], samples: [] }] });
      assert.equal(receiver.pushes.length, 1);
    } finally {
      await running.stop();
    }
  });
});
