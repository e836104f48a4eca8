/**
 * Faults of the queue folder, as an operator or a disk makes them: two components on one folder (also through
 * `./` or a symlink), a cursor file ahead of the log, a folder named like a segment, the folder deleted while
 * the relay runs.
 */
import assert from "node:assert/strict";
import { mkdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileCleanup, makeTempDir } from "../../../../test/support/cleanup.ts";
import { runCommandMerged } from "../../../../test/support/cli-io.ts";
import {
  type SwitchableBackend,
  startSwitchableBackend,
} from "../../../../test/support/switchable-backend.ts";
import { until } from "../../../../test/support/until.ts";
import { main } from "../../../cli/main.ts";
import { Labels } from "../../../pyroscope/labels.ts";
import type { PushRequest } from "../../../pyroscope/receiver.ts";
import { defaultsOf } from "../../../syntax/decode.ts";
import { rawRequest, start, testArgs } from "../receive_http/testkit.ts";
import { type QueueArguments, queueBody } from "./arguments.ts";
import { CURSOR_FILE } from "./queue/cursors.ts";
import { endpointArgs, type RunningWrite, startWrite, stopAtCleanup, writeArgs } from "./test-harness.ts";

const cleanup = fileCleanup();
const tempDir = () => makeTempDir(cleanup, "write-queue-faults-");
const backend = (down = false) => startSwitchableBackend(cleanup, down);

function pushOf(id: string): PushRequest {
  return {
    labels: Labels.from({ __name__: "process_cpu", service_name: "app" }),
    samples: [{ id, rawProfile: Buffer.from(`profile ${id}`) }],
    headers: {},
  };
}

function queueArgs(path: string): QueueArguments {
  return { ...defaultsOf(queueBody), path };
}

async function startQueued(b: SwitchableBackend, path: string): Promise<RunningWrite> {
  const w = await startWrite(
    writeArgs({
      endpoint: [endpointArgs({ url: b.fake.url, name: "b", min_backoff_period: 5, max_backoff_period: 20 })],
      queue: queueArgs(path),
    }),
  );
  return stopAtCleanup(cleanup, w);
}

describe("queue folder faults", () => {
  test("two components on one folder, written as ./ or through a symlink: the second is refused", async () => {
    const b = await backend();
    const dir = await tempDir();
    await mkdir(join(dir, "q"));
    await symlink(join(dir, "q"), join(dir, "link"));
    const first = await startQueued(b, join(dir, "q"));
    for (const other of [`${dir}/./q/`, join(dir, "link")]) {
      await assert.rejects(
        startQueued(b, other),
        /is already used by another pyroscope\.write component of this relay: give each its own queue path/,
      );
    }
    assert.equal(
      (JSON.parse(await readFile(join(dir, "q", "lock"), "utf8")) as { pid: number }).pid,
      process.pid,
    );
    await first.stop();
    await assert.rejects(stat(join(dir, "q", "lock")), { code: "ENOENT" });
    // Once the first is closed, the folder is free again.
    await (await startQueued(b, join(dir, "link"))).stop();
  });

  test("validate reports two components on one queue path", async () => {
    const dir = await tempDir();
    await mkdir(join(dir, "q"));
    await symlink(join(dir, "q"), join(dir, "link"));
    const config = join(dir, "config.alloy");
    const block = (label: string, path: string) => `pyroscope.write "${label}" {
  endpoint {
    url = "http://127.0.0.1:1"
  }
  queue {
    path = "${path}"
  }
}
`;
    await writeFile(
      config,
      block("a", join(dir, "q")) +
        block("b", `${dir}/./q/`) +
        block("c", join(dir, "link")) +
        block("d", join(dir, "other")),
    );
    const { code, output: out } = await runCommandMerged(main, ["validate", config]);
    assert.equal(code, 1);
    const errors = out.split("\n").filter((l) => l.startsWith("Error: /"));
    assert.equal(errors.length, 2, out);
    assert.match(
      errors[0]!,
      /:14:12: queue\.path ".*\/\.\/q\/" is also used by pyroscope\.write\.a: two writers/,
    );
    assert.match(
      errors[1]!,
      /:22:12: queue\.path ".*\/link" is also used by pyroscope\.write\.a \(both are .*\/q\)/,
    );
  });

  test("a cursor ahead of the log: the endpoint gets every queued profile instead of none", async () => {
    const dir = await tempDir();
    const b = await backend(true);
    const w = await startQueued(b, dir);
    for (let i = 0; i < 5; i++) assert.deepEqual(await w.receiver.push(pushOf(`p${i}`)), { ok: true });
    await w.stop();
    // A cursor file from another queue (or restored from a backup apart from the segments).
    await writeFile(
      join(dir, CURSOR_FILE),
      JSON.stringify({ version: 1, endpoints: { "name:b": { position: 1e9, endpoint: "b" } } }),
    );
    b.down = false;
    const again = await startQueued(b, dir);
    await until("every profile is delivered", () => b.accepted.length >= 5);
    assert.deepEqual([...b.accepted].sort(), ["p0", "p1", "p2", "p3", "p4"]);
    assert.equal(await again.metric("pyroscope_write_queue_faults_total", { fault: "cursor_ahead" }), 1);
    assert.match(again.logs.join(""), /a saved queue cursor is past the end of the log/);
    // New profiles still go out, after the old ones.
    assert.deepEqual(await again.receiver.push(pushOf("new")), { ok: true });
    await until("the new profile is delivered", () => b.accepted.includes("new"));
  });

  test("folders named like a segment or cursors.json are moved aside; the queue and receive_http start and work", async () => {
    const dir = await tempDir();
    await mkdir(join(dir, "segments", "00000000000000000000.seg"), { recursive: true });
    await writeFile(join(dir, "segments", "00000000000000000000.seg", "keep"), "not mine");
    await mkdir(join(dir, CURSOR_FILE));
    const b = await backend();
    const w = await startQueued(b, dir);
    const http = await start(testArgs([w.receiver]));
    cleanup.after(() => http.stop());
    assert.equal(await w.metric("pyroscope_write_queue_faults_total", { fault: "not_a_file" }), 2);
    assert.match(w.logs.join(""), /named like a segment that is not a file/);
    assert.equal(
      await readFile(join(dir, "segments", "00000000000000000000.seg.bad", "keep"), "utf8"),
      "not mine",
    );
    assert.deepEqual(await w.receiver.push(pushOf("p")), { ok: true });
    await until("the profile is delivered", () => b.accepted.includes("p"));
    assert.equal(w.component.health().state, "healthy");
    await until("the cursors are saved", async () =>
      (await stat(join(dir, CURSOR_FILE)).catch(() => undefined))?.isFile(),
    );
  });

  test("the folder deleted while running: 503 instead of 200, unhealthy, counted", async () => {
    const dir = await tempDir();
    const b = await backend(true);
    const w = await startQueued(b, join(dir, "q"));
    const http = await start(testArgs([w.receiver]));
    cleanup.after(() => http.stop());
    assert.deepEqual(await w.receiver.push(pushOf("before")), { ok: true });
    // The queue may write a file (its cursors) while the folder is being removed: remove until it is gone.
    await until("the folder is removed", () =>
      rm(join(dir, "q"), { recursive: true, force: true }).then(
        () => true,
        () => undefined,
      ),
    );

    const first = await w.receiver.push(pushOf("after"));
    assert.equal(first.ok, false);
    assert.equal(!first.ok ? first.httpStatus : 0, 503);
    const res = await rawRequest(`${http.url}/ingest?name=app.cpu`, {
      method: "POST",
      headers: [["Content-Type", "binary/octet-stream"]],
      body: "profile",
    });
    assert.equal(res.status, 503);
    assert.match(res.body.toString(), /queue folder .* was deleted while the relay was running/);
    const health = w.component.health();
    assert.equal(health.state, "unhealthy");
    assert.match(health.message, /was deleted while open/);
    assert.equal(await w.metric("pyroscope_write_queue_faults_total", { fault: "folder_deleted" }), 1);
    assert.match(w.logs.join(""), /the queue folder was deleted while the queue was open/);
    await w.stop();
  });
});

