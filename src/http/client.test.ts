import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { testCertificates } from "../../test/support/certs.ts";
import { startFakePyroscope } from "../../test/support/fake-pyroscope.ts";
import { httpClientConfig as config, tlsConfig as tls } from "../../test/support/http-config.ts";
import { Secret } from "../syntax/value.ts";
import { HttpClient } from "./client.ts";
import { HeaderList } from "./headers.ts";
import type { HttpClientConfig, OAuth2Config } from "./schema.ts";

const s = (text: string) => new Secret(text);

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly rawHeaders: string[];
  readonly body: string;
  readonly host: string;
}

/** A plain HTTP server recording requests and answering with `respond` (default 200 "ok"). */
async function startServer(
  respond: (req: Seen, res: http.ServerResponse) => void = (_req, res) => res.end("ok"),
): Promise<{ url: string; port: number; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const r: Seen = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks).toString(),
        host: req.headers.host ?? "",
      };
      seen.push(r);
      respond(r, res);
    });
  });
  server.on("connection", (sock: net.Socket) => {
    sockets.add(sock);
    sock.on("close", () => sockets.delete(sock));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const sock of sockets) sock.destroy();
      await closed;
    },
  };
}

/**
 * A forward proxy: absolute-form requests are forwarded, CONNECT is tunnelled. Every host name resolves to
 * 127.0.0.1, so tests can use names that only the proxy knows.
 */
