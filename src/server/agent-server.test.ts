import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createLogging } from "../runtime/logging.ts";
import { type AgentHandlers, type AgentServer, startAgentServer } from "./agent-server.ts";
import type { ComponentJSON } from "./components-api.ts";
import { parseListenAddress } from "./listen-address.ts";

const component = { localID: "pyroscope.write.a" } as ComponentJSON;

describe("agent server routes", () => {
  let server: AgentServer;
  let base: string;
  const state = { ready: false, unhealthy: [] as string[], reloadError: undefined as string | undefined };
  const handlers: AgentHandlers = {
    ready: () => state.ready,
    unhealthyComponentNames: () => state.unhealthy,
    reload: async () => ({ error: state.reloadError }),
    metrics: async () => ({ body: "m 1\n", contentType: "text/plain; version=0.0.4; charset=utf-8" }),
    components: () => [component],
    component: (id) => (id === "pyroscope.write.a" ? component : undefined),
  };

  before(async () => {
    server = await startAgentServer("127.0.0.1:0", handlers, createLogging({ out: () => {} }).logger);
    base = `http://127.0.0.1:${server.address.port}`;
  });
  after(() => server.close(1_000));

  async function call(path: string, method = "GET") {
    const res = await fetch(`${base}${path}`, { method });
    return { status: res.status, body: await res.text(), type: res.headers.get("content-type") };
  }

  it("answers /-/ready with 503 until the initial load, then 200", async () => {
    state.ready = false;
    assert.deepEqual(await call("/-/ready"), {
      status: 503,
      body: "Alloy is not ready.\n",
      type: "text/plain; charset=utf-8",
    });
    state.ready = true;
    assert.equal((await call("/-/ready", "HEAD")).status, 200);
    assert.equal((await call("/-/ready")).body, "Alloy is ready.\n");
  });

  it("answers /-/healthy with 500 and the unhealthy component names", async () => {
    state.unhealthy = [];
    assert.deepEqual(await call("/-/healthy"), {
      status: 200,
      body: "All Alloy components are healthy.\n",
      type: "text/plain; charset=utf-8",
    });
    state.unhealthy = ["pyroscope.write", "pyroscope.receive_http"];
    assert.deepEqual(await call("/-/healthy"), {
      status: 500,
      body: "unhealthy components: pyroscope.write, pyroscope.receive_http\n",
      type: "text/plain; charset=utf-8",
    });
  });

  it("reloads on GET and POST only", async () => {
    state.reloadError = undefined;
    assert.deepEqual(await call("/-/reload", "POST"), {
      status: 200,
      body: "config reloaded\n",
      type: "text/plain; charset=utf-8",
    });
    state.reloadError = "main.alloy:1:1: bad (and 2 more diagnostics)";
    assert.deepEqual(await call("/-/reload"), {
      status: 400,
      body: "main.alloy:1:1: bad (and 2 more diagnostics)\n",
      type: "text/plain; charset=utf-8",
    });
    assert.equal((await call("/-/reload", "PUT")).status, 404);
  });

  it("serves /metrics and the components API", async () => {
    assert.deepEqual(await call("/metrics"), {
      status: 200,
      body: "m 1\n",
      type: "text/plain; version=0.0.4; charset=utf-8",
    });
    const list = await call("/api/v0/web/components");
    assert.equal(list.type, "application/json");
    assert.deepEqual(JSON.parse(list.body), [component]);
    assert.deepEqual(JSON.parse((await call("/api/v0/web/components/pyroscope.write.a")).body), component);
    // As in Alloy, whose router registers these routes without a method.
    assert.deepEqual(JSON.parse((await call("/api/v0/web/components", "POST")).body), [component]);
    assert.equal((await call("/api/v0/web/components/pyroscope.write.a", "POST")).status, 200);
    assert.deepEqual(await call("/api/v0/web/components/nope"), {
      status: 404,
      body: "404 page not found\n",
      type: "text/plain; charset=utf-8",
    });
    assert.equal((await call("/elsewhere")).status, 404);
  });

  it("refuses an address it cannot listen on", async () => {
    await assert.rejects(
      startAgentServer(`127.0.0.1:${server.address.port}`, handlers, createLogging({ out: () => {} }).logger),
      /^Error: failed to listen on 127\.0\.0\.1:\d+: listen EADDRINUSE/,
    );
  });
});

describe("parseListenAddress", () => {
  it("reads Go listen addresses", () => {
    assert.deepEqual(parseListenAddress("127.0.0.1:12345"), { host: "127.0.0.1", port: 12345 });
    assert.deepEqual(parseListenAddress(":4040"), { host: undefined, port: 4040 });
    assert.deepEqual(parseListenAddress("[::1]:0"), { host: "::1", port: 0 });
    assert.throws(() => parseListenAddress("localhost"), /missing port in address/);
    assert.throws(() => parseListenAddress("a:b"), /invalid port/);
  });
});
