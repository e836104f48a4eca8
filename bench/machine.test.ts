import assert from "node:assert/strict";
import { test } from "node:test";
import { filesNeeded, openFilesLimit } from "./machine.ts";

test("the open-files limit is read from /proc on Linux, and 5,000 connections need over 10,000 files", () => {
  const limit = openFilesLimit();
  if (process.platform === "linux") assert.ok(limit !== undefined && limit > 0);
  assert.ok(filesNeeded(5000) > 10_000);
  assert.ok(filesNeeded(10) < 1024);
});
