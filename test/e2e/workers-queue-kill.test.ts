/**
 * `run --workers=2` with a durable queue: a worker SIGKILLed under load loses nothing it acknowledged. The
 * relay keeps answering on the other worker; the replaced worker takes its shard's lock over (its owner is
 * gone) and delivers what was waiting there. Every upload answered 200 reaches the backend.
 */
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileCleanup, makeTempDir } from "../support/cleanup.ts";
import { startFakePyroscope } from "../support/fake-pyroscope.ts";
import { readFixture } from "../support/fixtures.ts";
import { freePort } from "../support/free-port.ts";
import {
  queuedRelayConfig,
  SLOW_MS,
  startRelay,
  stopAll,
  upload,
  workerPid,
} from "../support/relay-process.ts";
import { until } from "../support/until.ts";

after(() => stopAll()); // the relays first: they write into the folders
const cleanup = fileCleanup();

const PPROF = readFixture("pprof/go-cpu.pb.gz");

/** The `seq` label of an upload as the backend received it (`name=workers.cpu{seq=N}`). */
function seqOf(query: string): number | undefined {
  const name = new URLSearchParams(query).get("name") ?? "";
  const m = /seq=(\d+)/.exec(name);
  return m === null ? undefined : Number(m[1]);
}

describe("run --workers=2 with a queue", () => {
  it("a worker killed under load: every acknowledged profile arrives", { timeout: 180_000 }, async () => {
    const dir = await makeTempDir(cleanup, "profile-relay-workers-queue-");
    // the backend is slow enough that profiles wait in the queue when the worker dies
    const backend = await startFakePyroscope({ respond: () => ({ delayMs: 50 }) });
    cleanup.after(() => backend.close());
    const port = await freePort();
    const config = join(dir, "relay.alloy");
    await writeFile(config, queuedRelayConfig(port, backend.url));
    const relay = startRelay(config, join(dir, "data"), 170_000, { workers: 2 });
    await until("the relay to run", () => /profile-relay is running/.test(relay.output), SLOW_MS);
    await until("both workers", () => workerPid(relay.output, 1) !== undefined, SLOW_MS);

    const acknowledged = new Set<number>();
    let killed = false;
    let answeredAfterKill = 0;
    let n = 0;
    const send = async (): Promise<void> => {
      while (n < 200 && !(killed && answeredAfterKill >= 40)) {
        const seq = n++;
        const status = await upload(port, seq, PPROF).catch(() => 0);
        if (status === 200) {
          acknowledged.add(seq);
          if (killed) answeredAfterKill++;
        }
      }
    };
    const load = Promise.all([send(), send(), send(), send()]);
    await until("some uploads acknowledged", () => acknowledged.size >= 30, SLOW_MS);
    const victim = workerPid(relay.output, 1)!;
    process.kill(victim, "SIGKILL");
    killed = true;
    await load;
    assert.ok(answeredAfterKill >= 40, "the relay kept answering while a worker was down");
    await until(
      "worker 1 replaced",
      () => {
        const pid = workerPid(relay.output, 1);
        return pid !== undefined && pid !== victim;
      },
      SLOW_MS,
    );

    const delivered = (): Set<number> =>
      new Set(
        backend.requests
          .filter((r) => r.kind === "ingest")
          .map((r) => seqOf(r.query))
          .filter((s): s is number => s !== undefined),
      );
    await until(
      "every acknowledged profile at the backend",
      () => [...acknowledged].every((s) => delivered().has(s)),
      SLOW_MS,
    );
    const missing = [...acknowledged].filter((s) => !delivered().has(s));
    assert.deepEqual(missing, []);
    assert.match(relay.output, /worker exited; starting a new one/);
  });
});
