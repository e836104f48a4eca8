/**
 * Crash test of the durable queue: `profile-relay run` as a child process, with `pyroscope.receive_http` in
 * front of a `pyroscope.write` that has a `queue` block, under steady load from real HTTP clients on both
 * routes (`/ingest` and push). The child is SIGKILLed at random moments several times and restarted each
 * time; only then does the backend come up, and the child is killed once more while it delivers the backlog.
 * Every profile that got a 200 must arrive (at-least-once); duplicates are reported.
 */
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileCleanup, makeTempDir } from "../support/cleanup.ts";
import { type RecordedRequest, startFakePyroscope } from "../support/fake-pyroscope.ts";
import { readFixture } from "../support/fixtures.ts";
import { freePort } from "../support/free-port.ts";
import { pushRequestBody } from "../support/push-request.ts";
import { queuedRelayConfig, startRelay, stopAll } from "../support/relay-process.ts";
import { until } from "../support/until.ts";

const KILLS = 4;
const WORKERS = 4;

after(() => stopAll()); // the relays first: they write into the folders
const cleanup = fileCleanup();

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The ID of a request the backend received: the push sample ID, or the ingest's `seq` label. */
function idOf(r: RecordedRequest): string {
  if (r.kind === "push") return r.push?.series[0]?.samples[0]?.ID ?? "?";
  const name = new URLSearchParams(r.query).get("name") ?? "";
  return `ingest-${/seq=([^,}]+)/.exec(name)?.[1] ?? "?"}`;
}

describe("durable queue: SIGKILL under load", () => {
  it("every profile that got a 200 arrives once the backend is up", { timeout: 90_000 }, async (t) => {
    const dir = await makeTempDir(cleanup, "profile-relay-crash-");

    let up = false;
    const arrived = new Map<string, number>();
    const backend = await startFakePyroscope({
      respond: (r) => {
        if (!up) return { reset: true };
        const id = idOf(r);
        arrived.set(id, (arrived.get(id) ?? 0) + 1);
        return undefined;
      },
    });
    cleanup.after(() => backend.close());

    const port = await freePort();
    const config = join(dir, "config.alloy");
    await writeFile(config, queuedRelayConfig(port, backend.url));
    const storage = join(dir, "data");
    const base = `http://127.0.0.1:${port}`;
    const pprof = readFixture("pprof/go-cpu.pb.gz");
    const acked = new Set<string>();
    let seq = 0;
    let loading = true;

    const worker = async (w: number): Promise<void> => {
      while (loading) {
        const n = seq++;
        try {
          if (n % 2 === 0) {
            const id = `ingest-${n}`;
            const res = await fetch(`${base}/ingest?name=crash.cpu%7Bseq%3D${n}%7D&format=pprof`, {
              method: "POST",
              headers: { "content-type": "application/octet-stream" },
              body: pprof,
            });
            await res.arrayBuffer();
            if (res.status === 200) acked.add(id);
          } else {
            const id = `push-${w}-${n}`;
            const body = pushRequestBody({ __name__: "process_cpu", service_name: "crash-app" }, pprof, id);
            const res = await fetch(`${base}/push.v1.PusherService/Push`, {
              method: "POST",
              headers: { "content-type": "application/proto" },
              body,
            });
            await res.arrayBuffer();
            if (res.status === 200) acked.add(id);
          }
        } catch {
          await sleep(5); // the relay is down (killed, restarting): try again
        }
      }
    };

    let child = startRelay(config, storage);
    const workers = Array.from({ length: WORKERS }, (_, w) => worker(w));
    try {
      for (let kill = 0; kill < KILLS; kill++) {
        const before = acked.size;
        await until(`load through the relay (cycle ${kill})`, () => acked.size >= before + 20);
        await sleep(50 + Math.floor(Math.random() * 400));
        child.process.kill("SIGKILL");
        assert.equal(await child.exited, null, "killed by the signal");
        child = startRelay(config, storage);
      }
      const before = acked.size;
      await until("load after the last restart", () => acked.size >= before + 20);
    } finally {
      loading = false;
      await Promise.all(workers);
    }

    // The backend comes up; one more kill while the backlog is being delivered (cursors not yet saved).
    up = true;
    await until("delivery under way", () => arrived.size >= acked.size / 3);
    child.process.kill("SIGKILL");
    await child.exited;
    child = startRelay(config, storage);

    const missing = (): string[] => [...acked].filter((id) => !arrived.has(id));
    await until("every acknowledged profile arrives", () => missing().length === 0, 30_000).catch(
      (err: Error) => {
        throw new Error(
          `${err.message}: ${missing().length} of ${acked.size} missing, e.g. ${missing().slice(0, 5).join(", ")}\n${child.output}`,
        );
      },
    );
    let duplicates = 0;
    for (const n of arrived.values()) duplicates += n - 1;
    t.diagnostic(
      `acknowledged ${acked.size}, arrived ${arrived.size} distinct, duplicates ${duplicates}, kills ${KILLS + 1}`,
    );
    assert.ok(acked.size > KILLS * 20);

    child.process.kill("SIGTERM");
    assert.equal(await child.exited, 0, child.output);
  });
});
