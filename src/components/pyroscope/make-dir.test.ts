import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { makeDir } from "./make-dir.ts";
import { endpointArgs, startWrite, writeArgs } from "./write/test-harness.ts";

const PROC = existsSync("/proc/self") ? false : "needs Linux's /proc";

describe("makeDir", () => {
  const dir = mkdtempSync(join(tmpdir(), "profile-relay-make-dir-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("creates missing parents, and is fine with a folder that exists", async () => {
    await makeDir(join(dir, "a", "b", "c"));
    await makeDir(join(dir, "a", "b", "c"));
    assert.ok(statSync(join(dir, "a", "b", "c")).isDirectory());
  });

  test("rejects a path through or onto a file", async () => {
    writeFileSync(join(dir, "file"), "x");
    await assert.rejects(makeDir(join(dir, "file")), /EEXIST|ENOTDIR/);
    await assert.rejects(makeDir(join(dir, "file", "sub")), /ENOTDIR/);
  });

  test("rejects a folder that cannot be created under /proc (Node's recursive mkdir loops forever there)", {
    skip: PROC,
    timeout: 10_000,
  }, async () => {
    await assert.rejects(makeDir("/proc/profile-relay-test/queue"), /ENOENT/);
    // what a user would see: the component fails to build instead of hanging the config load
    await assert.rejects(
      startWrite(
        writeArgs({
          endpoint: [endpointArgs({ url: "http://127.0.0.1:1" })],
          queue: {
            path: "/proc/profile-relay-test/queue",
            max_size: 1 << 20,
            max_age: 60_000,
            fsync: "never",
            max_inflight_per_endpoint: 1,
          },
        }),
      ),
      /ENOENT/,
    );
  });
});
