/**
 * The web UI in a real browser: Debian's Chromium driven by `playwright-core`, against an in-process agent
 * with live debugging on, fed by the real Pyroscope Node SDK. Opens the live debugging page of the
 * receive_http component, waits for a profile row and draws its flamegraph, then the components table, a
 * component page, the graph and a UI behind `--server.http.ui-path-prefix`; checks that the secret of the
 * config appears on no page. Screenshots go to `test-results/ui/` (emptied at the start of each run).
 *
 * Skips with one line when no Chromium is found (`CHROMIUM_PATH`, or Debian's `/usr/bin/chromium`).
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import Pyroscope from "@pyroscope/nodejs";
import { type Browser, chromium, type Page } from "playwright-core";
import { allComponents } from "../../src/components/all.ts";
import type { Agent } from "../../src/runtime/agent.ts";
import { createRegistry } from "../../src/runtime/registry.ts";
import { startLoadedAgent } from "../support/agent.ts";
import { freePort } from "../support/free-port.ts";

const SECRET = "ui-test-secret-c0ffee";
const SHOTS = fileURLToPath(new URL("../../test-results/ui/", import.meta.url));
const CHROMIUM = [process.env["CHROMIUM_PATH"], "/usr/bin/chromium", "/usr/bin/chromium-browser"].find(
  (p): p is string => p !== undefined && p !== "" && existsSync(p),
);

/** A backend that accepts every push and ingest. */
async function backend(): Promise<Server> {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "Content-Type": "application/proto" });
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return server;
}

/** The agent on `config`, with every component of `run`; `uiPathPrefix` serves the UI under a prefix. */
async function startAgent(dir: string, config: string, uiPathPrefix?: string): Promise<Agent> {
  const file = `${uiPathPrefix === undefined ? "main" : "prefixed"}.alloy`;
  const registry = createRegistry(allComponents);
  return (await startLoadedAgent({ dir, config, file, registry, uiPathPrefix })).agent;
}

