import assert from "node:assert/strict";
import { test } from "node:test";
import type { Entry } from "./backlog.ts";
import { ItemCache } from "./cache.ts";
import type { QueueItem } from "./item.ts";

const item = { kind: "ingest" } as QueueItem;
const entry = (position: number): Entry => ({
  position,
  length: 100,
  receivedAt: 0,
  bytes: 80,
  profiles: 1,
  item,
  corrupt: false,
});

test("the item cache lets the oldest items go past its budget and when entries leave the backlog", () => {
  const cache = new ItemCache(250);
  const entries = [0, 100, 200, 300].map(entry);
  for (const e of entries) cache.add(e);
  assert.deepEqual(
    entries.map((e) => e.item !== undefined),
    [false, false, true, true],
  );
  assert.equal(cache.bytes, 200);
  cache.releaseAll(entries.slice(0, 3));
  assert.equal(entries[2]?.item, undefined);
  assert.equal(cache.bytes, 100);
});
