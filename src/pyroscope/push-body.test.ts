import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { PushRequestSchema } from "./gen/push/v1/push_pb.ts";
import type { Label } from "./labels.ts";
import { encodePushBody } from "./push-body.ts";
import type { RawSample } from "./receiver.ts";

function viaLibrary(labels: readonly Label[], samples: readonly RawSample[]): Uint8Array {
  return toBinary(
    PushRequestSchema,
    create(PushRequestSchema, {
      series: [
        {
          labels: labels.map((l) => ({ name: l.name, value: l.value })),
          samples: samples.map((s) => ({ rawProfile: s.rawProfile, ID: s.id })),
        },
      ],
    }),
  );
}

describe("encodePushBody", () => {
  const cases: [string, Label[], RawSample[]][] = [
    ["empty series", [], []],
    ["labels only", [{ name: "service_name", value: "app" }], []],
    [
      "typical",
      [
        { name: "__name__", value: "process_cpu" },
        { name: "service_name", value: "my-service" },
      ],
      [{ id: "0f6b2b1c-7d5e-4b5c-9f3e-3b1c2d4e5f60", rawProfile: randomBytes(39_000) }],
    ],
    [
      "empty values and ids are left out",
      [{ name: "a", value: "" }],
      [{ id: "", rawProfile: new Uint8Array() }],
    ],
    ["multi-byte text", [{ name: "ü", value: "日本語 ✓" }], [{ id: "é", rawProfile: randomBytes(3) }]],
    [
      "several samples, sizes across varint boundaries",
      [{ name: "x", value: "y".repeat(200) }],
      [127, 128, 16_383, 16_384, 2_500_000].map((n, i) => ({ id: String(i), rawProfile: randomBytes(n) })),
    ],
  ];
  for (const [name, labels, samples] of cases) {
    test(`${name}: the bytes toBinary writes`, () => {
      const ours = encodePushBody(labels, samples);
      assert.deepEqual(new Uint8Array(ours), viaLibrary(labels, samples));
      const back = fromBinary(PushRequestSchema, ours);
      assert.equal(back.series.length, 1);
      assert.equal(back.series[0]!.samples.length, samples.length);
    });
  }
});
