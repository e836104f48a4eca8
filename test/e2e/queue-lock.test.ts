/**
 * One owner per queue folder, across processes: `profile-relay run` as child processes on one `queue.path`.
 * The second refuses to start and says who holds the folder; once the first is SIGKILLed (its lock left
 * behind), the next one takes the stale lock over.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileCleanup, makeTempDir } from "../support/cleanup.ts";
import { freePort } from "../support/free-port.ts";
import { startRelay, stopAll } from "../support/relay-process.ts";
import { until } from "../support/until.ts";

after(() => stopAll()); // the relays first: they write into the folders
const cleanup = fileCleanup();

async function config(dir: string, name: string, queuePath: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(
    path,
    `pyroscope.receive_http "in" {
  http {
    listen_address = "127.0.0.1"
    listen_port    = ${await freePort()}
  }
  forward_to = [pyroscope.write.out.receiver]
}

pyroscope.write "out" {
  endpoint {
    url = "http://127.0.0.1:1"
  }
  queue {
    path = "${queuePath}"
  }
}
`,
  );
  return path;
}

describe("durable queue: one owner per folder", () => {
  it("a second relay on the same queue path refuses to start; a dead owner's lock is taken over", async () => {
    const dir = await makeTempDir(cleanup, "profile-relay-lock-");
    const queue = join(dir, "queue");
    const lockFile = join(queue, "lock");

    const first = startRelay(await config(dir, "a.alloy", queue), join(dir, "data-a"));
    await until("the first relay to run", () => /profile-relay is running/.test(first.output));
    const owner = JSON.parse(readFileSync(lockFile, "utf8")) as { pid: number };
    assert.equal(owner.pid, first.process.pid);

    // The same folder written another way: `./` and a trailing slash.
    const second = startRelay(await config(dir, "b.alloy", `${dir}/./queue/`), join(dir, "data-b"));
    const code = await second.exited;
    assert.notEqual(code, 0, "the second relay must not run");
    assert.match(second.output, new RegExp(`is in use by process ${first.process.pid}`));
    assert.match(second.output, /give this component its own queue path/);
    assert.equal(JSON.parse(readFileSync(lockFile, "utf8")).pid, first.process.pid, "the lock is untouched");

    first.process.kill("SIGKILL");
    await first.exited;
    assert.ok(existsSync(lockFile), "a killed relay leaves its lock behind");

    const third = startRelay(await config(dir, "c.alloy", queue), join(dir, "data-c"));
    await until("the third relay to run", () => /profile-relay is running/.test(third.output));
    assert.match(third.output, /taking over the lock of the queue folder/);
    assert.match(third.output, new RegExp(`process ${first.process.pid} is not running`));
    assert.equal(JSON.parse(readFileSync(lockFile, "utf8")).pid, third.process.pid);

    third.process.kill("SIGTERM");
    assert.equal(await third.exited, 0);
    assert.ok(!existsSync(lockFile), "a clean exit removes the lock");
  });
});
