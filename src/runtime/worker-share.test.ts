import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { shareOf } from "./worker-share.ts";

describe("shareOf", () => {
  it("divides a total so the shares add up to it", () => {
    const shares = [0, 1, 2].map((index) => shareOf(16384, { index, count: 3 }));
    assert.deepEqual(shares, [5462, 5461, 5461]);
    assert.equal(
      shares.reduce((a, b) => a + b),
      16384,
    );
  });

  it("keeps 0 (no limit) and the total of a single process", () => {
    assert.equal(shareOf(0, { index: 1, count: 4 }), 0);
    assert.equal(shareOf(100, { index: 0, count: 1 }), 100);
  });

  it("never goes below the minimum", () => {
    assert.equal(shareOf(2, { index: 3, count: 4 }), 1);
    assert.equal(shareOf(1000, { index: 0, count: 4 }, 400), 400);
  });
});
