/**
 * The in-flight budget counts body bytes as they arrive: connections that only announce a large body hold
 * nothing, and a body that stalls gives its budget back long before `server_read_timeout`.
 */
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { connect, type Socket } from "node:net";
import { describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { until } from "../../../../test/support/until.ts";
import { BudgetedBuffer } from "./budgeted-buffer.ts";
import { declaredInflatedSize } from "./inflate.ts";
import { type BodyLimits, type BodyResult, InflightBudget, readBody } from "./limits.ts";
import { RecordingReceiver, rawRequest, start, testArgs } from "./testkit.ts";

const MiB = 1024 * 1024;

/** Opens a connection and sends `head` (and nothing else); the caller destroys it. */
function announce(port: number, head: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => {
      socket.write(head);
      resolve(socket);
    });
    socket.on("error", reject);
  });
}

describe("the in-flight budget counts bytes as they arrive", () => {
  test("connections announcing 256 MiB bodies they never send do not block a normal upload", async () => {
    const receiver = new RecordingReceiver();
    const running = await start(testArgs([receiver])); // default max_inflight_body_size: 1GiB
    const sockets: Socket[] = [];
    try {
      for (let i = 0; i < 8; i++) {
        sockets.push(
          await announce(
            running.port,
            `POST /ingest?name=idle${i} HTTP/1.1\r\nHost: x\r\nContent-Length: 268435456\r\n\r\n`,
          ),
        );
      }
      // the announcing requests reached the handler (they are in flight) before the real uploads come
      await new Promise((r) => setTimeout(r, 100));
      for (let i = 0; i < 4; i++) {
        const res = await rawRequest(`${running.url}/ingest?name=real`, { body: "x".repeat(100_000) });
        assert.equal(res.status, 200, res.body.toString());
      }
      assert.equal(receiver.ingests.length, 4);
    } finally {
      for (const s of sockets) s.destroy();
      await running.stop();
    }
  });
});

