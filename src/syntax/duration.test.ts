import assert from "node:assert/strict";
import { test } from "node:test";
import { formatDuration, formatDurationNanos, parseDuration, parseDurationNanos } from "./duration.ts";

test("parseDuration reads Go durations into milliseconds", () => {
  const cases: [string, number][] = [
    ["0", 0],
    ["-0", 0],
    ["+0", 0],
    ["500ms", 500],
    ["1.5s", 1500],
    [".5s", 500],
    ["5.s", 5000],
    ["1h30m", 5_400_000],
    ["90m", 5_400_000],
    ["1.5h", 5_400_000],
    ["-1.5s", -1500],
    ["+3ms", 3],
    ["1h2m3s4ms5us6ns", 3_723_004.005006],
    ["1us", 0.001],
    ["1\u00b5s", 0.001],
    ["1\u03bcs", 0.001],
    ["1ns", 0.000001],
    ["30s10s", 40_000],
  ];
  for (const [text, ms] of cases) assert.equal(parseDuration(text), ms, text);
});

test("parseDurationNanos is exact at Go's int64 limits", () => {
  assert.equal(parseDurationNanos("9223372036854775807ns"), 9223372036854775807n);
  assert.equal(parseDurationNanos("-9223372036854775808ns"), -9223372036854775808n);
  assert.equal(parseDurationNanos("2562047h47m16.854775807s"), 9223372036854775807n);
  assert.equal(parseDurationNanos("0.0000000001s"), 0n);
  assert.equal(parseDurationNanos("1.0000000000000000000001h"), 3_600_000_000_000n);
});

test("parseDuration errors are Go's", () => {
  const cases: [string, string][] = [
    ["", 'time: invalid duration ""'],
    ["-", 'time: invalid duration "-"'],
    ["30", 'time: missing unit in duration "30"'],
    ["1.5", 'time: missing unit in duration "1.5"'],
    ["1..5s", 'time: missing unit in duration "1..5s"'],
    ["1d", 'time: unknown unit "d" in duration "1d"'],
    ["5 minutes", 'time: unknown unit " minutes" in duration "5 minutes"'],
    ["1h 30m", 'time: unknown unit "h " in duration "1h 30m"'],
    ["1e3s", 'time: unknown unit "e" in duration "1e3s"'],
    ["1H", 'time: unknown unit "H" in duration "1H"'],
    [".s", 'time: invalid duration ".s"'],
    ["s", 'time: invalid duration "s"'],
    ["1\u00b5", 'time: unknown unit "\\xc2\\xb5" in duration "1\\xc2\\xb5"'],
    ['1"x', 'time: unknown unit "\\"x" in duration "1\\"x"'],
    ["9223372036854775808ns", 'time: invalid duration "9223372036854775808ns"'],
    ["2562048h", 'time: invalid duration "2562048h"'],
    ["100000000000000000000ns", 'time: invalid duration "100000000000000000000ns"'],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseDuration(text), { message }, text);
  }
});

test("formatDuration is Go's Duration.String()", () => {
  const cases: [number, string][] = [
    [0, "0s"],
    [500, "500ms"],
    [1500, "1.5s"],
    [300_000, "5m0s"],
    [3_723_500, "1h2m3.5s"],
    [0.001, "1\u00b5s"],
    [0.0015, "1.5\u00b5s"],
    [0.000001, "1ns"],
    [-1000, "-1s"],
    [1.1, "1.1ms"],
    [86_400_000, "24h0m0s"],
    [61_000, "1m1s"],
  ];
  for (const [ms, text] of cases) assert.equal(formatDuration(ms), text, String(ms));
  assert.equal(formatDurationNanos(-9223372036854775808n), "-2562047h47m16.854775808s");
  assert.equal(formatDurationNanos(9223372036854775807n), "2562047h47m16.854775807s");
});

test("formatDuration output parses back to the same value", () => {
  for (const text of ["1h2m3.5s", "5m0s", "1.5\u00b5s", "999ms", "-3s"]) {
    assert.equal(formatDuration(parseDuration(text)), text);
  }
});
