import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileCleanup, makeTempDir } from "../../../../../test/support/cleanup.ts";
import { DeadLetters } from "./dead-letters.ts";
import type { IngestItem } from "./item.ts";

const cleanup = fileCleanup();

function ingest(id: string, body = "profile bytes"): IngestItem {
  return {
    kind: "ingest",
    id,
    receivedAt: 1_700_000_000_000,
    headers: [["authorization", "Bearer secret-token"]],
    body: Buffer.from(body),
    contentType: ["application/octet-stream"],
    path: "/ingest",
    query: "name=app.cpu%7B%7D",
  };
}

describe("the dead-letter folder", () => {
  test("keeps the reason and the bytes, never header values, and stays within its limits", async () => {
    const parent = await makeTempDir(cleanup, "dead-");
    const dir = join(parent, "dead-letter");
    const dl = new DeadLetters(dir, { maxEntries: 3 });
    for (let i = 0; i < 5; i++) {
      assert.equal(
        await dl.add(ingest(`item-${i}`), { endpoint: "b", status: 400, error: "bad" }, 1000 + i),
        true,
      );
    }
    const names = (await readdir(dir)).sort();
    assert.deepEqual(
      names.filter((n) => n.endsWith(".json")).map((n) => n.split("-")[2]),
      ["2", "3", "4"],
      "the oldest entries were removed",
    );
    assert.equal(names.length, 6, "a .json and a .body per entry");
    const json = await readFile(join(dir, names.find((n) => n.endsWith(".json"))!), "utf8");
    const meta = JSON.parse(json);
    assert.equal(meta.status, 400);
    assert.equal(meta.error, "bad");
    assert.deepEqual(meta.headerNames, ["authorization"]);
    assert.doesNotMatch(json, /secret-token/);
    assert.deepEqual(await readFile(join(dir, meta.body.file)), Buffer.from("profile bytes"));

    // a new instance finds the entries on disk and keeps trimming them
    const again = new DeadLetters(dir, { maxEntries: 3, maxBytes: 100_000 });
    await again.add(ingest("item-5"), { endpoint: "b", error: "bad" }, 2000);
    assert.equal((await readdir(dir)).filter((n) => n.endsWith(".json")).length, 3);
  });

  test("a profile larger than the folder's byte limit is described but its bytes are not kept", async () => {
    const parent = await makeTempDir(cleanup, "dead-");
    const dir = join(parent, "dead-letter");
    const dl = new DeadLetters(dir, { maxBytes: 10 });
    await dl.add(ingest("big", "x".repeat(100)), { endpoint: "b", error: "too big" });
    const names = await readdir(dir);
    assert.equal(names.length, 1);
    const meta = JSON.parse(await readFile(join(dir, names[0]!), "utf8"));
    assert.equal(meta.body.file, undefined);
    assert.match(meta.note, /not kept/);
  });
});
