import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { shareOfTotal } from "./share.ts";

describe("shareOfTotal", () => {
  it("divides a total so the shares add up to it", () => {
    const shares = [0, 1, 2].map((index) => shareOfTotal(16384, { index, count: 3 }));
    assert.deepEqual(shares, [5462, 5461, 5461]);
    assert.equal(
      shares.reduce((a, b) => a + b),
      16384,
    );
  });

  it("keeps 0 (no limit) and the total of a single process", () => {
    assert.equal(shareOfTotal(0, { index: 1, count: 4 }), 0);
    assert.equal(shareOfTotal(100, { index: 0, count: 1 }), 100);
  });

  it("never goes below the minimum", () => {
    assert.equal(shareOfTotal(2, { index: 3, count: 4 }), 1);
    assert.equal(shareOfTotal(1000, { index: 0, count: 4 }, 400), 400);
  });
});
