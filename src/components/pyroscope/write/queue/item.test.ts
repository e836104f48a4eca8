import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { decodeItem, encodeItem, type IngestItem, itemBytes, itemProfiles, type PushItem } from "./item.ts";

const push: PushItem = {
  kind: "push",
  id: "item-1",
  receivedAt: 1_700_000_000_123.5,
  headers: [["x-scope-orgid", "tenant-ä"]],
  labels: [
    { name: "__name__", value: "process_cpu" },
    { name: "service_name", value: "app" },
  ],
  samples: [
    { id: "s1", rawProfile: Buffer.from("first profile") },
    { id: "", rawProfile: new Uint8Array([1, 2, 3]) },
  ],
};

const ingest: IngestItem = {
  kind: "ingest",
  id: "item-2",
  receivedAt: 1_700_000_000_000,
  headers: [],
  body: Buffer.from("--boundary\r\nbody"),
  contentType: ["multipart/form-data; boundary=boundary", "second"],
  path: "/ingest",
  query: "name=app.cpu%7B%7D&from=1",
};

describe("queue item encoding", () => {
  test("a push item round-trips; the profile bytes are passed as they are", () => {
    const parts = encodeItem(push);
    assert.equal(parts.length, 3);
    assert.equal(parts[1], push.samples[0]!.rawProfile, "no copy on the way in");
    const payload = Buffer.concat(parts);
    const back = decodeItem(payload);
    assert.equal(back.kind, "push");
    assert.deepEqual(
      { ...back, samples: (back as PushItem).samples.map((s) => ({ id: s.id, raw: [...s.rawProfile] })) },
      { ...push, samples: push.samples.map((s) => ({ id: s.id, raw: [...s.rawProfile] })) },
    );
    const raw = (back as PushItem).samples[0]!.rawProfile as Buffer;
    assert.equal(raw.buffer, payload.buffer, "a view into the payload on the way out");
    assert.equal(itemBytes(push), 16);
    assert.equal(itemProfiles(push), 2);
  });

  test("an ingest item round-trips", () => {
    const back = decodeItem(Buffer.concat(encodeItem(ingest))) as IngestItem;
    assert.deepEqual(
      { ...back, body: Buffer.from(back.body) },
      { ...ingest, body: Buffer.from(ingest.body) },
    );
    assert.equal(itemProfiles(ingest), 1);
  });

  test("a tenant round-trips apart from the forwarded headers", () => {
    const withTenant = { ...ingest, tenant: "team-a" };
    const back = decodeItem(Buffer.concat(encodeItem(withTenant))) as IngestItem;
    assert.equal(back.tenant, "team-a");
    assert.deepEqual(back.headers, ingest.headers);
    assert.equal((decodeItem(Buffer.concat(encodeItem(ingest))) as IngestItem).tenant, undefined);
  });

  test("a truncated or padded payload does not decode", () => {
    const payload = Buffer.concat(encodeItem(ingest));
    assert.throws(() => decodeItem(payload.subarray(0, payload.length - 1)), /truncated/);
    assert.throws(() => decodeItem(Buffer.concat([payload, Buffer.from([0])])), /trailing/);
  });
});
