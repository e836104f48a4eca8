import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { captureIO } from "../../test/support/cli-io.ts";
import { nodeSdkRequests, readFixture } from "../../test/support/fixtures.ts";
import { ingestRequest, startCapture } from "../components/pyroscope/capture/test-harness.ts";
import { Labels } from "../pyroscope/labels.ts";
import { humanBytes } from "./ls.ts";
import { main } from "./main.ts";

describe("profile-relay ls", () => {
  test("a table per service and profile type, and JSON", async (t) => {
    const c = await startCapture();
    t.after(() => c.stop());
    for (const r of nodeSdkRequests()) {
      await c.component.ingest(ingestRequest(r.pathAndQuery, r.body, [r.headers["content-type"]!]));
    }
    const raw = readFixture("pprof/go-cpu.pb.gz");
    const labels = Labels.from({ __name__: "process_cpu", service_name: "go-app" });
    await c.component.push({ headers: {}, labels, samples: [{ id: "", rawProfile: raw }] });

    const table = captureIO();
    assert.equal(await main(["ls", c.dataPath], table.io), 0);
    assert.equal(table.err(), "");
    const lines = table.out().split("\n");
    assert.match(lines[0]!, /^SERVICE\s+PROFILE TYPE\s+COUNT\s+BYTES\s+FIRST\s+LAST$/);
    assert.match(
      lines[1]!,
      /^capture-test\s+memory\s+2\s+\d+\.\d KiB\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+\S+Z$/,
    );
    assert.match(lines[2]!, /^capture-test\s+wall\s+2\s+/);
    assert.match(lines[3]!, /^go-app\s+process_cpu\s+1\s+/);
    assert.equal(lines[4], "");
    assert.match(lines[5]!, new RegExp(`^5 profiles, \\d+\\.\\d KiB in ${c.dataPath}$`));

    const json = captureIO();
    assert.equal(await main(["ls", "--json", c.dataPath], json.io), 0);
    const parsed = JSON.parse(json.out()) as {
      groups: {
        service: string;
        profile_type: string;
        count: number;
        bytes: number;
        first: string;
        last: string;
      }[];
      total: { count: number; bytes: number };
    };
    assert.deepEqual(
      parsed.groups.map((g) => [g.service, g.profile_type, g.count]),
      [
        ["capture-test", "memory", 2],
        ["capture-test", "wall", 2],
        ["go-app", "process_cpu", 1],
      ],
    );
    assert.equal(parsed.total.count, 5);
    assert.equal(
      parsed.total.bytes,
      parsed.groups.reduce((s, g) => s + g.bytes, 0),
    );
    assert.equal(parsed.total.bytes, c.component.store.bytes, "ls counts what the store counts");

    const parent = captureIO();
    assert.equal(await main(["ls", join(c.dataPath, "..")], parent.io), 0);
    assert.equal(
      parent.out(),
      `No captured profiles in ${join(c.dataPath, "..")} (captures are in ${c.dataPath})\n`,
    );
    const go = parsed.groups[2]!;
    assert.equal(go.first, go.last);
    assert.ok(Math.abs(Date.parse(go.first) - Date.now()) < 60_000);
  });

  test("an empty store, a missing folder and bad arguments", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ls-empty-"));
    try {
      const empty = captureIO();
      assert.equal(await main(["ls", dir], empty.io), 0);
      assert.equal(empty.out(), `No captured profiles in ${dir}\n`);

      const missing = captureIO();
      assert.equal(await main(["ls", join(dir, "nope")], missing.io), 1);
      assert.match(missing.err(), /^Error: cannot list .*nope: no such directory\n$/);

      const none = captureIO();
      assert.equal(await main(["ls"], none.io), 1);
      assert.match(none.err(), /accepts 1 arg\(s\), received 0/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("human-readable sizes", () => {
    assert.equal(humanBytes(0), "0 B");
    assert.equal(humanBytes(1023), "1023 B");
    assert.equal(humanBytes(1536), "1.5 KiB");
    assert.equal(humanBytes(5 * 1024 ** 3), "5.0 GiB");
  });
});
