/**
 * End to end with the real Pyroscope Node SDK (`@pyroscope/nodejs`): it profiles this process and uploads to a
 * running receive_http through a recording TCP proxy, so the bytes the SDK sent can be compared with what the
 * receiver got.
 */
import assert from "node:assert/strict";
import { connect, createServer, type Server } from "node:net";
import { test } from "node:test";
import { gunzipSync } from "node:zlib";
import Pyroscope from "@pyroscope/nodejs";
import { Profile } from "pprof-format";
import { RecordingReceiver, start, testArgs } from "./testkit.ts";

/** A TCP proxy to `port` that keeps every byte clients send. */
async function recordingProxy(port: number): Promise<{ server: Server; port: number; sent: () => Buffer }> {
  const chunks: Buffer[] = [];
  const server = createServer((client) => {
    const upstream = connect(port, "127.0.0.1");
    client.on("data", (d: Buffer) => chunks.push(d));
    client.pipe(upstream);
    upstream.pipe(client);
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, port: (server.address() as { port: number }).port, sent: () => Buffer.concat(chunks) };
}

/** Splits recorded HTTP/1.1 traffic into requests (the SDK sends Content-Length bodies). */
function parseRequests(raw: Buffer): { target: string; headers: Record<string, string>; body: Buffer }[] {
  const out: { target: string; headers: Record<string, string>; body: Buffer }[] = [];
  let at = 0;
  while (at < raw.length) {
    const end = raw.indexOf("\r\n\r\n", at);
    if (end < 0) break;
    const [line = "", ...lines] = raw.subarray(at, end).toString("latin1").split("\r\n");
    const headers: Record<string, string> = {};
    for (const l of lines) {
      const i = l.indexOf(":");
      headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
    }
    const length = Number(headers["content-length"] ?? "0");
    out.push({ target: line.split(" ")[1] ?? "", headers, body: raw.subarray(end + 4, end + 4 + length) });
    at = end + 4 + length;
  }
  return out;
}

test("the Node SDK's wall and heap profiles arrive downstream byte-identical with the expected labels", async () => {
  const receiver = new RecordingReceiver();
  const running = await start(testArgs([receiver], { forward_headers: ["X-Scope-OrgID"] }));
  const proxy = await recordingProxy(running.port);
  try {
    Pyroscope.init({
      serverAddress: `http://127.0.0.1:${proxy.port}`,
      appName: "e2e-app",
      tags: { env: "e2e" },
      tenantID: "tenant-e2e",
      flushIntervalMs: 300,
    });
    Pyroscope.start();
    const kinds = () =>
      new Set(receiver.ingests.map((r) => (r.query.toString().includes("sampleRate") ? "wall" : "heap")));
    const deadline = Date.now() + 20_000;
    let work = 0;
    while (kinds().size < 2 && Date.now() < deadline) {
      for (let i = 0; i < 1e5; i++) work += Math.sqrt(i); // something to sample
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(work > 0);
    await Pyroscope.stop();
    assert.equal(kinds().size, 2, "both a wall and a heap profile arrived");

    const sent = parseRequests(proxy.sent()).filter((r) => r.target.startsWith("/ingest"));
    assert.equal(sent.length, receiver.ingests.length);
    for (const [i, got] of receiver.ingests.entries()) {
      const original = sent[i]!;
      assert.ok(Buffer.from(got.body).equals(original.body), `profile ${i} is byte-identical`);
      assert.equal(`/ingest?${got.query}`, original.target);
      assert.deepEqual(got.contentType, [original.headers["content-type"]]);
      assert.deepEqual(got.headers, { "x-scope-orgid": "tenant-e2e" });
      const labels = got.labels.toRecord();
      assert.equal(labels["__name__"], "e2e-app");
      assert.equal(labels["service_name"], "e2e-app");
      assert.equal(labels["env"], "e2e");
      assert.equal(labels["otel.scope.name"], "com.grafana.pyroscope/nodejs");
      assert.equal(labels["process.runtime.name"], "nodejs");
      const profile = Profile.decode(gunzipSync(got.body));
      const types = profile.sampleType.map((t) => `${profile.stringTable.strings[Number(t.type)]}`);
      assert.ok(
        types.includes("wall") || types.includes("inuse_space"),
        `a wall or heap profile, got ${types.join(",")}`,
      );
    }
  } finally {
    await Pyroscope.stop().catch(() => {});
    proxy.server.close();
    await running.stop();
  }
});
