/**
 * SIGTERM with uploads in flight: `profile-relay run` as a child process, `pyroscope.receive_http` in front of
 * `pyroscope.write` and a fake backend that holds the uploads. Every upload the relay has started to receive is
 * answered before the process exits.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Agent, request } from "undici";
import { startFakePyroscope } from "../support/fake-pyroscope.ts";
import { until } from "../support/until.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const NODE = join(ROOT, "node_modules/.bin/node");
const MAIN = join(ROOT, "src/cli/main.ts");

describe("SIGTERM with uploads in flight", () => {
  it("answers every upload in flight (with Connection: close), then exits 0", {
    timeout: 60_000,
  }, async () => {
    const UPLOADS = 4;
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const backend = await startFakePyroscope({
      respond: async () => {
        await released;
        return {};
      },
    });
    const dir = await mkdtemp(join(tmpdir(), "profile-relay-stop-"));
    const agent = new Agent({ connections: UPLOADS, pipelining: 1 });
    const config = join(dir, "config.alloy");
    await writeFile(
      config,
      `pyroscope.receive_http "in" {
  http {
    listen_address = "127.0.0.1"
    listen_port    = 0
  }
  forward_to = [pyroscope.write.out.receiver]
}

pyroscope.write "out" {
  endpoint {
    url = "${backend.url}"
  }
}
`,
    );
    const child = spawn(
      NODE,
      [MAIN, "run", "--server.http.listen-addr=127.0.0.1:0", "--storage.path", join(dir, "data"), config],
      {
        cwd: ROOT,
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      const port = await until(
        "receive_http listening",
        () => /msg="server listening" .* port=(\d+)/.exec(stderr)?.[1],
      );
      const uploads = Array.from({ length: UPLOADS }, (_, i) =>
        request(`http://127.0.0.1:${port}/ingest?name=app${i}`, {
          method: "POST",
          body: `profile ${i}`,
          dispatcher: agent,
        }).then(async (res) => ({
          status: res.statusCode,
          connection: res.headers["connection"],
          body: await res.body.text(),
        })),
      );
      await backend.waitFor(UPLOADS, { kind: "ingest", timeoutMs: 15_000 });
      child.kill("SIGTERM");
      await until("the relay begins to stop", () =>
        stderr.includes("interrupt received") ? true : undefined,
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      release();
      const answers = await Promise.all(uploads);
      assert.deepEqual(
        answers,
        Array.from({ length: UPLOADS }, () => ({ status: 200, connection: "close", body: "" })),
      );
      assert.equal(await exited, 0);
    } catch (err) {
      throw new Error(`${(err as Error).message}\nrelay log:\n${stderr}`);
    } finally {
      release();
      child.kill("SIGKILL");
      await agent.close();
      await backend.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