async function startProxy(): Promise<{
  url: string;
  requests: { method: string; target: string; headers: http.IncomingHttpHeaders }[];
  close: () => Promise<void>;
}> {
  const requests: { method: string; target: string; headers: http.IncomingHttpHeaders }[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? "", target: req.url ?? "", headers: req.headers });
    const target = new URL(req.url ?? "");
    const upstream = http.request(
      {
        host: "127.0.0.1",
        port: target.port,
        method: req.method,
        path: `${target.pathname}${target.search}`,
        headers: req.headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  server.on("connect", (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    requests.push({ method: "CONNECT", target: req.url ?? "", headers: req.headers });
    const port = Number((req.url ?? "").split(":").pop());
    const up = net.connect(port, "127.0.0.1", () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    sockets.add(up);
    up.on("close", () => sockets.delete(up));
    up.on("error", () => client.destroy());
    client.on("error", () => up.destroy());
  });
  server.on("connection", (sock: net.Socket) => {
    sockets.add(sock);
    sock.on("close", () => sockets.delete(sock));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const sock of sockets) sock.destroy();
      await closed;
    },
  };
}

async function send(
  client: HttpClient,
  url: string,
  headers: HeaderList = new HeaderList(),
  body = "payload",
): Promise<{ status: number; text: string; url: string }> {
  const res = await client.request({
    method: "POST",
    url,
    headers,
    body: new TextEncoder().encode(body),
    timeoutMs: 5000,
    keepBytes: 1024 * 1024,
  });
  return { status: res.status, text: Buffer.from(res.body).toString("utf8"), url: res.url };
}

async function withClient(cfg: HttpClientConfig, env?: Record<string, string>): Promise<HttpClient> {
  const c = await HttpClient.create(cfg, { env });
  after(() => c.close());
  return c;
}

const dir = mkdtempSync(join(tmpdir(), "profile-relay-http-"));
after(() => rmSync(dir, { recursive: true, force: true }));
function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe("auth", () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());
  const authOf = async (cfg: HttpClientConfig, headers?: HeaderList) => {
    const c = await withClient(cfg);
    await send(c, server.url, headers);
    return server.seen.at(-1)?.headers.authorization;
  };

  test("bearer_token", async () => {
    assert.equal(await authOf(config({ bearer_token: s("tok") })), "Bearer tok");
  });

  test("bearer_token_file is read (and trimmed) on every request", async () => {
    const path = file("token", "first\n");
    const c = await withClient(config({ bearer_token_file: path }));
    await send(c, server.url);
    assert.equal(server.seen.at(-1)?.headers.authorization, "Bearer first");
    writeFileSync(path, "second");
    await send(c, server.url);
    assert.equal(server.seen.at(-1)?.headers.authorization, "Bearer second");
  });

  test("basic_auth with a password and with a password_file", async () => {
    const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}`;
    assert.equal(
      await authOf(
        config({ basic_auth: { username: "user", password: s("pa:ss"), password_file: undefined } }),
      ),
      basic("user", "pa:ss"),
    );
    const path = file("password", " from-file \n");
    assert.equal(
      await authOf(config({ basic_auth: { username: "user", password: undefined, password_file: path } })),
      basic("user", "from-file"),
    );
  });

  test("authorization: custom type, default Bearer, credentials_file", async () => {
    assert.equal(
      await authOf(
        config({ authorization: { type: "Token", credentials: s("abc"), credentials_file: undefined } }),
      ),
      "Token abc",
    );
    assert.equal(
      await authOf(
        config({ authorization: { type: " ", credentials: s("abc"), credentials_file: undefined } }),
      ),
      "Bearer abc",
    );
    const path = file("creds", "from-file");
    assert.equal(
      await authOf(
        config({ authorization: { type: undefined, credentials: undefined, credentials_file: path } }),
      ),
      "Bearer from-file",
    );
  });

  test("user info in the URL becomes Basic auth and is not sent in the request line", async () => {
    const c = await withClient(config());
    await send(c, server.url.replace("http://", "http://us%40er:p%3Ass@"));
    assert.equal(
      server.seen.at(-1)?.headers.authorization,
      `Basic ${Buffer.from("us@er:p:ss").toString("base64")}`,
    );
    assert.equal(server.seen.at(-1)?.url, "/");
  });

  test("an Authorization already on the request wins over configured credentials", async () => {
    const headers = new HeaderList();
    headers.set("Authorization", "Custom x");
    assert.equal(await authOf(config({ bearer_token: s("tok") }), headers), "Custom x");
  });

  test("an unreadable credentials file fails the request, not the build", async () => {
    const c = await withClient(config({ bearer_token_file: join(dir, "missing") }));
    await assert.rejects(send(c, server.url), /unable to read authorization credentials/);
  });

  test("http_headers are appended, one line per value", async () => {
    const c = await withClient(
      config({ http_headers: { "X-Multi": [s("a"), s("b")], "X-Scope-OrgID": [s("t")] } }),
    );
    const headers = new HeaderList();
    headers.set("X-Multi", "caller");
    await send(c, server.url, headers);
    const raw = server.seen.at(-1)?.rawHeaders ?? [];
    const values = raw.filter((_, i) => i % 2 === 1 && raw[i - 1]?.toLowerCase() === "x-multi");
    assert.deepEqual(values, ["caller", "a", "b"]);
    assert.equal(server.seen.at(-1)?.headers["x-scope-orgid"], "t");
  });
});

describe("oauth2 client credentials", () => {
  const oauth = (tokenUrl: string, overrides: Partial<OAuth2Config> = {}): OAuth2Config => ({
    client_id: "my-client",
    client_secret: s("my secret"),
    client_secret_file: undefined,
    scopes: ["read", "write"],
    token_url: tokenUrl,
    endpoint_params: { audience: "pyroscope" },
    proxy_url: undefined,
    no_proxy: undefined,
    proxy_from_environment: false,
    proxy_connect_header: undefined,
    tls_config: undefined,
    ...overrides,
  });

  test("fetches a token with the client credentials, caches it until expiry, sends it as Bearer", async () => {
    let issued = 0;
    const tokens = await startServer((req, res) => {
      issued++;
      const form = new URLSearchParams(req.body);
      const expected = `Basic ${Buffer.from("my-client:my+secret").toString("base64")}`;
      if (req.headers.authorization !== expected || form.get("grant_type") !== "client_credentials") {
        res.writeHead(401).end('{"error":"invalid_client"}');
        return;
      }
      assert.equal(form.get("scope"), "read write");
      assert.equal(form.get("audience"), "pyroscope");
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ access_token: `tok-${issued}`, token_type: "bearer", expires_in: 3600 }));
    });
    const api = await startServer();
    after(() => Promise.all([tokens.close(), api.close()]));
    const c = await withClient(config({ oauth2: oauth(`${tokens.url}/token`) }));
    await send(c, api.url);
    await send(c, api.url);
    assert.equal(issued, 1);
    assert.deepEqual(
      api.seen.map((r) => r.headers.authorization),
      ["Bearer tok-1", "Bearer tok-1"],
    );
  });

  test("a token about to expire (within 10s) is renewed; a server refusing header auth gets form fields", async () => {
    let issued = 0;
    const tokens = await startServer((req, res) => {
      const form = new URLSearchParams(req.body);
      if (req.headers.authorization !== undefined) {
        res.writeHead(401).end("use the form");
        return;
      }
      assert.equal(form.get("client_id"), "my-client");
      assert.equal(form.get("client_secret"), "from-file");
      issued++;
      res.setHeader("content-type", "application/x-www-form-urlencoded");
      res.end(`access_token=short-${issued}&expires_in=5`);
    });
    const api = await startServer();
    after(() => Promise.all([tokens.close(), api.close()]));
    const secret = file("client-secret", "from-file\n");
    const c = await withClient(
      config({
        oauth2: oauth(`${tokens.url}/token`, { client_secret: undefined, client_secret_file: secret }),
      }),
    );
    await send(c, api.url);
    await send(c, api.url);
    assert.equal(issued, 2);
    assert.deepEqual(
      api.seen.map((r) => r.headers.authorization),
      ["Bearer short-1", "Bearer short-2"],
    );
  });

  test("a token endpoint error fails the request", async () => {
    const tokens = await startServer((_req, res) => {
      res.writeHead(500).end("down");
    });
    const api = await startServer();
    after(() => Promise.all([tokens.close(), api.close()]));
    const c = await withClient(config({ oauth2: oauth(`${tokens.url}/token`) }));
    await assert.rejects(send(c, api.url), /oauth2: cannot fetch token: 500/);
    assert.equal(api.seen.length, 0);
  });
});

describe("TLS", () => {
  const certs = testCertificates();

  test("a CA (pem or file), insecure_skip_verify, and an unknown CA refused", async () => {
    const fake = await startFakePyroscope({ tls: { key: certs.server.key, cert: certs.server.cert } });
    after(() => fake.close());
    const ok = [
      tls({ ca_pem: certs.ca }),
      tls({ ca_file: certs.caFile }),
      tls({ insecure_skip_verify: true }),
      tls({ ca_pem: certs.ca, server_name: "localhost", min_version: "TLS13" }),
    ];
    for (const t of ok) {
      const c = await withClient(config({ tls_config: t }));
      assert.equal((await send(c, `${fake.url}/ingest`)).status, 200);
    }
    const unknown = await withClient(config({ tls_config: tls({ ca_pem: certs.otherCa }) }));
    await assert.rejects(send(unknown, `${fake.url}/ingest`));
    const wrongName = await withClient(
      config({ tls_config: tls({ ca_pem: certs.ca, server_name: "other.name" }) }),
    );
    await assert.rejects(send(wrongName, `${fake.url}/ingest`));
    const system = await withClient(config());
    await assert.rejects(send(system, `${fake.url}/ingest`));
  });

  test("a client certificate for a server that requires one", async () => {
    const fake = await startFakePyroscope({
      tls: { key: certs.server.key, cert: certs.server.cert, ca: certs.ca, requestCert: true },
    });
    after(() => fake.close());
    const withCert = await withClient(
      config({
        tls_config: tls({
          ca_pem: certs.ca,
          cert_file: certs.client.certFile,
          key_file: certs.client.keyFile,
        }),
      }),
    );
    assert.equal((await send(withCert, `${fake.url}/ingest`)).status, 200);
    const inline = await withClient(
      config({
        tls_config: tls({ ca_pem: certs.ca, cert_pem: certs.client.cert, key_pem: s(certs.client.key) }),
      }),
    );
    assert.equal((await send(inline, `${fake.url}/ingest`)).status, 200);
    const without = await withClient(config({ tls_config: tls({ ca_pem: certs.ca }) }));
    await assert.rejects(send(without, `${fake.url}/ingest`));
  });

  test("HTTP/2 is negotiated over TLS when enable_http2 (default), HTTP/1.1 when not", async () => {
    const fake = await startFakePyroscope({
      tls: { key: certs.server.key, cert: certs.server.cert },
      http2: true,
    });
    after(() => fake.close());
    const h2 = await withClient(config({ tls_config: tls({ ca_pem: certs.ca }) }));
    await send(h2, `${fake.url}/ingest`);
    const h1 = await withClient(config({ tls_config: tls({ ca_pem: certs.ca }), enable_http2: false }));
    await send(h1, `${fake.url}/ingest`);
    assert.deepEqual(
      fake.requests.map((r) => r.httpVersion),
      ["2.0", "1.1"],
    );
  });

  test("plain http stays HTTP/1.1 (Alloy's TestTransport)", async () => {
    const fake = await startFakePyroscope();
    after(() => fake.close());
    const c = await withClient(config());
    await send(c, `${fake.url}/ingest`);
    assert.equal(fake.requests[0]?.httpVersion, "1.1");
  });

  test("unusable TLS files fail the build with prometheus/common's wording, naming files only", async () => {
    await assert.rejects(
      HttpClient.create(config({ tls_config: tls({ ca_file: join(dir, "nope.pem") }) })),
      /^Error: unable to load specified CA cert .*nope\.pem/,
    );
    await assert.rejects(
      HttpClient.create(config({ tls_config: tls({ ca_pem: "not a cert" }) })),
      /unable to use specified CA cert/,
    );
    await assert.rejects(
      HttpClient.create(
        config({ tls_config: tls({ cert_pem: certs.client.cert, key_pem: s(certs.server.key) }) }),
      ),
      (err: Error) =>
        /unable to use specified client cert \(inline\) & key \(inline\)/.test(err.message) &&
        !err.message.includes("PRIVATE KEY"),
    );
  });
});

describe("proxies", () => {
  test("proxy_url: plain HTTP goes through the proxy in absolute form", async () => {
    const proxy = await startProxy();
    const server = await startServer();
    after(() => Promise.all([proxy.close(), server.close()]));
    const c = await withClient(config({ proxy_url: proxy.url }));
    assert.equal((await send(c, `${server.url}/ingest?x=1`)).text, "ok");
    assert.equal(proxy.requests[0]?.method, "POST");
    assert.equal(proxy.requests[0]?.target, `${server.url}/ingest?x=1`);
    assert.equal(server.seen[0]?.body, "payload");
  });

  test("proxy_url with HTTPS: a CONNECT tunnel carrying proxy_connect_header; TLS still verified end to end", async () => {
    const certs = testCertificates();
    const proxy = await startProxy();
    const fake = await startFakePyroscope({ tls: { key: certs.server.key, cert: certs.server.cert } });
    after(() => Promise.all([proxy.close(), fake.close()]));
    const c = await withClient(
      config({
        proxy_url: proxy.url,
        proxy_connect_header: { "X-Proxy-Token": [s("let-me-in")] },
        tls_config: tls({ ca_pem: certs.ca }),
      }),
    );
    assert.equal((await send(c, `${fake.url}/ingest`)).status, 200);
    assert.equal(proxy.requests[0]?.method, "CONNECT");
    assert.equal(proxy.requests[0]?.target, new URL(fake.url).host);
    assert.equal(proxy.requests[0]?.headers["x-proxy-token"], "let-me-in");
    assert.equal(fake.ingests.length, 1);
  });

  test("no_proxy: matching hosts go direct; others through the proxy", async () => {
    const proxy = await startProxy();
    const server = await startServer();
    after(() => Promise.all([proxy.close(), server.close()]));
    const c = await withClient(config({ proxy_url: proxy.url, no_proxy: "skip.test" }));
    // backend.test only resolves through the proxy.
    assert.equal((await send(c, `http://backend.test:${server.port}/a`)).text, "ok");
    assert.equal(proxy.requests.length, 1);
    // Under no_proxy rules loopback addresses are never proxied (Go's httpproxy).
    assert.equal((await send(c, `${server.url}/b`)).text, "ok");
    assert.equal(proxy.requests.length, 1);
    await assert.rejects(send(c, `http://api.skip.test:${server.port}/c`));
    assert.equal(proxy.requests.length, 1);
  });

  test("proxy_from_environment uses HTTP_PROXY", async () => {
    const proxy = await startProxy();
    const server = await startServer();
    after(() => Promise.all([proxy.close(), server.close()]));
    const c = await withClient(config({ proxy_from_environment: true }), { HTTP_PROXY: proxy.url });
    assert.equal((await send(c, `http://backend.test:${server.port}/`)).text, "ok");
    assert.equal(proxy.requests.length, 1);
  });
});

