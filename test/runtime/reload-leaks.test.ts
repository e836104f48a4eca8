/**
 * Reloading must not leak: 50 reloads that each change something (the receiver's `http` block, its
 * `forward_to`, endpoints, the queue, the capture store, whole components coming and going), with a profile
 * through the pipeline after each, leave the same listening sockets, connections, timers and metric series
 * as after the first; and shutdown leaves nothing of the agent's open.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { rawRequest } from "../../src/components/pyroscope/receive_http/testkit.ts";
import { Agent } from "../../src/runtime/agent.ts";
import { cliRegistry } from "../../src/runtime/cli-registry.ts";
import { startFakePyroscope } from "../support/fake-pyroscope.ts";
import { freePort } from "../support/free-port.ts";

/** Handles of the kinds a component could leave behind, counted by kind. */
function handles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) {
    if (/^(TCPServerWrap|TCPSocketWrap|Timeout|FSReqCallback|FSReqPromise|FileHandle)$/.test(kind)) {
      counts[kind] = (counts[kind] ?? 0) + 1;
    }
  }
  return counts;
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** The metric series of `/metrics`, without their values (which change as profiles flow). */
function seriesOf(metrics: string): string[] {
  return metrics
    .split("\n")
    .filter((l) => l !== "" && !l.startsWith("#") && !l.startsWith("process_") && !l.startsWith("nodejs_"))
    .map((l) => l.slice(0, l.lastIndexOf(" ")))
    .filter((s) => !s.startsWith("alloy_config_hash"))
    .sort();
}

test("50 reloads leave no sockets, timers, files or metric series behind", { timeout: 60_000 }, async () => {
  const before = handles();
  const fake = await startFakePyroscope({});
  const dir = await mkdtemp(join(tmpdir(), "profile-relay-reload-leaks-"));
  const path = join(dir, "config.alloy");
  const port = await freePort();
  const agent = await Agent.start({
    configPath: path,
    listenAddr: "127.0.0.1:0",
    storagePath: join(dir, "data"),
    minStability: "generally-available",
    stopDeadlineMs: 5_000,
    registry: cliRegistry(),
    logOut: () => {},
  });
  const config = (i: number) => `
pyroscope.receive_http "r" {
  http {
    listen_address      = "127.0.0.1"
    listen_port         = ${port}
    server_idle_timeout = "${(i % 3) + 1}m"
  }
  forward_to = [${i % 2 === 0 ? "pyroscope.write.w.receiver, pyroscope.capture.c.receiver" : "pyroscope.write.w.receiver"}]
}

pyroscope.write "w" {
  endpoint {
    url            = "${fake.url}"
    remote_timeout = "${(i % 4) + 1}s"
  }
  ${i % 5 === 0 ? "queue { }" : ""}
}

pyroscope.capture "c" {
  retention = "${(i % 3) + 1}h"
}
${i % 2 === 0 ? `pyroscope.write "extra_${i}" {\n  endpoint {\n    url = "${fake.url}"\n  }\n}` : ""}
`;
  try {
    let baseline: Record<string, number> | undefined;
    let baselineSeries: string[] | undefined;
    for (let i = 0; i < 50; i++) {
      await writeFile(path, config(i));
      const outcome = await agent.reload();
      assert.equal(outcome.error, undefined, `reload ${i}`);
      const answer = await rawRequest(`http://127.0.0.1:${port}/ingest?name=svc${i}`, { body: "x" });
      assert.equal(answer.status, 200, `request after reload ${i}`);
      await settle();
      if (i === 9) {
        baseline = handles();
        baselineSeries = seriesOf(await agent.metrics());
      } else if (i === 49) {
        assert.deepEqual(handles(), baseline);
        const series = seriesOf(await agent.metrics());
        const added = series.filter((s) => !baselineSeries?.includes(s));
        const removed = baselineSeries?.filter((s) => !series.includes(s));
        assert.deepEqual({ added, removed }, { added: [], removed: [] });
      }
    }
    assert.equal(fake.requests.length, 50, "every profile went through");
  } finally {
    await agent.shutdown();
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  }
  await settle();
  assert.deepEqual(handles(), before);
});
