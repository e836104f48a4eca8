import assert from "node:assert/strict";
import { test } from "node:test";
import { BoundedCache } from "./bounded-cache.ts";

test("finds what was set, also by an equal key made anew, and the last entry does not shadow others", () => {
  const cache = new BoundedCache<string, number>(8);
  cache.set("name=app", 1);
  cache.set("name=other", 2);
  const made = ["name", "app"].join("=");
  assert.equal(cache.get(made), 1);
  assert.equal(cache.get(made), 1);
  assert.equal(cache.get("name=other"), 2);
  assert.equal(cache.get("name=none"), undefined);
  assert.equal(cache.get("name=app"), 1);
});

test("forgets everything when full, and stays bounded", () => {
  const cache = new BoundedCache<string, number>(3);
  for (let i = 0; i < 3; i++) cache.set(`k${i}`, i);
  assert.equal(cache.get("k2"), 2);
  cache.set("k3", 3);
  assert.equal(cache.get("k0"), undefined);
  assert.equal(cache.get("k1"), undefined);
  assert.equal(cache.get("k2"), undefined);
  assert.equal(cache.get("k3"), 3);
});