describe("readBody", () => {
  /** A server whose requests are read with `limits`; `results` gets each outcome. */
  async function serve(limits: BodyLimits): Promise<{ server: Server; port: number; results: BodyResult[] }> {
    const results: BodyResult[] = [];
    const server = createServer((req: IncomingMessage, res) => {
      void readBody(req, limits).then((result) => {
        results.push(result);
        if (result.kind === "ok") limits.budget.release(result.reserved);
        res.setHeader("Connection", "close");
        res.end(result.kind);
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return { server, port: (server.address() as { port: number }).port, results };
  }

  test("a declared length reserves nothing until bytes arrive; what arrived is held at most twice", async () => {
    const budget = new InflightBudget(64 * MiB);
    const { server, port, results } = await serve({ maxBytes: 0, budget, timeoutMs: 0, stallMs: 0 });
    const socket = await announce(port, `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${32 * MiB}\r\n\r\n`);
    try {
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(budget.used, 0);
      const part = Buffer.alloc(3 * MiB, 1);
      socket.write(part);
      await until("the part is counted", () => budget.used >= part.length);
      assert.ok(budget.used <= 2 * part.length, `${budget.used} held for ${part.length} received`);
      socket.write(Buffer.alloc(29 * MiB, 2));
      await until("the body is read", () => results.length === 1);
      assert.equal(results[0]?.kind, "ok");
      assert.equal(budget.used, 0);
    } finally {
      socket.destroy();
      server.close();
    }
  });

  test("a body that stalls is given up after stallMs and its budget released", async () => {
    const budget = new InflightBudget(64 * MiB);
    const { server, port, results } = await serve({ maxBytes: 0, budget, timeoutMs: 30_000, stallMs: 200 });
    const socket = await announce(port, `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${8 * MiB}\r\n\r\n`);
    try {
      socket.write(Buffer.alloc(MiB));
      await until("the part is counted", () => budget.used >= MiB);
      await until("the stalled body is given up", () => results.length === 1);
      assert.deepEqual(results[0], { kind: "timeout", timeoutMs: 200, setting: "stall" });
      assert.equal(budget.used, 0);
    } finally {
      socket.destroy();
      server.close();
    }
  });
});

describe("BudgetedBuffer", () => {
  test("grows to exactly the hinted size, reserving each capacity before it allocates it", () => {
    const budget = new InflightBudget(0);
    const buffer = new BudgetedBuffer(budget, 1000);
    for (let i = 0; i < 10; i++) assert.ok(buffer.append(Buffer.alloc(100, i)));
    const { bytes, reserved } = buffer.take();
    assert.equal(bytes.length, 1000);
    assert.equal(reserved, 1000);
    assert.equal(budget.used, 1000);
    assert.equal(bytes[999], 9);
  });

  test("refuses to grow past the budget and keeps what it has", () => {
    const budget = new InflightBudget(250);
    const buffer = new BudgetedBuffer(budget);
    assert.ok(buffer.append(Buffer.alloc(100)));
    assert.ok(buffer.append(Buffer.alloc(100)));
    assert.equal(budget.used, 200);
    // neither doubling to 400 nor growing to the 300 needed fits
    assert.equal(buffer.append(Buffer.alloc(100)), false);
    assert.equal(buffer.length, 200);
    assert.equal(budget.used, 200);
    buffer.discard();
    assert.equal(budget.used, 0);
  });

  test("a whole body in one chunk of its own is kept, not copied; a view into a larger buffer is copied", () => {
    const budget = new InflightBudget(0);
    const whole = Buffer.allocUnsafeSlow(1000).fill(7);
    const kept = new BudgetedBuffer(budget, 1000);
    assert.ok(kept.append(whole));
    const taken = kept.take();
    assert.equal(taken.bytes.buffer, whole.buffer);
    assert.equal(taken.reserved, 1000);
    assert.equal(budget.used, 1000);
    budget.release(taken.reserved);

    const view = Buffer.allocUnsafeSlow(2000).fill(8).subarray(500, 1500);
    const copied = new BudgetedBuffer(budget, 1000);
    assert.ok(copied.append(view));
    const out = copied.take();
    assert.notEqual(out.bytes.buffer, view.buffer);
    assert.deepEqual(out.bytes, view);
    budget.release(out.reserved);

    // a kept chunk that would not fit the budget is refused like any other, and a discard leaves it usable
    const small = new InflightBudget(500);
    const refused = new BudgetedBuffer(small, 1000);
    assert.equal(refused.append(whole), false);
    assert.equal(small.used, 0);
    const discarded = new BudgetedBuffer(budget, 1000);
    assert.ok(discarded.append(whole));
    discarded.discard();
    assert.equal(budget.used, 0);
    assert.equal(whole.length, 1000, "the caller's chunk is not detached");
  });
});

describe("what connect makes of a push body is counted before it is allocated", () => {
  test("a JSON push that cannot be decoded within the budget is refused for good; a small one is accepted", async () => {
    const receiver = new RecordingReceiver();
    const running = await start(testArgs([receiver], { max_inflight_body_size: MiB }));
    try {
      const json = (size: number) =>
        `{"series":[{"labels":[{"name":"service_name","value":"x"}],"samples":[{"rawProfile":"${"A".repeat(size)}"}]}]}`;
      const headers = [["Content-Type", "application/json"]] as const;
      const url = `${running.url}/push.v1.PusherService/Push`;
      const big = await rawRequest(url, { headers, body: json(300 * 1024) });
      assert.equal(big.status, 429);
      assert.equal(big.headers["retry-after"], undefined);
      assert.match(big.body.toString(), /JSON push too large to decode within max_inflight_body_size/);
      assert.equal((await rawRequest(url, { headers, body: json(100 * 1024) })).status, 200);
      assert.equal(receiver.pushes.length, 1);
    } finally {
      await running.stop();
    }
  });

  test("a gzip push declaring more than max_request_body_size is refused before it is inflated", async () => {
    const receiver = new RecordingReceiver();
    const running = await start(testArgs([receiver], { max_request_body_size: MiB }));
    try {
      const bomb = gzipSync(Buffer.alloc(2 * MiB));
      assert.equal(declaredInflatedSize(bomb), 2 * MiB);
      const res = await rawRequest(`${running.url}/push.v1.PusherService/Push`, {
        headers: [
          ["Content-Type", "application/proto"],
          ["Content-Encoding", "gzip"],
        ],
        body: bomb,
      });
      assert.equal(res.status, 429);
      assert.match(res.body.toString(), /larger than configured readMaxBytes 1048576 after decompression/);
    } finally {
      await running.stop();
    }
  });
});
