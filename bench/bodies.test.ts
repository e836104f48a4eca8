import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { fromBinary } from "@bufbuild/protobuf";
import { PushRequestSchema } from "../src/pyroscope/gen/push/v1/push_pb.ts";
import { sharedMissing } from "../test/support/shared.ts";
import { loadProfile, readFixture } from "./bodies.ts";

// The bench sends the Pyroscope test profiles its published results were measured with (`../shared/fixtures`).
describe("bench request bodies", { skip: sharedMissing("fixtures/") }, () => {
  test("the small profile is the Node SDK's request as captured", () => {
    const p = loadProfile("node-3k");
    assert.equal(p.ingest.headers["Content-Type"], "application/octet-stream");
    assert.match(p.ingest.path, /^\/ingest\?format=pprof&/);
    assert.deepEqual(p.ingest.body, readFixture("node-sdk/sdk-0.6.4-wall.pb.gz"));
  });

  test("Go profiles are multipart uploads carrying the pprof bytes unchanged, and push carries them as one series", () => {
    const p = loadProfile("go-heap-39k");
    const pprof = readFixture("pprof/go-heap.pb.gz");
    const boundary = /boundary=(\S+)/.exec(p.ingest.headers["Content-Type"] ?? "")?.[1];
    assert.ok(boundary !== undefined);
    assert.ok(p.ingest.body.includes(pprof));
    assert.ok(p.ingest.body.toString("latin1").endsWith(`--${boundary}--\r\n`));
    assert.equal(p.profileBytes, pprof.length);

    const push = fromBinary(PushRequestSchema, p.push.body);
    assert.equal(push.series.length, 1);
    assert.equal(push.series[0]?.samples.length, 1);
    assert.deepEqual(Buffer.from(push.series[0]?.samples[0]?.rawProfile ?? []), pprof);
    assert.equal(p.push.headers["Content-Type"], "application/proto");
  });
});
