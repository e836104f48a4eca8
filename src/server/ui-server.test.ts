/**
 * The UI routes of the agent server over real HTTP: pages and assets behind a prefix, the live debugging
 * stream (with a viewer too slow to keep up), the graph's counts and the profile bytes.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { until } from "../../test/support/until.ts";
import { IngestQuery } from "../pyroscope/ingest-query.ts";
import { Labels } from "../pyroscope/labels.ts";
import { ingestEvent } from "../runtime/livedebugging/event.ts";
import { LiveDebugging } from "../runtime/livedebugging/hub.ts";
import { createLogging } from "../runtime/logging.ts";
import { type AgentServer, startAgentServer } from "./agent-server.ts";
import type { ComponentJSON } from "./components-api.ts";
import { loadBundle } from "./ui-assets.ts";

const component = { localID: "pyroscope.receive_http.a" } as ComponentJSON;

function upload(body: string, labels: Record<string, string> = { service_name: "app" }) {
  return ingestEvent(
    {
      labels: Labels.from(labels),
      body: Buffer.from(body),
      contentType: ["text/plain"],
      path: "/ingest",
      query: IngestQuery.parse("format=folded"),
      headers: {},
    },
    [{ target: "forward_to", state: "delivered" }],
  );
}

describe("agent server: the web UI", { timeout: 60_000 }, () => {
  let dir: string;
  let server: AgentServer;
  let base: string;
  const hub = new LiveDebugging();
  const tap = hub.tap("pyroscope.receive_http.a");

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "profile-relay-ui-server-"));
    await mkdir(join(dir, "assets"));
    await writeFile(join(dir, "index.html"), "<html><head>\n<title>t</title></head></html>");
    await writeFile(join(dir, "assets", "app.js"), "console.log(1)");
    server = await startAgentServer(
      "127.0.0.1:0",
      {
        ready: () => true,
        unhealthyComponentNames: () => [],
        reload: async () => ({}),
        metrics: async () => ({ body: "", contentType: "text/plain" }),
        components: () => [component],
        component: (id) => (id === component.localID ? component : undefined),
      },
      createLogging({ out: () => {} }).logger,
      {
        prefix: "/relay/",
        bundle: loadBundle(dir, "/relay/"),
        liveDebugging: hub,
        figures: async (id) =>
          id === component.localID ? { profiles: 1, bytes: 2, errors: 0, endpoints: [] } : undefined,
      },
    );
    base = `http://127.0.0.1:${server.address.port}`;
  });
  after(async () => {
    await server.close(1_000);
    await rm(dir, { recursive: true, force: true });
  });

  it("serves the pages and assets under the prefix, and the API there too", async () => {
    for (const page of ["/relay/", "/relay/component/x.y", "/relay/graph", "/relay/debug/x.y"]) {
      const res = await fetch(`${base}${page}`);
      assert.equal(res.status, 200, page);
      assert.match(await res.text(), /<head>\n {4}<base href="\/relay\/">/);
    }
    const js = await fetch(`${base}/relay/assets/app.js`);
    assert.equal(js.headers.get("content-type"), "text/javascript; charset=utf-8");
    const root = await fetch(`${base}/`, { redirect: "manual" });
    assert.equal(root.status, 302);
    assert.equal(root.headers.get("location"), "/relay/");
    assert.equal((await fetch(`${base}/relay/elsewhere`)).status, 404);
    assert.equal((await fetch(`${base}/api/v0/web/components`)).status, 404);
    assert.deepEqual(await (await fetch(`${base}/relay/api/v0/web/components`)).json(), [component]);
    assert.deepEqual(await (await fetch(`${base}/relay/api/v0/web/figures/${component.localID}`)).json(), {
      profiles: 1,
      bytes: 2,
      errors: 0,
      endpoints: [],
    });
    assert.equal((await fetch(`${base}/relay/api/v0/web/figures/nope`)).status, 404);
    assert.equal((await fetch(`${base}/-/ready`)).status, 200, "the agent's own routes stay unprefixed");
  });

  it("answers as Alloy does while live debugging is off, and refuses bad parameters", async () => {
    const off = await fetch(`${base}/relay/api/v0/web/debug/${component.localID}`);
    assert.equal(off.status, 500);
    assert.equal(
      await off.text(),
      "the live debugging service is disabled. Check the documentation to find out how to enable it\n",
    );
    hub.setEnabled(true);
    const bad = await fetch(`${base}/relay/api/v0/web/debug/${component.localID}?sampleProb=2`);
    assert.deepEqual([bad.status, await bad.text()], [400, "Invalid sample probability\n"]);
    const window = await fetch(`${base}/relay/api/v0/web/graph?window=0`);
    assert.deepEqual(
      [window.status, await window.text()],
      [400, "Invalid window: must be an integer between 1 and 60\n"],
    );
  });

  it("streams a component's events, and serves the profile of one", async () => {
    hub.setEnabled(true);
    const abort = new AbortController();
    const res = await fetch(`${base}/relay/api/v0/web/debug/${component.localID}`, { signal: abort.signal });
    assert.equal(res.status, 200);
    await until("a viewer on the component", () => tap.watched);
    tap.publish(upload("a;b 1\n", { service_name: "app", env: "prod" }));
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("|;|")) text += (await reader.read()).value ?? "";
    const got = JSON.parse(text.slice(0, text.indexOf("|;|")));
    assert.deepEqual(
      { ...got, time: typeof got.time },
      {
        seq: got.seq,
        componentID: "pyroscope.receive_http.a",
        time: "string",
        route: "ingest",
        labels: { env: "prod", service_name: "app" },
        format: "folded",
        size: 6,
        profiles: 1,
        contentType: "text/plain",
        outcomes: [{ target: "forward_to", state: "delivered" }],
      },
    );
    const q = `component=${component.localID}&seq=${got.seq}&index=0`;
    const profile = await fetch(`${base}/relay/api/v0/web/livedebugging/profile?${q}`);
    assert.equal(profile.headers.get("x-profile-format"), "folded");
    assert.equal(await profile.text(), "a;b 1\n");
    const gone = await fetch(`${base}/relay/api/v0/web/livedebugging/profile?component=x&seq=1`);
    assert.equal(gone.status, 404);
    abort.abort();
    await until("no viewer left on the component", () => !tap.watched);
  });

  it("drops what a viewer too slow to read cannot take, and says how much", async () => {
    hub.setEnabled(true);
    const socket = connect(server.address.port, "127.0.0.1");
    let received = "";
    socket.on("data", (d: Buffer) => {
      received += d.toString("latin1");
    });
    socket.write(`GET /relay/api/v0/web/debug/${component.localID} HTTP/1.1\r\nHost: x\r\n\r\n`);
    await until("the stream's response head", () => tap.watched && received.includes("\r\n\r\n"));
    socket.pause();
    // far more than the socket buffers hold, published at once: the relay never waits for the viewer
    const big = "x".repeat(64 * 1024);
    for (let i = 0; i < 1000; i++) tap.publish(upload("a 1\n", { service_name: "app", big }));
    socket.resume();
    await until("the dropped count", () => received.includes('{"dropped":'));
    const dropped = Number(/\{"dropped":(\d+)\}/.exec(received)![1]);
    assert.ok(dropped > 0 && dropped < 1000, `dropped ${dropped}`);
    socket.destroy();
    await until("no viewer left on the component", () => !tap.watched);
  });

  it("streams every component's profile counts per window for the graph", async () => {
    hub.setEnabled(true);
    const abort = new AbortController();
    const res = await fetch(`${base}/relay/api/v0/web/graph?window=1`, { signal: abort.signal });
    await until("a viewer on the component", () => tap.watched);
    tap.publish(upload("a 1\n"));
    tap.publish(upload("a 1\n"));
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("|;|")) text += (await reader.read()).value ?? "";
    assert.deepEqual(JSON.parse(text.slice(0, text.indexOf("|;|"))), {
      componentID: "pyroscope.receive_http.a",
      count: 2,
      rate: 2,
      type: "pyroscope_profile",
      targetComponentIDs: [],
    });
    abort.abort();
    await until("no viewer left on the component", () => !tap.watched);
  });
});