describe("redirects", () => {
  test("302 turns a POST into a GET without body; 307 resends it", async () => {
    const target = await startServer();
    const redirector = await startServer((req, res) => {
      const code = req.url === "/302" ? 302 : 307;
      res.writeHead(code, { location: `${target.url}/landed${req.url}` }).end();
    });
    after(() => Promise.all([target.close(), redirector.close()]));
    const c = await withClient(config());
    assert.equal((await send(c, `${redirector.url}/302`)).url, `${target.url}/landed/302`);
    assert.equal((await send(c, `${redirector.url}/307`)).status, 200);
    assert.deepEqual(
      target.seen.map((r) => [r.method, r.url, r.body]),
      [
        ["GET", "/landed/302", ""],
        ["POST", "/landed/307", "payload"],
      ],
    );
  });

  test("credentials do not follow a redirect to another host", async () => {
    const target = await startServer();
    const redirector = await startServer((_req, res) => {
      res.writeHead(307, { location: `http://localhost:${target.port}/elsewhere` }).end();
    });
    after(() => Promise.all([target.close(), redirector.close()]));
    const c = await withClient(config({ bearer_token: s("secret-token") }));
    await send(c, redirector.url);
    assert.equal(redirector.seen[0]?.headers.authorization, "Bearer secret-token");
    assert.equal(target.seen[0]?.headers.authorization, undefined);
  });

  test("follow_redirects=false returns the 3xx; a loop stops after 10 requests", async () => {
    const loop = await startServer((req, res) => {
      res.writeHead(307, { location: req.url }).end();
    });
    after(() => loop.close());
    const noFollow = await withClient(config({ follow_redirects: false }));
    assert.equal((await send(noFollow, `${loop.url}/x`)).status, 307);
    const follow = await withClient(config());
    await assert.rejects(send(follow, `${loop.url}/y`), /Post ".*\/y": stopped after 10 redirects/);
    assert.equal(loop.seen.length, 11);
  });
});
