import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { gunzipSync } from "node:zlib";
import { readFixture } from "../../../../test/support/fixtures.ts";
import { decodePprof, isGzip } from "../../../../test/support/pprof.ts";
import { pprofSampleTypes, pprofTimeNanos, withTimeNanos } from "./pprof-wire.ts";
import { appNameProfileType, pprofBodyProfileType, pprofProfileType } from "./profile-type.ts";

describe("pprof at the wire level", () => {
  test("sample types, gzipped or plain", () => {
    assert.deepEqual(pprofSampleTypes(readFixture("pprof/go-cpu.pb.gz")), ["samples", "cpu"]);
    assert.deepEqual(pprofSampleTypes(readFixture("pprof/nodejs-heap.pb")), ["inuse_objects", "inuse_space"]);
    assert.throws(() => pprofSampleTypes(Buffer.from([0xff, 0xff, 0xff])));
  });

  test("withTimeNanos replaces time_nanos and keeps everything else", () => {
    const original = readFixture("pprof/go-cpu-labels.pb.gz");
    const before = decodePprof(original);
    const rewritten = withTimeNanos(original, 1_700_000_000_123_456_789n);
    assert.ok(isGzip(rewritten));
    const after = decodePprof(rewritten);
    assert.equal(BigInt(after.timeNanos), 1_700_000_000_123_456_789n);
    assert.equal(pprofTimeNanos(rewritten), 1_700_000_000_123_456_789n);
    assert.notEqual(BigInt(before.timeNanos), 1_700_000_000_123_456_789n);
    assert.equal(after.sample.length, before.sample.length);
    assert.deepEqual(after.stringTable.strings, before.stringTable.strings);
    assert.equal(BigInt(after.durationNanos), BigInt(before.durationNanos));
    // Plain in, plain out.
    const plain = withTimeNanos(gunzipSync(original), 5n);
    assert.ok(!isGzip(plain));
    assert.equal(BigInt(decodePprof(plain).timeNanos), 5n);
  });

  test("a profile without time_nanos is left alone", () => {
    const dotnet = readFixture("pprof/dotnet-multi.pb");
    assert.equal(pprofTimeNanos(dotnet), 0n);
    assert.equal(withTimeNanos(dotnet, 99n), dotnet);
  });
});

describe("profile types", () => {
  test("from pprof sample types, as Pyroscope names them", () => {
    assert.equal(pprofBodyProfileType(readFixture("pprof/go-cpu.pb.gz")), "process_cpu");
    assert.equal(pprofBodyProfileType(readFixture("pprof/go-heap.pb.gz")), "memory");
    assert.equal(pprofBodyProfileType(readFixture("node-sdk/sdk-0.6.4-wall.pb.gz")), "wall");
    assert.equal(pprofBodyProfileType(readFixture("pprof/go-goroutines.pb.gz")), "goroutines");
    assert.equal(pprofBodyProfileType(readFixture("pprof/go-block.pb.gz")), "mutex");
    assert.equal(pprofProfileType(["contentions", "delay"], { contentions: "block_count" }), "block");
    assert.equal(pprofProfileType(["exception"]), "exception");
    assert.equal(pprofBodyProfileType(Buffer.from("not a profile")), "unknown");
  });

  test("from the application name suffix for text formats", () => {
    assert.equal(appNameProfileType("app"), "process_cpu");
    assert.equal(appNameProfileType("my.app.cpu"), "process_cpu");
    assert.equal(appNameProfileType("my.app.wall"), "wall");
    assert.equal(appNameProfileType("my.app.alloc_in_new_tlab_bytes"), "memory");
    assert.equal(appNameProfileType("my.app.lock_count"), "block");
    assert.equal(appNameProfileType("my.app"), "unknown");
  });
});