describe("queue path changed by a reload", () => {
  test("items waiting (also those being retried at that moment) are moved to the new folder and delivered", async () => {
    const dir = await tempDir();
    const b = await backend(true);
    const endpoint = endpointArgs({
      url: b.fake.url,
      name: "b",
      min_backoff_period: 5,
      max_backoff_period: 20,
    });
    const w = await startQueued(b, join(dir, "old"));
    for (let i = 0; i < 10; i++) assert.deepEqual(await w.receiver.push(pushOf(`p${i}`)), { ok: true });
    await until("the endpoint is being retried", () => b.fake.requests.length >= 4);

    await w.component.update(writeArgs({ endpoint: [endpoint], queue: queueArgs(join(dir, "new")) }));
    assert.deepEqual(await w.receiver.push(pushOf("after")), { ok: true });
    await until("the old folder is released", async () =>
      (await stat(join(dir, "old", "lock")).then(
        () => false,
        () => true,
      ))
        ? true
        : undefined,
    );
    assert.match(w.logs.join(""), /moved the queued profiles to the new folder/);
    assert.match(w.logs.join(""), /"moved":10,"left":0/);
    assert.equal(await w.metric("pyroscope_write_queue_left_behind_total"), 0);

    b.down = false;
    await until("everything is delivered", () => b.accepted.length >= 11);
    assert.deepEqual(
      [...new Set(b.accepted)].sort(),
      ["after", ...Array.from({ length: 10 }, (_, i) => `p${i}`)].sort(),
    );
    await w.stop();

    // The old folder has nothing left to send.
    const old = await startQueued(b, join(dir, "old"));
    assert.equal(await old.metric("pyroscope_write_queue_items", { endpoint: "b" }), 0);
    await old.stop();
  });

  test("removing the queue block leaves the waiting items in the folder, logged and counted", async () => {
    const dir = await tempDir();
    const b = await backend(true);
    const endpoint = endpointArgs({
      url: b.fake.url,
      name: "b",
      min_backoff_period: 5,
      max_backoff_period: 20,
    });
    const w = await startQueued(b, dir);
    for (let i = 0; i < 3; i++) assert.deepEqual(await w.receiver.push(pushOf(`p${i}`)), { ok: true });
    await w.component.update(writeArgs({ endpoint: [endpoint] }));
    assert.equal(await w.metric("pyroscope_write_queue_left_behind_total"), 3);
    assert.match(w.logs.join(""), /the queue block was removed: queued profiles stay in its folder/);
    await w.stop();

    b.down = false;
    const again = await startQueued(b, dir);
    await until("the items left behind are delivered", () => b.accepted.length >= 3);
    await again.stop();
  });
});
