import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { startBackend } from "./backend.ts";
import { buildGoRelay, referenceMissing, startGoRelay, startNodeFloor } from "./references.ts";
import { which } from "./tools.ts";

/** Sends one profile through `url` and checks it reached the backend whole. */
async function forwardsIngest(url: string, backend: Awaited<ReturnType<typeof startBackend>>): Promise<void> {
  const body = new Uint8Array(1000).fill(7);
  const res = await fetch(`${url}/ingest?name=app%7Benv%3Da%7D&from=1&until=2`, {
    method: "POST",
    headers: { "Content-Type": "application/octet-stream" },
    body,
  });
  assert.equal(res.status, 200);
  await res.arrayBuffer();
  assert.deepEqual(
    { requests: backend.stats().ingestRequests, bytes: backend.stats().ingestBytes },
    { requests: 1, bytes: 1000 },
  );
}

const goMissing =
  referenceMissing("go") ?? (which("go") === undefined ? "no Go compiler on PATH" : undefined);
test("the Go reference builds into a temporary folder and forwards /ingest to the backend", {
  skip: goMissing,
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "bench-go-relay-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const built = await buildGoRelay(which("go")!, dir);
  assert.ok("binary" in built, "error" in built ? built.error : "");
  const backend = await startBackend({ delayMs: 0 });
  t.after(() => backend.close());
  const relay = await startGoRelay(built.binary, backend.port, 1);
  t.after(() => relay.stop());
  await forwardsIngest(relay.url, backend);
});

test("the Node floor forwards /ingest to the backend", {
  skip: referenceMissing("node-floor"),
}, async (t) => {
  const backend = await startBackend({ delayMs: 0 });
  t.after(() => backend.close());
  const floor = await startNodeFloor(process.execPath, backend.port);
  t.after(() => floor.stop());
  await forwardsIngest(floor.url, backend);
});
