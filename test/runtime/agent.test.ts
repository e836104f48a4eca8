/**
 * The agent in-process: readiness around the initial load, health through `/-/healthy`, reload reporting,
 * and the controller metrics, over real HTTP on a free port.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Agent } from "../../src/runtime/agent.ts";
import { createRegistry } from "../../src/runtime/registry.ts";
import { waitFor } from "../../src/runtime/testcomponents/harness.ts";
import { testComponents } from "../../src/runtime/testcomponents/index.ts";

describe("Agent", () => {
  let dir: string;
  let path: string;
  let agent: Agent;
  let base: string;
  const logs: string[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "profile-relay-agent-"));
    path = join(dir, "config.alloy");
    agent = await Agent.start({
      configPath: path,
      listenAddr: "127.0.0.1:0",
      storagePath: join(dir, "data"),
      minStability: "generally-available",
      stopDeadlineMs: 5_000,
      registry: createRegistry(testComponents),
      logOut: (t) => logs.push(t),
    });
    base = `http://127.0.0.1:${agent.address.port}`;
  });
  after(async () => {
    try {
      await agent?.shutdown();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  async function get(p: string) {
    const res = await fetch(`${base}${p}`);
    return { status: res.status, body: await res.text() };
  }

  it("is not ready until the initial load succeeds, but serves metrics meanwhile", async () => {
    assert.equal((await get("/-/ready")).status, 503);
    assert.equal((await get("/metrics")).status, 200);
    assert.equal((await agent.reload()).error?.startsWith('reading config path "'), true);
    assert.equal((await get("/-/ready")).status, 503);
    const metrics = (await get("/metrics")).body;
    assert.match(metrics, /\nalloy_config_last_load_successful 0\n/);
    assert.match(metrics, /\nalloy_config_load_failures_total 1\n/);
    assert.match(metrics, /\nalloy_config_hash\{sha256="0{64}"\} 1\n/, "a config that cannot be read");
  });

  it("reports unhealthy components by name, and reload errors as /-/reload does", async () => {
    await writeFile(
      path,
      `testcomponents.failing "a" { unhealthy = "backend down" }
testcomponents.failing "b" { }
testcomponents.passthrough "p" { input = 1 }
testcomponents.passthrough "q" { input = testcomponents.passthrough.p.output }
`,
    );
    const first = await agent.reload();
    assert.equal(first.error, undefined);
    assert.deepEqual(await get("/-/ready"), { status: 200, body: "Alloy is ready.\n" });
    assert.deepEqual(await get("/-/healthy"), {
      status: 500,
      body: "unhealthy components: testcomponents.failing\n",
    });
    await agent.controller.settled();
    const metrics = (await get("/metrics")).body;
    // Alloy's controller metrics: the running components by health, the evaluation queue, build info.
    assert.match(
      metrics,
      /\nalloy_component_controller_running_components\{controller_path="\/",controller_id="",health_type="healthy"\} 3\n/,
    );
    assert.match(
      metrics,
      /\nalloy_component_controller_running_components\{controller_path="\/",controller_id="",health_type="unhealthy"\} 1\n/,
    );
    assert.match(
      metrics,
      /\nalloy_component_evaluation_queue_size\{controller_path="\/",controller_id=""\} 0\n/,
    );
    assert.match(
      metrics,
      /\nalloy_component_dependencies_wait_seconds_count\{controller_path="\/",controller_id=""\} [1-9]\d*\n/,
      "q waited for p's exports",
    );
    assert.match(metrics, /\n# TYPE alloy_component_evaluation_slow_seconds counter\n/);
    assert.match(
      metrics,
      /\nalloy_build_info\{version="v\d+\.\d+\.\d+",revision="",branch="",goversion="v\d+\.\d+\.\d+",goos="\w+",goarch="\w+",tags=""\} 1\n/,
    );

    // An evaluation error in one component: the reload applies, that component keeps its arguments.
    await writeFile(
      path,
      `testcomponents.failing "a" { }
testcomponents.failing "b" { }
testcomponents.passthrough "p" { input = 1 + "x" }
`,
    );
    const res = await fetch(`${base}/-/reload`, { method: "POST" });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /config\.alloy:3:46: "x" should be number, got string\n$/);
    const p = agent.controller.node("testcomponents.passthrough.p")!;
    assert.equal(p.health().state, "unhealthy");
    await waitFor(
      () => agent.controller.node("testcomponents.failing.a")!.health().state === "healthy",
      "a healthy",
    );
    assert.deepEqual(await get("/-/healthy"), {
      status: 500,
      body: "unhealthy components: testcomponents.passthrough\n",
    });
    const detail = JSON.parse((await get("/api/v0/web/components/testcomponents.passthrough.p")).body);
    assert.deepEqual(detail.arguments, [
      { name: "input", type: "attr", value: { type: "number", value: 1 } },
    ]);
    assert.equal(detail.health.state, "unhealthy");
    assert.match(
      detail.health.message,
      /^component evaluation failed: decoding configuration: .*should be number/,
    );
  });
});
