import assert from "node:assert/strict";
import { test } from "node:test";
import { PUSH_PATH, startBackend } from "./backend.ts";

test("the backend acknowledges ingest and push, and counts what arrived", async (t) => {
  const backend = await startBackend({ delayMs: 0 });
  t.after(() => backend.close());

  const ingest = await fetch(`${backend.url}/ingest?name=app`, { method: "POST", body: new Uint8Array(100) });
  assert.equal(ingest.status, 200);
  assert.equal(await ingest.text(), "");

  const push = await fetch(`${backend.url}${PUSH_PATH}`, {
    method: "POST",
    headers: { "Content-Type": "application/proto" },
    body: new Uint8Array(7),
  });
  assert.equal(push.status, 200);
  assert.equal(push.headers.get("content-type"), "application/proto");
  assert.equal((await push.arrayBuffer()).byteLength, 0);

  const other = await fetch(`${backend.url}/nope`, { method: "POST", body: "x" });
  assert.equal(other.status, 404);
  await other.text();

  assert.deepEqual(backend.stats(), {
    ingestRequests: 1,
    ingestBytes: 100,
    pushRequests: 1,
    pushBytes: 7,
    otherRequests: 1,
  });
  const stats = await fetch(`${backend.url}/stats`);
  assert.deepEqual(await stats.json(), backend.stats());
});

test("the slow backend still answers a JSON push with an empty JSON message", async (t) => {
  const backend = await startBackend({ delayMs: 20 });
  t.after(() => backend.close());
  const res = await fetch(`${backend.url}${PUSH_PATH}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: "{}",
  });
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "{}");
  assert.equal(backend.stats().pushRequests, 1);
});
