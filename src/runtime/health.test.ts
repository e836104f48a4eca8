import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { health, leastHealthy } from "./health.ts";

describe("leastHealthy", () => {
  const t = (ms: number) => new Date(1_700_000_000_000 + ms);

  it("orders healthy < unknown < unhealthy < exited", () => {
    assert.equal(leastHealthy(health("healthy", "a", t(0)), health("unknown", "b", t(0))).state, "unknown");
    assert.equal(
      leastHealthy(health("unhealthy", "a", t(0)), health("unknown", "b", t(9))).state,
      "unhealthy",
    );
    assert.equal(leastHealthy(health("unhealthy", "a", t(9)), health("exited", "b", t(0))).state, "exited");
  });

  it("breaks ties by the most recent update", () => {
    const h = leastHealthy(health("unhealthy", "old", t(1)), health("unhealthy", "new", t(2)));
    assert.equal(h.message, "new");
  });
});
