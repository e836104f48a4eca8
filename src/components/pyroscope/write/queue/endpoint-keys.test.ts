import assert from "node:assert/strict";
import { test } from "node:test";
import { endpointKeys } from "./endpoint-keys.ts";

const ep = (url: string, name = "") =>
  ({ args: { url, name } }) as Parameters<typeof endpointKeys>[0][number];

test("endpoint keys: the name when set, else a hash of the URL (never the URL); repeats numbered", () => {
  const keys = endpointKeys([
    ep("http://user:secret@a:4040"),
    ep("http://b:4040", "b"),
    ep("http://user:secret@a:4040"),
    ep("http://c:4040", "b"),
  ]);
  assert.match(keys[0] ?? "", /^url:[0-9a-f]{16}$/);
  assert.deepEqual(keys.slice(1), ["name:b", `${keys[0]}#2`, "name:b#2"]);
  assert.ok(!keys.some((k) => k.includes("secret")));
  assert.deepEqual(endpointKeys([ep("http://user:secret@a:4040")]), [keys[0]], "stable");
});
