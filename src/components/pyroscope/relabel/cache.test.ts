import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Labels } from "../../../pyroscope/labels.ts";
import { DROPPED, labelSetKey, RelabelCache } from "./cache.ts";

const ls = (r: Record<string, string>) => Labels.from(r);

describe("labelSetKey", () => {
  test("different sets never share a key, even when names and values run into each other", () => {
    const sets = [
      ls({ a: "bc" }),
      ls({ ab: "c" }),
      ls({ a: "b", c: "" }),
      ls({ a: "1:b" }),
      ls({ "a1:": "b" }),
      ls({}),
      ls({ A: "K6sjsNNczPl", __name__: "app.cpu" }),
      ls({ A: "cswpLMIZpwt", __name__: "app.cpu" }),
    ];
    const keys = new Set(sets.map(labelSetKey));
    assert.equal(keys.size, sets.length);
  });

  test("the same set built in another order has the same key", () => {
    assert.equal(
      labelSetKey(ls({ a: "1", b: "2" })),
      labelSetKey(
        Labels.from([
          { name: "b", value: "2" },
          { name: "a", value: "1" },
        ]),
      ),
    );
  });
});

describe("RelabelCache", () => {
  test("holds results and DROPPED; the least recently used goes first", () => {
    const c = new RelabelCache(2);
    c.set(ls({ a: "1" }), ls({ b: "1" }));
    c.set(ls({ a: "2" }), DROPPED);
    assert.equal(c.get(ls({ a: "2" })), DROPPED);
    assert.deepEqual((c.get(ls({ a: "1" })) as Labels).toRecord(), { b: "1" }); // a=1 is now the most recent
    c.set(ls({ a: "3" }), DROPPED);
    assert.equal(c.size, 2);
    assert.equal(c.has(ls({ a: "2" })), false);
    assert.equal(c.get(ls({ a: "9" })), undefined);
  });

  test("resize evicts the oldest and reports how many; purge empties", () => {
    const c = new RelabelCache(5);
    for (let i = 0; i < 5; i++) c.set(ls({ i: String(i) }), DROPPED);
    assert.equal(c.resize(3), 2);
    assert.deepEqual(
      [0, 1, 2, 3, 4].map((i) => c.has(ls({ i: String(i) }))),
      [false, false, true, true, true],
    );
    assert.equal(c.resize(10), 0);
    c.purge();
    assert.equal(c.size, 0);
  });
});
