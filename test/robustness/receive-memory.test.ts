/**
 * Memory follows `max_inflight_body_size`: a `pyroscope.receive_http` in a child process (receivers that drop
 * everything) gets bodies built to take as much memory as they can — gzip pushes that inflate past every
 * limit, JSON pushes that decode to several times their size — and its peak RSS (VmHWM from /proc) stays
 * within the budget plus the fixed overhead stated in docs/reliability-receive.md. Linux only.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { createGzip, gzipSync } from "node:zlib";
import { request } from "undici";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const NODE = join(ROOT, "node_modules/.bin/node");
const CHILD = fileURLToPath(new URL("./receive-memory-child.ts", import.meta.url));
const MiB = 1024 * 1024;
const BUDGET = 256 * MiB;
/** The fixed overhead docs/reliability-receive.md states, over the RSS at rest. */
const OVERHEAD = 128 * MiB;

const skip = existsSync("/proc/self/clear_refs") ? false : "needs Linux /proc";

/** A child relay with `budget`; `peak()` is its peak RSS over its resting RSS since the last call. */
async function startChild(budget: number) {
  const child = spawn(NODE, [CHILD, String(budget)], { stdio: ["pipe", "pipe", "inherit"] });
  const killer = setTimeout(() => child.kill("SIGKILL"), 120_000);
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => JSON.parse((await lines.next()).value as string) as Record<string, number>;
  const started = await next();
  return {
    url: `http://127.0.0.1:${started["port"]}`,
    async peak(): Promise<number> {
      child.stdin.write("peak\n");
      return ((await next())["peak"] ?? 0) - (started["rss"] ?? 0);
    },
    stop() {
      clearTimeout(killer);
      child.kill("SIGKILL");
    },
  };
}

async function gzipOfZeros(bytes: number): Promise<Buffer> {
  const gzip = createGzip();
  const out: Buffer[] = [];
  gzip.on("data", (c: Buffer) => out.push(c));
  const zeros = Buffer.alloc(MiB);
  for (let sent = 0; sent < bytes; sent += zeros.length) {
    if (!gzip.write(zeros)) await new Promise((r) => gzip.once("drain", r));
  }
  await new Promise((r) => gzip.end(r));
  return Buffer.concat(out);
}

/** Sends `count` pushes at once; resolves with their statuses (0: the connection was closed). */
function pushes(url: string, count: number, headers: Record<string, string>, body: Buffer) {
  return Promise.all(
    Array.from({ length: count }, () =>
      request(`${url}/push.v1.PusherService/Push`, { method: "POST", headers, body }).then(
        async (res) => {
          await res.body.dump();
          return res.statusCode;
        },
        () => 0,
      ),
    ),
  );
}

describe("peak memory stays within max_inflight_body_size plus a fixed overhead", { skip }, () => {
  test("gzip pushes that inflate past every limit, their sizes declared or not", {
    timeout: 120_000,
  }, async (t) => {
    const child = await startChild(BUDGET);
    try {
      const bomb = await gzipOfZeros(512 * MiB);
      // a valid gzip stream whose last member declares 0 bytes: the declared size says nothing
      const understated = Buffer.concat([bomb, gzipSync(Buffer.alloc(0))]);
      const headers = { "content-type": "application/proto", "content-encoding": "gzip" };
      const statuses = [
        ...(await pushes(child.url, 8, headers, bomb)),
        ...(await pushes(child.url, 8, headers, understated)),
      ];
      assert.ok(
        statuses.every((s) => s === 429 || s === 0),
        `refused: ${statuses}`,
      );
      const peak = await child.peak();
      t.diagnostic(`peak RSS over rest: ${(peak / MiB).toFixed(0)} MiB`);
      assert.ok(peak <= BUDGET + OVERHEAD, `peak ${(peak / MiB).toFixed(0)} MiB over the resting RSS`);
    } finally {
      child.stop();
    }
  });

  test("JSON pushes, which decode to several times their size", { timeout: 120_000 }, async (t) => {
    const child = await startChild(BUDGET);
    try {
      const head = '{"series":[{"labels":[{"name":"service_name","value":"x"}],"samples":[{"rawProfile":"';
      const json = Buffer.concat([Buffer.from(head), Buffer.alloc(32 * MiB, "A"), Buffer.from('"}]}]}')]);
      const statuses = await pushes(child.url, 4, { "content-type": "application/json" }, json);
      assert.ok(
        statuses.every((s) => s === 200 || s === 429 || s === 0),
        `answered: ${statuses}`,
      );
      const peak = await child.peak();
      t.diagnostic(`peak RSS over rest: ${(peak / MiB).toFixed(0)} MiB`);
      assert.ok(peak <= BUDGET + OVERHEAD, `peak ${(peak / MiB).toFixed(0)} MiB over the resting RSS`);
    } finally {
      child.stop();
    }
  });
});
