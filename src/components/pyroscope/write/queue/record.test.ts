import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { checkFrame, FRAME_HEADER_BYTES, findFrame, frame } from "./record.ts";

function bytes(f: { parts: readonly Uint8Array[] }): Buffer {
  return Buffer.concat(f.parts);
}

describe("record framing", () => {
  test("a frame keeps its payload parts as they are and checks out", () => {
    const a = Buffer.from("meta");
    const b = Buffer.from("profile bytes");
    const f = frame([a, b]);
    assert.equal(f.parts[1], a, "the same buffer, not a copy");
    assert.equal(f.parts[2], b);
    assert.equal(f.length, FRAME_HEADER_BYTES + a.length + b.length);
    const buf = bytes(f);
    assert.deepEqual(checkFrame(buf, 0), { kind: "ok", payloadStart: FRAME_HEADER_BYTES, end: buf.length });
  });

  test("a flipped payload byte, length byte or magic byte is caught", () => {
    const buf = bytes(frame([Buffer.from("hello world")]));
    for (const at of [0, 5, FRAME_HEADER_BYTES + 3]) {
      const bad = Buffer.from(buf);
      bad[at] = bad[at]! ^ 0x40;
      assert.notEqual(checkFrame(bad, 0).kind, "ok", `byte ${at}`);
    }
  });

  test("a record cut short is `short`, not `bad`", () => {
    const buf = bytes(frame([Buffer.from("hello world")]));
    assert.equal(checkFrame(buf.subarray(0, buf.length - 1), 0).kind, "short");
    assert.equal(checkFrame(buf.subarray(0, 5), 0).kind, "short");
  });

  test("findFrame resyncs after damaged bytes", () => {
    const one = bytes(frame([Buffer.from("one")]));
    const two = bytes(frame([Buffer.from("two")]));
    const damaged = Buffer.from(one);
    damaged[FRAME_HEADER_BYTES] = 0;
    const buf = Buffer.concat([damaged, Buffer.from("garbage"), two]);
    assert.equal(checkFrame(buf, 0).kind, "bad");
    assert.equal(findFrame(buf, 1), one.length + 7);
    assert.equal(findFrame(buf, one.length + 8), -1);
  });
});
