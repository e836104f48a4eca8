/**
 * `profile-relay run --workers=2` as a child process: one relay seen from outside. The receive port (port 0
 * in the config) is shared by both workers; `/metrics` sums the workers' series; a reload applies to every
 * worker or to none; a SIGKILLed worker is replaced (and counted) while the other keeps answering; SIGTERM
 * answers the uploads in flight before exiting 0. `--workers=1` stays one process.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileCleanup, makeTempDir } from "../support/cleanup.ts";
import { startFakePyroscope } from "../support/fake-pyroscope.ts";
import { readFixture } from "../support/fixtures.ts";
import {
  type RelayProcess,
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

async function get(base: string, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`${base}${path}`);
  return { status: res.status, body: await res.text() };
}

/** The sum of the samples of `name` whose labels include `labels`; undefined when there is none. */
function sample(
  text: string,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number | undefined {
  let total: number | undefined;
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const have = Object.fromEntries(
      [...(m[3] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) total = (total ?? 0) + Number(m[4]);
  }
  return total;
}

function config(backendUrl: string, connLimit: number, failing = ""): string {
  return `livedebugging {
  enabled = true
}

pyroscope.receive_http "in" {
  http {
    listen_address = "127.0.0.1"
    listen_port    = 0
    conn_limit     = ${connLimit}
  }
  forward_to = [pyroscope.write.out.receiver]
}

pyroscope.write "out" {
  endpoint {
    url                = "${backendUrl}"
    min_backoff_period = "10ms"
    max_backoff_period = "100ms"
  }
}

testcomponents.failing "f" {
${failing}}
`;
}

/** The agent's address and the receive port once the relay runs (every worker must report the same port). */
async function started(relay: RelayProcess, workers: number): Promise<{ base: string; port: number }> {
  await until("the relay to run", () => /msg="profile-relay is running"/.test(relay.output), SLOW_MS);
  const addr = /msg="now listening for http traffic" addr=(127\.0\.0\.1:\d+)/.exec(relay.output)![1]!;
  await until("every worker's receive port", () => ports(relay.output).length >= workers);
  const all = ports(relay.output);
  assert.equal(new Set(all).size, 1, `every worker listens on the same port: ${all.join(", ")}`);
  return { base: `http://${addr}`, port: all[0]! };
}

function ports(output: string): number[] {
  return [
    ...output.matchAll(/msg="server listening" .*component_id=pyroscope\.receive_http\.in .*port=(\d+)/g),
  ].map((m) => Number(m[1]));
}

describe("run --workers=2 (child process)", () => {
  it("is one relay: shared port, summed metrics, all-or-none reloads, replaced workers, drained stop", {
    timeout: 180_000,
  }, async () => {
    const dir = await makeTempDir(cleanup, "profile-relay-workers-");
    const backend = await startFakePyroscope();
    cleanup.after(() => backend.close());
    const path = join(dir, "config.alloy");
    await writeFile(path, config(backend.url, 100));
    const relay = startRelay(path, join(dir, "data"), 170_000, { workers: 2, testComponents: true });
    const { base, port } = await started(relay, 2);
    const in_ = { component_id: "pyroscope.receive_http.in" };

    // K profiles, each on its own connection: K at the backend, K in the relay's counters (both workers').
    const K = 12;
    const statuses = await Promise.all(Array.from({ length: K }, (_, n) => upload(port, n, PPROF)));
    assert.deepEqual(statuses, Array(K).fill(200));
    await backend.waitFor(K, { kind: "ingest" });
    let metrics = (await get(base, "/metrics")).body;
    assert.equal(
      sample(metrics, "pyroscope_receive_http_request_duration_seconds_count", {
        ...in_,
        route: "ingest",
        status_code: "200",
      }),
      K,
    );
    assert.equal(
      sample(metrics, "pyroscope_write_sent_profiles_total", { component_id: "pyroscope.write.out" }),
      K,
    );
    assert.equal(
      sample(metrics, "pyroscope_receive_http_tcp_connections_limit", { ...in_, protocol: "http" }),
      100,
      "conn_limit is the relay's: the workers' shares add up to it",
    );
    assert.equal(sample(metrics, "alloy_build_info"), 1, "one build info, not one per process");
    assert.equal(sample(metrics, "profile_relay_workers"), 2);
    assert.equal(sample(metrics, "profile_relay_worker_restarts_total"), 0);
    assert.equal(
      sample(metrics, "alloy_component_controller_running_components", { health_type: "healthy" }),
      3,
      "each component counted once",
    );
    assert.ok((sample(metrics, "process_resident_memory_bytes") ?? 0) > 0);
    assert.equal((metrics.match(/^# TYPE process_cpu_seconds_total /gm) ?? []).length, 1);
    const doc = readFileSync(new URL("../../docs/metrics.md", import.meta.url), "utf8");
    for (const name of ["profile_relay_workers", "profile_relay_worker_restarts_total"]) {
      assert.ok(doc.includes(`\`${name}\``), `${name} is in docs/metrics.md`);
    }
    assert.deepEqual(await get(base, "/-/ready"), { status: 200, body: "Alloy is ready.\n" });
    const list = JSON.parse((await get(base, "/api/v0/web/components")).body) as { localID: string }[];
    assert.deepEqual(list.map((c) => c.localID).sort(), [
      "pyroscope.receive_http.in",
      "pyroscope.write.out",
      "testcomponents.failing.f",
    ]);

    // Live debugging in the primary's UI shows the events of both workers.
    const watch = new AbortController();
    const stream = await fetch(`${base}/api/v0/web/debug/pyroscope.receive_http.in`, {
      signal: watch.signal,
    });
    assert.equal(stream.status, 200);
    let events = "";
    const reading = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of stream.body!) events += decoder.decode(chunk as Uint8Array, { stream: true });
    })().catch(() => {});
    try {
      // the workers learn that someone watches over IPC: upload until events arrive, then 4 more
      await until("a first event", async () => {
        await upload(port, 50, PPROF);
        return events.includes('"componentID":"pyroscope.receive_http.in"');
      });
      const seen = events.split("|;|").length;
      assert.deepEqual(
        await Promise.all([51, 52, 53, 54].map((n) => upload(port, n, PPROF))),
        [200, 200, 200, 200],
      );
      await until(
        "the events of uploads served by either worker",
        () => events.split("|;|").length >= seen + 4,
      );
    } finally {
      watch.abort();
      await reading;
    }

    // A good reload under load applies in every worker (the shares of the new conn_limit add up to it),
    // and no upload fails meanwhile.
    await writeFile(path, config(backend.url, 300));
    let reloading = true;
    const during: number[] = [];
    const steady = (async () => {
      for (let n = 100; reloading && n < 2000; n++) during.push(await upload(port, n, PPROF).catch(() => 0));
    })();
    try {
      await until("uploads before the reload", () => during.length >= 3);
      assert.deepEqual(await get(base, "/-/reload"), { status: 200, body: "config reloaded\n" });
      const seen = during.length;
      await until("uploads after the reload", () => during.length >= seen + 3);
    } finally {
      reloading = false;
      await steady;
    }
    assert.deepEqual(
      during.filter((status) => status !== 200),
      [],
      "every upload during the reload answered 200",
    );
    metrics = (await get(base, "/metrics")).body;
    assert.equal(
      sample(metrics, "pyroscope_receive_http_tcp_connections_limit", { ...in_, protocol: "http" }),
      300,
    );

    // A config that does not validate changes nothing anywhere, with the error a single process gives.
    await writeFile(
      path,
      `${config(backend.url, 400)}\ntestcomponents.sender "t" { forward_to = [testcomponents.receiver.nope.receiver] }\n`,
    );
    const bad = await get(base, "/-/reload");
    assert.equal(bad.status, 400);
    assert.match(
      bad.body,
      /config\.alloy:\d+:43: component "testcomponents\.receiver\.nope\.receiver" does not exist or is out of scope\n$/,
    );
    metrics = (await get(base, "/metrics")).body;
    assert.equal(
      sample(metrics, "pyroscope_receive_http_tcp_connections_limit", { ...in_, protocol: "http" }),
      300,
    );
    assert.equal(sample(metrics, "alloy_config_last_load_successful"), 0);

    // Valid, but worker 1 refuses it: worker 0, which took it, goes back to the last good config too.
    await writeFile(
      path,
      config(backend.url, 500, '  update_error   = "refused here"\n  only_in_worker = 1\n'),
    );
    const refused = await get(base, "/-/reload");
    assert.equal(refused.status, 400);
    assert.match(refused.body, /refused here/);
    metrics = (await get(base, "/metrics")).body;
    assert.equal(
      sample(metrics, "pyroscope_receive_http_tcp_connections_limit", { ...in_, protocol: "http" }),
      300,
      "no worker kept the refused config",
    );
    assert.equal(sample(metrics, "alloy_config_load_failures_total"), 2);

    // Unhealthy in one worker is unhealthy for the relay.
    await writeFile(
      path,
      config(backend.url, 300, '  unhealthy      = "sick in one"\n  only_in_worker = 1\n'),
    );
    assert.equal((await get(base, "/-/reload")).status, 200);
    assert.deepEqual(await get(base, "/-/healthy"), {
      status: 500,
      body: "unhealthy components: testcomponents.failing\n",
    });
    const f = JSON.parse((await get(base, "/api/v0/web/components/testcomponents.failing.f")).body);
    assert.deepEqual([f.health.state, f.health.message], ["unhealthy", "sick in one"]);
    await writeFile(path, config(backend.url, 300));
    assert.equal((await get(base, "/-/reload")).status, 200);
    assert.equal((await get(base, "/-/healthy")).status, 200);

    // SIGKILL worker 1 under load: the relay keeps answering, worker 1 comes back and is counted.
    const victim = workerPid(relay.output, 1);
    assert.ok(victim !== undefined, "the primary logs each worker's pid");
    let loading = true;
    let okAfterKill = 0;
    let killed = false;
    let n = 1000;
    const load = (async () => {
      while (loading && n < 3000) {
        const status = await upload(port, n++, PPROF).catch(() => 0);
        if (killed && status === 200) okAfterKill++;
        if (status !== 200) await new Promise((r) => setTimeout(r, 20));
      }
    })();
    try {
      await new Promise((r) => setTimeout(r, 200));
      process.kill(victim, "SIGKILL");
      killed = true;
      await until("uploads answered while a worker is down", () => okAfterKill >= 5);
      await until(
        "worker 1 replaced",
        () => {
          const pid = workerPid(relay.output, 1);
          return pid !== undefined && pid !== victim;
        },
        SLOW_MS,
      );
      await until(
        "the replacement serving",
        async () => {
          const m = (await get(base, "/metrics")).body;
          return sample(m, "profile_relay_workers") === 2;
        },
        SLOW_MS,
      );
    } finally {
      loading = false;
      await load;
    }
    // The replacement counts as running once it is up; its components (and their gauges) follow its config load.
    await until(
      "the replacement's components reporting",
      async () => {
        const m = (await get(base, "/metrics")).body;
        return (
          sample(m, "pyroscope_receive_http_tcp_connections_limit", { ...in_, protocol: "http" }) === 300
        );
      },
      SLOW_MS,
    ).catch(() => {});
    metrics = (await get(base, "/metrics")).body;
    assert.equal(sample(metrics, "profile_relay_worker_restarts_total"), 1);
    assert.match(
      relay.output,
      /msg="worker exited; starting a new one" worker=1 pid=\d+ exit="signal SIGKILL"/,
    );
    assert.equal(
      sample(metrics, "pyroscope_receive_http_tcp_connections_limit", { ...in_, protocol: "http" }),
      300,
      "the replacement runs the last good config",
    );

    // SIGTERM with uploads held by the backend: both are answered, then the relay exits 0.
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    backend.setResponder(async () => {
      await released;
      return {};
    });
    const before = backend.ingests.length;
    const held = [upload(port, 9001, PPROF), upload(port, 9002, PPROF)];
    await until("the uploads at the backend", () => backend.ingests.length >= before + 2);
    relay.process.kill("SIGTERM");
    await until("the workers stopping", () => /msg="shutting down" worker=1/.test(relay.output), SLOW_MS);
    setTimeout(release, 300);
    assert.deepEqual(await Promise.all(held), [200, 200]);
    assert.equal(await relay.exited, 0);
    assert.match(relay.output, /msg="shutdown complete"\n/);
  });

  it("a second signal kills the workers and exits at once", { timeout: 150_000 }, async () => {
    const dir = await makeTempDir(cleanup, "profile-relay-workers-kill-");
    const path = join(dir, "config.alloy");
    await writeFile(path, config("http://127.0.0.1:1", 100, "  ignore_stop = true\n"));
    const relay = startRelay(path, join(dir, "data"), 140_000, { workers: 2, testComponents: true });
    await started(relay, 2);
    const pids = [workerPid(relay.output, 0)!, workerPid(relay.output, 1)!];
    relay.process.kill("SIGTERM");
    await until(
      "the workers stopping",
      () => (relay.output.match(/msg="shutting down" worker=/g) ?? []).length === 2,
      SLOW_MS,
    ).catch((err: Error) => {
      throw new Error(
        `${err.message}; exit ${relay.process.exitCode} ${relay.process.signalCode}; the relay wrote:\n${relay.output.slice(-3000)}`,
      );
    });
    relay.process.kill("SIGTERM");
    assert.equal(await relay.exited, 1);
    assert.match(relay.output, /second interrupt received, exiting now\n/);
    await until("no worker left", () =>
      pids.every((pid) => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      }),
    );
  });

  it("--workers=1 is one process: no worker, no pool metrics", { timeout: 120_000 }, async () => {
    const dir = await makeTempDir(cleanup, "profile-relay-workers1-");
    const path = join(dir, "config.alloy");
    await writeFile(path, config("http://127.0.0.1:1", 100));
    const relay = startRelay(path, join(dir, "data"), 110_000, { workers: 1, testComponents: true });
    const { base } = await started(relay, 1);
    const pid = relay.process.pid!;
    const children = `/proc/${pid}/task/${pid}/children`;
    let kids = "";
    try {
      kids = readFileSync(children, "utf8").trim();
    } catch {
      // not Linux: the log and metrics checks below still hold
    }
    assert.equal(kids, "", "no child process");
    assert.doesNotMatch(relay.output, /worker started|worker=/);
    const metrics = (await get(base, "/metrics")).body;
    assert.equal(sample(metrics, "profile_relay_workers"), undefined);
    assert.equal(sample(metrics, "pyroscope_receive_http_tcp_connections_limit", { protocol: "http" }), 100);
    relay.process.kill("SIGTERM");
    assert.equal(await relay.exited, 0);
  });
});
