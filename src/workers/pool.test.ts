import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FIRST_RESTART_DELAY_MS, MAX_RESTART_DELAY_MS, restartDelay, STABLE_RUN_MS } from "./pool.ts";

describe("restartDelay", () => {
  it("doubles for a worker that keeps dying, up to the maximum", () => {
    let next = FIRST_RESTART_DELAY_MS;
    const waits: number[] = [];
    for (let i = 0; i < 7; i++) {
      const d = restartDelay(100, next);
      waits.push(d.delayMs);
      next = d.nextDelayMs;
    }
    assert.deepEqual(waits, [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
    assert.equal(next, MAX_RESTART_DELAY_MS);
  });

  it("starts again from the first delay after a worker ran a while", () => {
    assert.deepEqual(restartDelay(STABLE_RUN_MS, MAX_RESTART_DELAY_MS), {
      delayMs: 1_000,
      nextDelayMs: 2_000,
    });
  });
});
