import assert from "node:assert/strict";
import { test } from "node:test";
import { parseProcStat, statusField } from "./proc-stats.ts";

test("a /proc stat line is read past a command name with spaces and parentheses", () => {
  const line =
    "4242 (node (relay) x) S 4000 4242 4000 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 11 0 100 1000 200";
  assert.deepEqual(parseProcStat(line), { pid: 4242, ppid: 4000, cpuSeconds: 3 });
  assert.equal(parseProcStat("garbage"), undefined);
});

test("memory fields of /proc status are bytes", () => {
  const status = "Name:\tnode\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\n";
  assert.equal(statusField(status, "VmRSS"), 100 * 1024 * 1024);
  assert.equal(statusField(status, "VmHWM"), 200 * 1024 * 1024);
  assert.equal(statusField(status, "VmSwap"), undefined);
});
