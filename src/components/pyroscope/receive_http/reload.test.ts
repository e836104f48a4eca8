/**
 * Reloads that change the `http` block while keep-alive clients are sending: requests in flight finish on the
 * old server, its idle connections are closed only after answering with `Connection: close`, new connections
 * go to the new server. No client sees a reset (Go SDKs do not retry a POST after one).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Agent, request } from "undici";
import { RecordingReceiver, start, testArgs } from "./testkit.ts";

const CLIENTS = 16;
const RELOADS = 8;

describe("reload of the http block", () => {
  test("keep-alive clients sending during reloads see no reset and no error", async () => {
    const receiver = new RecordingReceiver();
    const args = testArgs([receiver]);
    const running = await start(args);
    const agent = new Agent({ connections: CLIENTS, pipelining: 1 });
    const errors: string[] = [];
    let answered = 0;
    let sending = true;
    try {
      const clients = Array.from({ length: CLIENTS }, async (_, i) => {
        while (sending) {
          try {
            const res = await request(`${running.url}/ingest?name=app${i}`, {
              method: "POST",
              body: "x".repeat(1000),
              dispatcher: agent,
            });
            await res.body.dump();
            if (res.statusCode === 200) answered++;
            else errors.push(`status ${res.statusCode}`);
          } catch (err) {
            errors.push(`${(err as { code?: string }).code ?? ""} ${(err as Error).message}`);
          }
        }
      });
      for (let i = 0; i < RELOADS; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const http = { ...args.http, listen_port: running.port, server_idle_timeout: 60_000 + i * 1000 };
        await running.component.update({ ...args, http });
      }
      await new Promise((r) => setTimeout(r, 100));
      sending = false;
      await Promise.all(clients);
      assert.deepEqual(errors, []);
      assert.ok(answered > 0);
    } finally {
      sending = false;
      await agent.close();
      await running.stop();
    }
  });
});
