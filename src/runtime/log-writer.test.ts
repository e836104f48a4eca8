import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createFdWriter } from "./log-writer.ts";

/** A stand-in for a pipe whose reader is slow: it refuses or takes part of each write while `blocked`. */
function fakePipe() {
  const state = { blocked: 0, partial: false, out: "" };
  const writeSync = (_fd: number, buf: Uint8Array, offset: number, length: number): number => {
    if (state.blocked > 0) {
      state.blocked--;
      throw Object.assign(new Error("EAGAIN: resource temporarily unavailable, write"), { code: "EAGAIN" });
    }
    const n = state.partial ? Math.ceil(length / 2) : length;
    state.partial = false;
    state.out += Buffer.from(buf.subarray(offset, offset + n)).toString();
    return n;
  };
  return { state, writeSync };
}

test("a full pipe neither throws nor loses or reorders lines", async () => {
  const { state, writeSync } = fakePipe();
  const write = createFdWriter(2, { writeSync });
  write("one\n");
  state.blocked = 3;
  write("two\n");
  write("three\n");
  assert.equal(state.out, "one\n");
  for (let i = 0; i < 100 && !String(state.out).includes("three"); i++) await sleep(5);
  assert.equal(state.out, "one\ntwo\nthree\n");
});

test("a partial write is completed, not cut", async () => {
  const { state, writeSync } = fakePipe();
  const write = createFdWriter(2, { writeSync });
  state.partial = true;
  write("a long line\n");
  write("next\n");
  assert.equal(state.out, "a long line\nnext\n");
});

test("past the bound lines are dropped and counted, and the writer recovers", async () => {
  const { state, writeSync } = fakePipe();
  const write = createFdWriter(2, { writeSync, maxPendingBytes: 10 });
  state.blocked = 1;
  write("12345\n");
  write("67890\n");
  write("dropped\n");
  for (let i = 0; i < 100 && !state.out.includes("dropped"); i++) await sleep(5);
  assert.match(state.out, /^12345\n.*log lines dropped.*count=2\n$/s);
  write("after\n");
  assert.ok(state.out.endsWith("after\n"));
});

test("a closed pipe (EPIPE) is not an error for the caller", () => {
  const write = createFdWriter(2, {
    writeSync: () => {
      throw Object.assign(new Error("EPIPE"), { code: "EPIPE" });
    },
  });
  assert.doesNotThrow(() => write("x\n"));
});
