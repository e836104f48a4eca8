import assert from "node:assert/strict";
import { test } from "node:test";
import { waitUntilSettled } from "./runner.ts";

test("settling waits until the counters stop moving, and no longer than the limit", async () => {
  let reads = 0;
  // the count grows for the first four reads, then holds
  await waitUntilSettled(async () => Math.min(++reads, 4), 5, 5000);
  assert.equal(reads, 5);

  // counters that never hold: it gives up at the limit instead of waiting for ever
  let forever = 0;
  await waitUntilSettled(async () => ++forever, 5, 60);
  assert.ok(forever >= 2);
});
