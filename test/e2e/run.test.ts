/**
 * End to end: `profile-relay run` as a child process with the test components (enabled by the test-only
 * `PROFILE_RELAY_TEST_COMPONENTS=1`), on a free port, through start-up, SIGHUP reloads (good and broken),
 * `/-/reload`, and SIGTERM.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { until } from "../support/until.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const NODE = join(ROOT, "node_modules/.bin/node");
const MAIN = join(ROOT, "src/cli/main.ts");

interface Child {
  readonly process: ChildProcess;
  stdout: string;
  stderr: string;
  readonly exited: Promise<number | null>;
}

/**
 * `profile-relay ARGS` with `--workers=1` (one process: the counts below are those of one instance of each
 * component; workers.test.ts covers several workers).
 */
function start(args: string[]): Child {
  const proc = spawn(NODE, [MAIN, ...args, "--workers=1"], {
    cwd: ROOT,
    env: { ...process.env, PROFILE_RELAY_TEST_COMPONENTS: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const child: Child = {
    process: proc,
    stdout: "",
    stderr: "",
    exited: new Promise((resolve) => proc.on("exit", (code) => resolve(code))),
  };
  proc.stdout!.on("data", (b: Buffer) => {
    child.stdout += b.toString();
  });
  proc.stderr!.on("data", (b: Buffer) => {
    child.stderr += b.toString();
  });
  const killer = setTimeout(() => proc.kill("SIGKILL"), 60_000);
  void child.exited.then(() => clearTimeout(killer));
  return child;
}

async function get(
  base: string,
  path: string,
  init?: RequestInit,
): Promise<{ status: number; body: string }> {
  const res = await fetch(`${base}${path}`, init);
  return { status: res.status, body: await res.text() };
}

function metric(text: string, series: string): number | undefined {
  for (const line of text.split("\n")) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

const config = (input: string) => `logging {
  level  = "debug"
  format = "json"
}

testcomponents.receiver "r" { }

testcomponents.sender "s" {
  forward_to = [testcomponents.receiver.r.receiver]
  token      = "hunter2"
}

testcomponents.passthrough "p" {
  input = "${input}"
}
`;

describe("profile-relay run (child process)", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "profile-relay-e2e-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("serves, reloads on SIGHUP, keeps the last good config, and exits 0 on SIGTERM", {
    timeout: 60_000,
  }, async () => {
    const path = join(dir, "config.alloy");
    await writeFile(path, config("v1"));
    const child = start([
      "run",
      "--server.http.listen-addr=127.0.0.1:0",
      "--storage.path",
      join(dir, "data"),
      path,
    ]);
    try {
      const addr = await until("the listening log line", () => {
        const m = /"msg":"now listening for http traffic","addr":"(127\.0\.0\.1:\d+)"/.exec(child.stderr);
        return m?.[1];
      });
      const base = `http://${addr}`;
      assert.deepEqual(
        await until("ready", async () => {
          const r = await get(base, "/-/ready");
          return r.status === 200 ? r : undefined;
        }),
        { status: 200, body: "Alloy is ready.\n" },
      );
      assert.deepEqual(await get(base, "/-/healthy"), {
        status: 200,
        body: "All Alloy components are healthy.\n",
      });
      assert.match(
        child.stderr,
        /\{"ts":"[^"]+","level":"debug","msg":"finished node evaluation"/,
        "the logging block applies",
      );

      const sender = 'component_id="testcomponents.sender.s",component_path="/"';
      const pass = 'component_id="testcomponents.passthrough.p",component_path="/"';
      const receiver = 'component_id="testcomponents.receiver.r",component_path="/"';
      const metrics1 = (await get(base, "/metrics")).body;
      assert.equal(metric(metrics1, "alloy_config_last_load_successful"), 1);
      assert.ok(metric(metrics1, "process_cpu_seconds_total") !== undefined);
      assert.equal(metric(metrics1, `testcomponents_runs_total{${sender}}`), 1);
      assert.equal(metric(metrics1, `testcomponents_received_total{${receiver}}`), 1);
      assert.doesNotMatch(metrics1, /hunter2/);

      const detail = JSON.parse((await get(base, "/api/v0/web/components/testcomponents.sender.s")).body);
      assert.equal(detail.localID, "testcomponents.sender.s");
      assert.deepEqual(detail.referencesTo, ["testcomponents.receiver.r"]);
      assert.deepEqual(detail.arguments.find((s: { name: string }) => s.name === "token").value, {
        type: "capsule",
        value: "(secret)",
      });
      const list = JSON.parse((await get(base, "/api/v0/web/components")).body) as { localID: string }[];
      assert.deepEqual(list.map((c) => c.localID).sort(), [
        "testcomponents.passthrough.p",
        "testcomponents.receiver.r",
        "testcomponents.sender.s",
      ]);

      // A good change, applied by SIGHUP: only the changed component is updated.
      await writeFile(path, config("v2"));
      child.process.kill("SIGHUP");
      await until("the new argument", async () => {
        const p = JSON.parse((await get(base, "/api/v0/web/components/testcomponents.passthrough.p")).body);
        const input = p.arguments.find((s: { name: string }) => s.name === "input");
        return input.value.value === "v2" ? true : undefined;
      });
      const metrics2 = (await get(base, "/metrics")).body;
      assert.equal(metric(metrics2, `testcomponents_updates_total{${pass}}`), 1);
      assert.equal(
        metric(metrics2, `testcomponents_runs_total{${sender}}`),
        1,
        "the unchanged sender kept running",
      );
      assert.equal(metric(metrics2, `testcomponents_updates_total{${sender}}`), 0);
      assert.equal(metric(metrics2, `testcomponents_builds_total{${sender}}`), 1);

      // A broken config: the last good one stays, and the error is reported.
      await writeFile(
        path,
        `${config("v3")}\ntestcomponents.sender "t" { forward_to = [testcomponents.receiver.nope.receiver] }\n`,
      );
      child.process.kill("SIGHUP");
      await until("the failed reload log", () =>
        /"msg":"failed to reload config"/.test(child.stderr) ? true : undefined,
      );
      const reload = await get(base, "/-/reload", { method: "POST" });
      assert.equal(reload.status, 400);
      assert.match(
        reload.body,
        /config\.alloy:17:43: component "testcomponents\.receiver\.nope\.receiver" does not exist or is out of scope\n$/,
      );
      assert.equal((await get(base, "/-/ready")).status, 200);
      const p = JSON.parse((await get(base, "/api/v0/web/components/testcomponents.passthrough.p")).body);
      assert.equal(p.arguments[0].value.value, "v2");
      const metrics3 = (await get(base, "/metrics")).body;
      assert.equal(metric(metrics3, "alloy_config_last_load_successful"), 0);
      assert.equal(metric(metrics3, "alloy_config_load_failures_total"), 2);

      // Fixed again, through the endpoint.
      await writeFile(path, config("v4"));
      assert.deepEqual(await get(base, "/-/reload"), { status: 200, body: "config reloaded\n" });

      child.process.kill("SIGTERM");
      assert.equal(await child.exited, 0);
      assert.match(child.stderr, /interrupt received/);
      assert.doesNotMatch(child.stderr + child.stdout, /hunter2/);
    } finally {
      child.process.kill("SIGKILL");
    }
  });

  it("exits 1 with the diagnostics when the initial load fails", { timeout: 30_000 }, async () => {
    const path = join(dir, "broken.alloy");
    await writeFile(
      path,
      `testcomponents.passthrough "p" {\n  input = sys.env()\n}\ntestcomponents.nope "x" { }\n`,
    );
    const child = start([
      "run",
      "--server.http.listen-addr=127.0.0.1:0",
      "--storage.path",
      join(dir, "d2"),
      path,
    ]);
    assert.equal(await child.exited, 1);
    assert.match(
      child.stderr,
      /Error: .*broken\.alloy:4:1: cannot find the definition of component name "testcomponents\.nope"/,
    );
    assert.match(child.stderr, /4 \| testcomponents\.nope "x" \{ \}\n {2}\| \^{19}\n/);
    assert.match(child.stderr, /Error: could not perform the initial load successfully\n$/);
    assert.doesNotMatch(child.stderr, /\n\s+at /, "no stack trace");
  });

  it("exits 1 with one line when the config cannot be read", { timeout: 30_000 }, async () => {
    const child = start(["run", "--server.http.listen-addr=127.0.0.1:0", join(dir, "missing.alloy")]);
    assert.equal(await child.exited, 1);
    assert.match(
      child.stderr,
      /Error: reading config path ".*missing\.alloy": .*no such file or directory\n$/,
    );
  });

  it("exits at once on a second signal while components are still stopping", {
    timeout: 30_000,
  }, async () => {
    const path = join(dir, "stuck.alloy");
    await writeFile(path, `testcomponents.failing "stuck" { ignore_stop = true }\n`);
    const child = start([
      "run",
      "--server.http.listen-addr=127.0.0.1:0",
      "--feature.component-shutdown-deadline=1h",
      "--storage.path",
      join(dir, "d3"),
      path,
    ]);
    try {
      await until("running", () => (/msg="profile-relay is running"/.test(child.stderr) ? true : undefined));
      child.process.kill("SIGINT");
      await until("the first interrupt", () => (/interrupt received/.test(child.stderr) ? true : undefined));
      child.process.kill("SIGINT");
      assert.equal(await child.exited, 1);
      assert.match(child.stderr, /second interrupt received, exiting now\n/);
    } finally {
      child.process.kill("SIGKILL");
    }
  });

  it("refuses a bad --stability.level as Alloy words it", { timeout: 30_000 }, async () => {
    const child = start(["run", "--stability.level=beta", join(dir, "x.alloy")]);
    assert.equal(await child.exited, 1);
    assert.equal(
      child.stderr,
      'Error: invalid argument "beta" for "--stability.level" flag: invalid stability level "beta"\n',
    );
  });
});
