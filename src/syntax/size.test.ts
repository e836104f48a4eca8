import assert from "node:assert/strict";
import { test } from "node:test";
import { formatSize, parseSize } from "./size.ts";

test("parseSize reads bytes, decimal and binary units", () => {
  const cases: [string, number][] = [
    ["0", 0],
    ["1024", 1024],
    ["0B", 0],
    ["1B", 1],
    ["1kB", 1000],
    ["1KB", 1000],
    ["1MB", 1_000_000],
    ["1GB", 1_000_000_000],
    ["2TB", 2_000_000_000_000],
    ["1KiB", 1024],
    ["256MiB", 268_435_456],
    ["1GiB", 1_073_741_824],
    ["1TiB", 1_099_511_627_776],
    ["1.5MiB", 1_572_864],
    ["1MiB512KiB", 1_572_864],
    ["1MB1KB25B", 1_001_025],
    [".5KiB", 512],
    ["1.5B", 1],
    ["+1KiB", 1024],
  ];
  for (const [text, bytes] of cases) assert.equal(parseSize(text), bytes, text);
});

test("parseSize errors name the accepted units", () => {
  const cases: [string, RegExp][] = [
    ["", /^invalid size "": expected a number of bytes or a number with a unit \(accepted units: B, KB/],
    ["10XB", /^invalid size "10XB": unknown unit "XB" \(accepted units: .*KiB, MiB, GiB, TiB, PiB/],
    ["1K", /unknown unit "K"/],
    ["1Mi", /unknown unit "Mi"/],
    ["1kiB", /unknown unit "kiB"/],
    ["1 MiB", /unknown unit " MiB"/],
    ["1.5", /missing unit/],
    ["-1MiB", /a size cannot be negative/],
    ["MiB", /expected a number/],
    ["99999999999PiB", /too large/],
  ];
  for (const [text, message] of cases) assert.throws(() => parseSize(text), { message }, text);
});

test("formatSize picks the largest exact unit and parses back", () => {
  const cases: [number, string][] = [
    [0, "0B"],
    [1, "1B"],
    [1024, "1KiB"],
    [268_435_456, "256MiB"],
    [1_000_000_000, "1GB"],
    [1000, "1KB"],
    [1500, "1500B"],
    [1_572_864, "1536KiB"],
  ];
  for (const [bytes, text] of cases) {
    assert.equal(formatSize(bytes), text);
    assert.equal(parseSize(text), bytes);
  }
});
