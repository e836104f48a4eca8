import assert from "node:assert/strict";
import { join } from "node:path";
import { afterEach, describe, it } from "node:test";
import { diagnosticOneLine } from "../syntax/diagnostics.ts";
import { attr, body, t } from "../syntax/schema.ts";
import { AlloyNumber } from "../syntax/value.ts";
import type { AnyRegistration, Registration } from "./component.ts";
import { renderMetrics } from "./metrics.ts";
import { untilAborted } from "./testcomponents/common.ts";
import { metricValue, type TestController, testController, waitFor } from "./testcomponents/harness.ts";

/** Records start/stop events, and refuses to run while another instance holds the same `port`. */
function recorder(events: string[], ports: Set<string>): AnyRegistration {
  const args = body({
    port: attr(t.string(), { default: "", doc: "" }),
    input: attr(t.any(), { doc: "" }),
  });
  const registration: Registration<typeof args.fields> = {
    name: "test.recorder",
    stability: "generally-available",
    description: "",
    args,
    exports: [{ name: "output", type: "any", doc: "" }],
    build(options, initial) {
      let current = initial;
      options.onStateChange({ output: options.id });
      return {
        update(a) {
          current = a;
        },
        async run(signal) {
          if (current.port !== "" && ports.has(current.port)) throw new Error(`port ${current.port} in use`);
          if (current.port !== "") ports.add(current.port);
          events.push(`start ${options.id}`);
          await untilAborted(signal);
          events.push(`stop ${options.id}`);
          if (current.port !== "") ports.delete(current.port);
        },
      };
    },
  };
  return registration;
}

let current: TestController | undefined;
afterEach(async () => {
  await current?.controller.shutdown();
  current = undefined;
});

function harness(extra: AnyRegistration[] = [], stopDeadlineMs?: number): TestController {
  current = testController({ extra, stopDeadlineMs });
  return current;
}

const PIPELINE = `
testcomponents.sender "s" {
  forward_to = [testcomponents.receiver.r.receiver]
  token      = "hunter2"
}
testcomponents.receiver "r" { }
`;

