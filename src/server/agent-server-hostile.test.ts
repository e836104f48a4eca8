import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { createLogging } from "../runtime/logging.ts";
import { type AgentServer, startAgentServer } from "./agent-server.ts";

/** One raw HTTP/1.1 request; resolves with the status line. */
function statusLine(port: number, request: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let got = "";
    socket.on("data", (d: Buffer) => {
      got += d.toString("latin1");
      if (got.includes("\r\n")) socket.destroy();
    });
    socket.on("error", () => {});
    socket.on("close", () => resolve(got.split("\r\n")[0] ?? ""));
    socket.write(request);
  });
}

describe("agent server: request targets it cannot parse", () => {
  let server: AgentServer;
  const logs: string[] = [];

  before(async () => {
    const logging = createLogging({ out: (t) => logs.push(t) });
    server = await startAgentServer(
      "127.0.0.1:0",
      {
        ready: () => true,
        unhealthyComponentNames: () => [],
        reload: async () => ({}),
        metrics: async () => ({ body: "", contentType: "text/plain" }),
        components: () => [],
        component: () => undefined,
      },
      logging.logger,
    );
  });
  after(() => server.close(1_000));

  it("answers 400 (as Go's server does), not 500 with an error logged", async () => {
    const port = server.address.port;
    for (const target of ["/api/v0/web/components/%E0%A4%A", "http://[", "/-/re%ZZady"]) {
      assert.equal(
        await statusLine(port, `GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`),
        "HTTP/1.1 400 Bad Request",
      );
    }
    assert.equal(await statusLine(port, "GET /-/%72eady HTTP/1.1\r\nHost: x\r\n\r\n"), "HTTP/1.1 200 OK");
    assert.deepEqual(
      logs.filter((l) => l.includes("level=error")),
      [],
    );
  });
});
