import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { rewriteQueryTimes } from "./replay-call.ts";

const NOW = Date.parse("2030-01-01T00:00:00.000Z");
const RECEIVED = Date.parse("2025-03-01T10:00:00.000Z");

describe("rewriteQueryTimes", () => {
  test("until becomes now and the duration is kept, in the unit it was sent in", () => {
    const s = RECEIVED / 1000;
    assert.equal(
      rewriteQueryTimes(`name=a%7Bb%3Dc%7D&from=${s - 10}&until=${s}&x=1`, NOW, RECEIVED),
      `name=a%7Bb%3Dc%7D&from=${NOW / 1000 - 10}&until=${NOW / 1000}&x=1`,
    );
    const ns = BigInt(RECEIVED) * 1_000_000n;
    assert.equal(
      rewriteQueryTimes(`from=${ns - 5_000_000_000n}&until=${ns}`, NOW, RECEIVED),
      `from=${BigInt(NOW) * 1_000_000n - 5_000_000_000n}&until=${BigInt(NOW) * 1_000_000n}`,
    );
    assert.equal(
      rewriteQueryTimes(`until=${RECEIVED}&from=${RECEIVED - 2000}`, NOW, RECEIVED),
      `until=${NOW}&from=${NOW - 2000}`,
    );
  });

  test("only from: its distance to the receive time is kept; relative and absent times are left alone", () => {
    assert.equal(rewriteQueryTimes(`from=${RECEIVED / 1000 - 60}`, NOW, RECEIVED), `from=${NOW / 1000 - 60}`);
    assert.equal(rewriteQueryTimes("from=now-1h&until=now", NOW, RECEIVED), "from=now-1h&until=now");
    assert.equal(rewriteQueryTimes("name=app&format=jfr", NOW, RECEIVED), "name=app&format=jfr");
  });
});