describe("Controller", () => {
  it("builds, wires and runs components; exports are live values dependants call", async () => {
    const h = harness();
    assert.equal(h.controller.ready, false);
    assert.deepEqual(await h.load(PIPELINE), []);
    assert.ok(h.controller.ready);
    assert.deepEqual(
      h.controller.nodes().map((n) => n.id),
      ["testcomponents.receiver.r", "testcomponents.sender.s"],
    );
    const r = h.controller.node("testcomponents.receiver.r")!;
    await waitFor(() => r.health().state === "healthy", "receiver healthy");
    await waitFor(() => h.controller.node("testcomponents.sender.s")!.running, "sender running");
    const received = async () => metricValue(r.registry, "testcomponents_received_total");
    for (let i = 0; i < 200 && (await received()) < 1; i++) await new Promise((res) => setTimeout(res, 5));
    assert.equal(await received(), 1);
    assert.deepEqual(h.controller.referencesTo("testcomponents.sender.s"), ["testcomponents.receiver.r"]);
    assert.deepEqual(h.controller.referencedBy("testcomponents.receiver.r"), ["testcomponents.sender.s"]);
    assert.deepEqual(h.loggingConfigs, [{ level: "info", format: "logfmt" }]);
  });

  it("applies nothing when the initial load has any error, and reports every error", async () => {
    const h = harness();
    const diags = await h.load(`
testcomponents.receiver "r" { }
testcomponents.sender "s" { forward_to = "oops" }
testcomponents.failing "f" { build_error = "cannot bind" }
`);
    assert.deepEqual(diags.map(diagnosticOneLine), [
      'main.alloy:3:42: "oops" should be array, got string',
      "main.alloy:4:1: Failed to build component: building component: cannot bind",
    ]);
    assert.equal(h.controller.ready, false);
    assert.deepEqual(h.controller.nodes(), []);
  });

  it("keeps the running graph when a reload has graph errors", async () => {
    const h = harness();
    await h.load(PIPELINE);
    const before = h.controller.nodes();
    const diags = await h.load(
      `${PIPELINE}\ntestcomponents.sender "t" { forward_to = [testcomponents.receiver.missing.receiver] }`,
    );
    assert.deepEqual(diags.map(diagnosticOneLine), [
      'main.alloy:8:43: component "testcomponents.receiver.missing.receiver" does not exist or is out of scope',
    ]);
    assert.deepEqual(h.controller.nodes(), before);
    assert.ok(before.every((n) => n.running));
  });

  it("does not update or restart a component whose arguments did not change", async () => {
    const h = harness();
    await h.load(PIPELINE);
    const sender = h.controller.node("testcomponents.sender.s")!;
    await waitFor(() => sender.running, "sender running");
    // Reformatting and reordering leaves the decoded arguments equal.
    await h.load(`testcomponents.receiver "r" {}
testcomponents.sender "s" {
  token = "hunter2"
  forward_to = [ testcomponents.receiver.r.receiver ]
}`);
    assert.equal(h.controller.node("testcomponents.sender.s"), sender);
    assert.equal(await metricValue(sender.registry, "testcomponents_updates_total"), 0);
    assert.equal(await metricValue(sender.registry, "testcomponents_runs_total"), 1);
    assert.equal(await metricValue(sender.registry, "testcomponents_builds_total"), 1);

    await h.load(PIPELINE.replace('token      = "hunter2"', 'token = "other"'));
    assert.equal(await metricValue(sender.registry, "testcomponents_updates_total"), 1);
    assert.equal(await metricValue(sender.registry, "testcomponents_runs_total"), 1);
  });

  it("keeps a component's last good arguments when its evaluation fails on reload, and marks it unhealthy", async () => {
    const h = harness();
    await h.load(`testcomponents.passthrough "a" { input = "one" }
testcomponents.passthrough "b" { input = "two" }`);
    const diags = await h.load(`testcomponents.passthrough "a" { input = "uno" }
testcomponents.passthrough "b" { input = sys.env() }
testcomponents.receiver "new" { }`);
    assert.deepEqual(diags.map(diagnosticOneLine), ["main.alloy:2:42: sys.env expected 1 args, got 0"]);
    assert.equal(h.controller.ready, true);
    const a = h.controller.node("testcomponents.passthrough.a")!;
    const b = h.controller.node("testcomponents.passthrough.b")!;
    assert.equal(a.exports.get("output"), "uno");
    assert.equal(b.exports.get("output"), "two");
    assert.deepEqual(b.args, { input: "two" });
    const health = b.health();
    assert.equal(health.state, "unhealthy");
    assert.equal(
      health.message,
      "component evaluation failed: decoding configuration: main.alloy:2:42: sys.env expected 1 args, got 0",
    );
    await waitFor(
      () => h.controller.node("testcomponents.receiver.new")?.running === true,
      "new component runs",
    );
  });

  it("re-evaluates dependants transitively when exports change", async () => {
    const h = harness();
    await h.load(`testcomponents.counter "c" {
  frequency = "5ms"
  max       = 3
}
testcomponents.passthrough "a" { input = testcomponents.counter.c.count }
testcomponents.passthrough "b" { input = testcomponents.passthrough.a.output }`);
    const b = h.controller.node("testcomponents.passthrough.b")!;
    await waitFor(() => {
      const out = b.exports.get("output");
      return out instanceof AlloyNumber && out.toNumber() === 3;
    }, "count reaches b");
    await h.controller.settled();
  });

  it("stops removed components before starting new ones, and stops dependants first at shutdown", async () => {
    const events: string[] = [];
    const ports = new Set<string>();
    const h = harness([recorder(events, ports)]);
    await h.load(`test.recorder "old" { port = "1" }
test.recorder "dep" { input = test.recorder.old.output }`);
    await waitFor(() => events.length === 2, "both started");
    assert.deepEqual(events, ["start test.recorder.old", "start test.recorder.dep"]);

    events.length = 0;
    await h.load(`test.recorder "new" { port = "1" }`);
    await waitFor(() => events.length === 3, "swap done");
    assert.deepEqual(events, ["stop test.recorder.dep", "stop test.recorder.old", "start test.recorder.new"]);
    assert.equal(h.controller.node("test.recorder.new")!.health().state, "healthy");

    await h.load(`test.recorder "new" { port = "1" }
test.recorder "user" { input = test.recorder.new.output }`);
    await waitFor(() => events.length === 4, "user started");
    events.length = 0;
    await h.controller.shutdown();
    assert.deepEqual(events, ["stop test.recorder.user", "stop test.recorder.new"]);
  });

  it("gives each component its own folder under --storage.path, named by its ID", async () => {
    const paths: string[] = [];
    const args = body({});
    const probe: Registration<typeof args.fields> = {
      name: "test.storage",
      stability: "generally-available",
      description: "",
      args,
      exports: [],
      build(options) {
        paths.push(options.dataPath);
        return { update() {}, run: untilAborted };
      },
    };
    const h = harness([probe]);
    assert.deepEqual(await h.load(`test.storage "a" { }\ntest.storage "b" { }`), []);
    assert.deepEqual(paths, [
      join("/tmp/profile-relay-test-data", "test.storage.a"),
      join("/tmp/profile-relay-test-data", "test.storage.b"),
    ]);
  });

  it("combines evaluation, run and self-reported health", async () => {
    const h = harness();
    await h.load(`testcomponents.failing "run" { run_error = "boom" }
testcomponents.failing "self" { unhealthy = "disk full" }
testcomponents.failing "ok" { }`);
    const run = h.controller.node("testcomponents.failing.run")!;
    await waitFor(() => run.health().state === "exited", "run exits");
    assert.equal(run.health().message, "component shut down with error: boom");
    assert.deepEqual(
      { ...h.controller.node("testcomponents.failing.self")!.health(), updatedTime: undefined },
      { state: "unhealthy", message: "disk full", updatedTime: undefined },
    );
    const ok = h.controller.node("testcomponents.failing.ok")!;
    await waitFor(() => ok.health().message === "started component", "ok started");
    assert.equal(ok.health().state, "healthy");

    const diags = await h.load(`testcomponents.failing "run" { run_error = "boom" }
testcomponents.failing "self" { unhealthy = "disk full" }
testcomponents.failing "ok" { update_error = "no thanks" }
testcomponents.failing "new" { build_error = "bad" }`);
    assert.deepEqual(diags.map(diagnosticOneLine), [
      "main.alloy:3:1: Failed to build component: updating component: no thanks",
      "main.alloy:4:1: Failed to build component: building component: bad",
    ]);
    assert.equal(ok.health().message, "component evaluation failed: updating component: no thanks");
    assert.equal(
      h.controller.node("testcomponents.failing.new")!.health().message,
      "component evaluation failed: building component: bad",
    );
    // A reload restarts a component that exited.
    await waitFor(() => run.health().message === "component shut down with error: boom", "run exited again");
    assert.ok(h.logs.some((l) => l.includes('msg="node exited with error"') && l.includes("err=boom")));
  });

  it("applies the logging block after each successful load", async () => {
    const h = harness();
    await h.load(`logging {
  level  = "debug"
  format = "json"
}`);
    const diags = await h.load(`logging { level = "loud" }`);
    assert.deepEqual(diags.map(diagnosticOneLine), ['main.alloy:1:11: unrecognized log level "loud"']);
    await h.load("");
    assert.deepEqual(h.loggingConfigs, [
      { level: "debug", format: "json" },
      { level: "info", format: "logfmt" },
    ]);
  });

  it("applies the livedebugging block after each successful load, off without one", async () => {
    const h = harness();
    await h.load("livedebugging {\n  enabled = true\n}");
    const diags = await h.load(`livedebugging { enabled = "yes" }`);
    assert.equal(diags.length, 1);
    assert.match(diagnosticOneLine(diags[0]!), /^main\.alloy:1:27: .*bool/);
    await h.load("");
    assert.deepEqual(h.liveDebuggingConfigs, [{ enabled: true }, { enabled: false }]);
  });

  it("gives each component its own metrics registry, labelled on /metrics", async () => {
    const h = harness();
    await h.load(`testcomponents.receiver "a" { }
testcomponents.receiver "b" { }`);
    const text = await renderMetrics(h.controller.metricsSources());
    assert.equal(text.match(/# TYPE testcomponents_builds_total counter/g)?.length, 1);
    assert.match(
      text,
      /testcomponents_builds_total\{component_id="testcomponents.receiver.a",component_path="\/"\} 1/,
    );
    assert.match(
      text,
      /testcomponents_builds_total\{component_id="testcomponents.receiver.b",component_path="\/"\} 1/,
    );
  });

  it("gives up waiting for a component that does not stop within the deadline", async () => {
    const stuck: AnyRegistration = {
      name: "test.stuck",
      stability: "generally-available",
      description: "",
      args: body({}),
      exports: [],
      build: () => ({ update() {}, run: () => new Promise<void>(() => {}) }),
    };
    const h = harness([stuck], 50);
    await h.load(`test.stuck "s" { }`);
    await h.controller.shutdown();
    assert.ok(h.logs.some((l) => l.includes("task shutdown deadline exceeded")));
  });
});