describe("web UI in Chromium", {
  timeout: 180_000,
  skip: CHROMIUM === undefined && "no Chromium found: browser tests skipped",
}, () => {
  let dir: string;
  let sink: Server;
  let agent: Agent;
  let base: string;
  let browser: Browser;
  let page: Page;
  const contents: string[] = [];

  before(async () => {
    await rm(SHOTS, { recursive: true, force: true });
    await mkdir(SHOTS, { recursive: true });
    dir = await mkdtemp(join(tmpdir(), "profile-relay-ui-"));
    sink = await backend();
    const sdkPort = await freePort();
    agent = await startAgent(
      dir,
      `livedebugging {
  enabled = true
}

pyroscope.receive_http "sdk" {
  http {
    listen_address = "127.0.0.1"
    listen_port    = ${sdkPort}
  }
  forward_to = [pyroscope.write.backend.receiver, pyroscope.capture.local.receiver]
}

pyroscope.write "backend" {
  endpoint {
    url = "http://127.0.0.1:${(sink.address() as AddressInfo).port}"
    basic_auth {
      username = "relay"
      password = "${SECRET}"
    }
  }
}

pyroscope.capture "local" {
  path = "${join(dir, "captures")}"
}
`,
    );
    base = `http://127.0.0.1:${agent.address.port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    Pyroscope.init({
      serverAddress: `http://127.0.0.1:${sdkPort}`,
      appName: "ui-e2e-app",
      tags: { env: "e2e" },
      flushIntervalMs: 500,
    });
  });

  after(async () => {
    await Pyroscope.stop().catch(() => {});
    await browser?.close();
    await agent?.shutdown();
    await new Promise<void>((r) => (sink ? sink.close(() => r()) : r()));
    await rm(dir, { recursive: true, force: true });
  });

  /** Keeps the SDK busy (something to sample) while `fn` runs. */
  async function whileProfiling<T>(fn: () => Promise<T>): Promise<T> {
    const work = setInterval(() => {
      let x = 0;
      for (let i = 0; i < 2e5; i++) x += Math.sqrt(i);
      if (x < 0) console.log(x);
    }, 10);
    try {
      return await fn();
    } finally {
      clearInterval(work);
    }
  }

  async function shot(name: string): Promise<void> {
    contents.push(await page.content());
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  }

  it("shows the profiles passing receive_http live, and the flamegraph of one", async () => {
    await page.goto(`${base}/debug/pyroscope.receive_http.sdk`);
    await page.getByText("Waiting for profiles to pass through").waitFor();
    Pyroscope.start();
    await whileProfiling(async () => {
      const row = page.locator("tr.event", { hasText: "pprof" }).first();
      await row.waitFor({ timeout: 30_000 });
      assert.match(await row.innerText(), /service_name=ui-e2e-app/);
      assert.match(await row.innerText(), /env=e2e/);
      assert.match(await row.innerText(), /forward_to: delivered/);
      await row.click();
    });
    await page.locator(".flame-chart svg g.frame").nth(2).waitFor({ timeout: 15_000 });
    const types = await page.getByLabel("Sample type").locator("option").allInnerTexts();
    assert.ok(types.length >= 1, `sample types offered: ${types.join(", ")}`);
    assert.ok((await page.locator(".flame-chart svg g.frame").count()) > 2, "the flamegraph has frames");
    await shot("debug");

    await page.getByLabel("Filter by label").fill("service_name=nobody");
    assert.equal(await page.locator("tr.event").count(), 0);
    await page.getByLabel("Filter by label").fill("env=e2e");
    assert.ok((await page.locator("tr.event").count()) > 0);
  });

  it("lists the components with their health", async () => {
    await page.goto(`${base}/`);
    const rows = page.locator("table.components tbody tr");
    await rows.first().waitFor();
    const ids = await page
      .locator("table.components tbody tr")
      .evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-component")));
    assert.deepEqual([...ids].sort(), [
      "pyroscope.capture.local",
      "pyroscope.receive_http.sdk",
      "pyroscope.write.backend",
    ]);
    assert.equal(await page.locator("table.components .health-healthy").count(), 3);
    await shot("components");
  });

  it("shows a component's arguments with the secret masked, its references and figures", async () => {
    await page.goto(`${base}/component/pyroscope.write.backend`);
    await page.getByText("(secret)").waitFor();
    await page
      .locator(".figure-value", { hasText: /^[0-9.]+$/ })
      .first()
      .waitFor({ timeout: 15_000 });
    await page.locator("table.endpoints tbody tr").first().waitFor({ timeout: 15_000 });
    assert.match(await page.locator("section.component").innerText(), /pyroscope\.receive_http\.sdk/);
    await shot("component");
  });

  it("draws the pipeline graph with live rates on its edges", async () => {
    await page.goto(`${base}/graph`);
    await page.locator(".react-flow__node").nth(2).waitFor();
    assert.equal(await page.locator(".react-flow__node").count(), 3);
    assert.equal(await page.locator(".react-flow__edge").count(), 2);
    await whileProfiling(() =>
      page
        .locator(".react-flow__edge-text", { hasText: /[1-9][0-9.]* profiles\/s|0\.[0-9]*[1-9] profiles\/s/ })
        .first()
        .waitFor({ timeout: 30_000 }),
    );
    await shot("graph");
  });

  it("works behind --server.http.ui-path-prefix and says how to turn live debugging on", async () => {
    const prefixed = await startAgent(
      dir,
      `pyroscope.capture "other" {\n  path = "${join(dir, "other")}"\n}\n`,
      "/relay",
    );
    try {
      const at = `http://127.0.0.1:${prefixed.address.port}`;
      await page.goto(`${at}/relay/`);
      await page.locator("table.components tbody tr[data-component='pyroscope.capture.other']").waitFor();
      await page.goto(`${at}/relay/debug/pyroscope.capture.other`);
      await page.getByText("the live debugging service is disabled").waitFor();
      await page.getByText("enabled = true").waitFor();
      await shot("debug-disabled");
      assert.equal((await fetch(`${at}/api/v0/web/components`)).status, 404);
      assert.equal((await fetch(`${at}/relay/api/v0/web/components`)).status, 200);
    } finally {
      await prefixed.shutdown();
    }
  });

  it("shows no secret on any page", () => {
    assert.ok(contents.length >= 5);
    for (const html of contents) assert.ok(!html.includes(SECRET));
  });
});
