import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { gunzipSync } from "node:zlib";
import { create, fromBinary, fromJson, toBinary, toJson } from "@bufbuild/protobuf";
import { PusherService, PushRequestSchema } from "./gen/push/v1/push_pb.ts";

const PUSH_DIR = new URL("../../test/fixtures/push/", import.meta.url);
const read = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(name, PUSH_DIR)));

test("the service has Pyroscope's fully-qualified name and Push method", () => {
  assert.equal(PusherService.typeName, "push.v1.PusherService");
  assert.equal(PusherService.method.push.name, "Push");
  assert.equal(PusherService.method.push.methodKind, "unary");
});

for (const name of [
  "push-go-cpu.pb",
  "push-go-cpu-uncompressed-pprof.pb",
  "push-multi-series.pb",
  "push-missing-name.pb",
]) {
  test(`binary PushRequest ${name} round-trips byte-identically`, () => {
    const bytes = read(name);
    const msg = fromBinary(PushRequestSchema, bytes);
    assert.ok(msg.series.length > 0);
    assert.deepEqual(toBinary(PushRequestSchema, msg), bytes);
  });
}

test("gzip push bodies decode to the same request as the plain ones", () => {
  assert.deepEqual(gunzipSync(read("push-go-cpu.pb.gz")), Buffer.from(read("push-go-cpu.pb")));
  assert.deepEqual(gunzipSync(read("push-multi-series.pb.gz")), Buffer.from(read("push-multi-series.pb")));
});

test("push-go-cpu.pb carries the documented labels, ID and the go-cpu pprof bytes", () => {
  const msg = fromBinary(PushRequestSchema, read("push-go-cpu.pb"));
  assert.equal(msg.series.length, 1);
  const series = msg.series[0]!;
  assert.deepEqual(
    series.labels.map((l) => [l.name, l.value]),
    [
      ["__name__", "process_cpu"],
      ["service_name", "fixture-go-app"],
      ["env", "test"],
    ],
  );
  assert.equal(series.samples.length, 1);
  assert.equal(series.samples[0]!.ID, "734fd599-6865-419e-9475-932762d8f469");
  const pprof = readFileSync(new URL("../pprof/go-cpu.pb.gz", PUSH_DIR));
  assert.deepEqual(series.samples[0]!.rawProfile, new Uint8Array(pprof));
});

test("the protojson fixture decodes to the same message as the binary one", () => {
  const json: unknown = JSON.parse(readFileSync(new URL("push-go-cpu.json", PUSH_DIR), "utf8"));
  const fromJ = fromJson(PushRequestSchema, json as Parameters<typeof fromJson>[1]);
  const fromB = fromBinary(PushRequestSchema, read("push-go-cpu.pb"));
  assert.deepEqual(toBinary(PushRequestSchema, fromJ), toBinary(PushRequestSchema, fromB));
  const back = toJson(PushRequestSchema, fromB) as { series: { samples: Record<string, unknown>[] }[] };
  assert.ok("rawProfile" in back.series[0]!.samples[0]!);
  assert.ok("ID" in back.series[0]!.samples[0]!);
});

test("a message built in code encodes with Pyroscope's tags", () => {
  const msg = create(PushRequestSchema, {
    series: [
      { labels: [{ name: "a", value: "b" }], samples: [{ rawProfile: new Uint8Array([1]), ID: "x" }] },
    ],
  });
  // series(0x0a) { labels(0x0a) { name(0x0a) "a" value(0x12) "b" } samples(0x12) { raw(0x0a) 01 ID(0x12) "x" } }
  assert.deepEqual(
    toBinary(PushRequestSchema, msg),
    new Uint8Array([
      0x0a, 0x10, 0x0a, 0x06, 0x0a, 0x01, 0x61, 0x12, 0x01, 0x62, 0x12, 0x06, 0x0a, 0x01, 0x01, 0x12, 0x01,
      0x78,
    ]),
  );
});
