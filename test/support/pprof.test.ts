import assert from "node:assert/strict";
import { test } from "node:test";
import { nodeSdkRequests, readFixture } from "./fixtures.ts";
import { decodePushRequest, isGzip, maybeGunzip, parseMultipart, summarizePprof } from "./pprof.ts";

test("summarizePprof reads gzipped and plain fixtures", () => {
  const cpu = summarizePprof(readFixture("pprof/go-cpu.pb.gz"));
  assert.deepEqual(cpu.sampleTypes, ["samples/count", "cpu/nanoseconds"]);
  assert.equal(cpu.periodType, "cpu/nanoseconds");
  assert.equal(cpu.period, 10000000);
  assert.equal(cpu.samples, 7);
  const plain = summarizePprof(readFixture("pprof/nodejs-heap.pb"));
  assert.deepEqual(plain.sampleTypes, ["inuse_objects/count", "inuse_space/bytes"]);
  assert.ok(plain.samples > 0);
  assert.deepEqual(summarizePprof(readFixture("pprof/go-cpu-labels.pb.gz")).labelKeys, [
    "foo",
    "function",
    "profile_id",
  ]);
});

test("gzip sniffing", () => {
  const gz = readFixture("pprof/go-cpu.pb.gz");
  assert.ok(isGzip(gz));
  assert.equal(maybeGunzip(gz).length, 1936);
  assert.ok(!isGzip(readFixture("pprof/dotnet-multi.pb")));
});

test("decodePushRequest handles plain and gzip push bodies", () => {
  const plain = decodePushRequest(readFixture("push/push-go-cpu.pb"));
  const gz = decodePushRequest(readFixture("push/push-go-cpu.pb.gz"));
  assert.equal(plain.series[0]?.samples[0]?.ID, "734fd599-6865-419e-9475-932762d8f469");
  assert.deepEqual(gz.series[0]?.samples[0]?.rawProfile, plain.series[0]?.samples[0]?.rawProfile);
  assert.equal(summarizePprof(plain.series[0]!.samples[0]!.rawProfile).samples, 7);
});

test("node SDK requests load with bodies; multipart bodies split into their profile part", () => {
  const reqs = nodeSdkRequests();
  assert.equal(reqs.length, 4);
  const multipart = reqs.find((r) => r.bodyFile === "sdk-0.6.1-wall.multipart.body")!;
  const parts = parseMultipart(multipart.body, multipart.headers["content-type"]!);
  assert.equal(parts.length, 1);
  assert.equal(parts[0]?.name, "profile");
  assert.equal(parts[0]?.filename, "profile");
  assert.equal(parts[0]?.contentType, "application/octet-stream");
  assert.ok(isGzip(parts[0]!.body));
  assert.deepEqual(summarizePprof(parts[0]!.body).sampleTypes, ["samples/count", "wall/nanoseconds"]);
  const raw = reqs.find((r) => r.bodyFile === "sdk-0.6.4-wall.pb.gz")!;
  assert.deepEqual(summarizePprof(raw.body).sampleTypes, ["samples/count", "wall/nanoseconds"]);
});
