/**
 * The first run, as a new user does it: `npm start` (the relay on examples/default.alloy), then `npm run demo`
 * (the example service, profiled by the real `@pyroscope/nodejs` SDK, sending to that relay), then `ls`.
 *
 * The relay runs as a child process on a copy of the default config whose SDK port is 0 (4040 may be taken),
 * with a temporary `--storage.path`; the demo runs as a child process with a 1 s upload interval.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { type LsGroup, lsCommand } from "../src/cli/ls.ts";
import { validateCommand } from "../src/cli/validate.ts";
import { assemble, listCaptures, loadCapture } from "../src/components/pyroscope/capture/catalog.ts";
import { runCommand } from "./support/cli-io.ts";
import { readFixture } from "./support/fixtures.ts";
import { summarizePprof } from "./support/pprof.ts";
import { until } from "./support/until.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const NODE = process.execPath;
const DEFAULT_CONFIG = join(ROOT, "examples/default.alloy");
const DEMO = join(ROOT, "examples/demo/demo.ts");

interface Child {
  readonly process: ChildProcess;
  readonly output: () => { stdout: string; stderr: string };
  readonly exited: Promise<number | null>;
}

/** Starts `node <args>` from the repository root, killed after 50 s whatever happens. */
function start(args: readonly string[]): Child {
  const proc = spawn(NODE, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  proc.stdout!.on("data", (b: Buffer) => {
    stdout += b.toString();
  });
  proc.stderr!.on("data", (b: Buffer) => {
    stderr += b.toString();
  });
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  const killer = setTimeout(() => proc.kill("SIGKILL"), 50_000);
  void exited.then(() => clearTimeout(killer));
  return { process: proc, output: () => ({ stdout, stderr }), exited };
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("first run: npm start, then npm run demo", () => {
  let dir: string;
  let relay: Child;
  let agentUrl: string;
  let sdkUrl: string;
  let captureDir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "profile-relay-first-run-"));
    const original = await readFile(DEFAULT_CONFIG, "utf8");
    const config = original.replace(/listen_port(\s*)= 4040/, "listen_port$1= 0");
    assert.notEqual(config, original, "the default config listens on 4040, which the test changes to 0");
    await writeFile(join(dir, "default.alloy"), config);
    relay = start([
      join(ROOT, "src/cli/main.ts"),
      "run",
      "--server.http.listen-addr=127.0.0.1:0",
      "--storage.path",
      join(dir, "data"),
      join(dir, "default.alloy"),
    ]);
    const agent = await until("the agent's listening line", () => {
      return /msg="now listening for http traffic" addr=(127\.0\.0\.1:\d+)/.exec(relay.output().stderr)?.[1];
    });
    const sdkPort = await until("receive_http's listening line", () => {
      const line = relay
        .output()
        .stderr.split("\n")
        .find((l) => l.includes('msg="server listening"'));
      return line === undefined ? undefined : /address=127\.0\.0\.1 port=(\d+)/.exec(line)?.[1];
    });
    agentUrl = `http://${agent}`;
    sdkUrl = `http://127.0.0.1:${sdkPort}`;
    captureDir = join(dir, "data", "pyroscope.capture.local");
  });

  after(async () => {
    try {
      if (relay !== undefined && relay.process.exitCode === null) {
        relay.process.kill("SIGTERM");
        assert.equal(await relay.exited, 0, "the relay exits 0 on SIGTERM");
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("the default config validates", async () => {
    const result = await runCommand(validateCommand, [DEFAULT_CONFIG]);
    assert.deepEqual(result, { code: 0, stdout: "", stderr: "" });
  });

  it("starts: ready, healthy, and logs where it listens and where profiles go", async () => {
    const ready = await until("ready", async () => {
      const res = await fetch(`${agentUrl}/-/ready`);
      const body = await res.text();
      return res.status === 200 ? body : undefined;
    });
    assert.equal(ready, "Alloy is ready.\n");
    const healthy = await fetch(`${agentUrl}/-/healthy`);
    assert.equal(healthy.status, 200);
    await healthy.text();
    const { stderr } = relay.output();
    assert.match(stderr, /msg="server listening" .*component_id=pyroscope\.receive_http\.default/);
    assert.ok(
      stderr
        .split("\n")
        .some((l) => l.includes('msg="capturing profiles"') && l.includes(`path=${captureDir}`)),
      `the log says where profiles go:\n${stderr}`,
    );
  });

  it("captures a profile sent to the SDK port, and ls lists it", async () => {
    const res = await fetch(
      `${sdkUrl}/ingest?name=first-run-app%7Benv%3Dtest%7D&format=pprof&spyName=gospy`,
      {
        method: "POST",
        body: readFixture("pprof/go-cpu.pb.gz"),
        headers: { "Content-Type": "application/octet-stream" },
      },
    );
    assert.equal(res.status, 200, await res.text());
    const ls = await runCommand(lsCommand, ["--json", captureDir]);
    assert.equal(ls.code, 0, ls.stderr);
    const groups = (JSON.parse(ls.stdout) as { groups: LsGroup[] }).groups;
    const group = groups.find((g) => g.service === "first-run-app");
    assert.ok(group, ls.stdout);
    assert.equal(group.profile_type, "process_cpu");
    assert.equal(group.count, 1);
  });

  it("the demo's SDK profiles arrive, are captured as pprof, and the demo lists them", {
    timeout: 50_000,
  }, async () => {
    const demo = start([
      DEMO,
      "--url",
      sdkUrl,
      "--dir",
      captureDir,
      "--upload-interval",
      "1s",
      "--timeout",
      "30s",
    ]);
    const code = await demo.exited;
    const { stdout, stderr } = demo.output();
    assert.equal(code, 0, `${stdout}\n${stderr}`);
    assert.match(stdout, /Profiles captured\. \$ profile-relay ls /);
    assert.match(stdout, /^SERVICE\s+PROFILE TYPE\s+COUNT\s+BYTES\s+FIRST\s+LAST$/m);
    assert.match(stdout, /^demo-service\s+wall\s+\d+/m);
    assert.match(stdout, /^demo-service\s+memory\s+\d+/m);
    assert.match(stdout, /^first-run-app\s+process_cpu\s+1\s/m, "ls lists the whole store");
    assert.match(stdout, /npx profile-relay replay /);

    const captures = (await listCaptures(captureDir)).entries.filter(
      (e) => e.record.service_name === "demo-service",
    );
    const wall = captures.filter((e) => e.record.profile_type === "wall");
    assert.ok(wall.length > 0);
    const labelKeys = new Set<string>();
    for (const entry of captures) {
      assert.equal(entry.record.route, "ingest");
      assert.equal(entry.record.labels["service_name"], "demo-service");
      assert.equal(entry.record.labels["version"], "1.0.0", "the SDK's tags arrive as labels");
      assert.match(entry.record.query ?? "", /spyName=nodespy/);
      const profile = summarizePprof(assemble(await loadCapture(entry)));
      assert.ok(profile.samples > 0, `${entry.record.profile_type} profile ${entry.record.id} has samples`);
      for (const key of profile.labelKeys) labelKeys.add(key);
    }
    assert.ok(labelKeys.has("endpoint"), "wall samples carry the service's endpoint label");
  });

  it("the demo says how to start the relay when none is listening", async () => {
    const demo = start([DEMO, "--url", `http://127.0.0.1:${await closedPort()}`]);
    assert.equal(await demo.exited, 1);
    const { stdout } = demo.output();
    assert.match(stdout, /No profile-relay is listening on http:\/\/127\.0\.0\.1:\d+ \(connection refused\)/);
    assert.match(stdout, /Start it with `npm start` in another terminal/);
    assert.match(stdout, /npm run demo -- --standalone/);
  });

  it("with --standalone, the demo starts its own relay, lists the profiles and removes its files", {
    timeout: 50_000,
  }, async () => {
    const demo = start([DEMO, "--standalone", "--upload-interval", "1s", "--timeout", "30s"]);
    const code = await demo.exited;
    const { stdout, stderr } = demo.output();
    assert.equal(code, 0, `${stdout}\n${stderr}`);
    assert.match(stdout, /^demo-service\s+wall\s+\d+/m);
    assert.match(stdout, /^demo-service\s+memory\s+\d+/m);
    const store = /captured profiles go to (\S+)/.exec(stdout)?.[1];
    assert.ok(store !== undefined && store !== captureDir, stdout);
    assert.equal(existsSync(store), false, "the temporary storage is removed");
  });

  it("the demo refuses bad flags", async () => {
    const demo = start([DEMO, "--upload-interval", "soon"]);
    assert.equal(await demo.exited, 1);
    assert.match(demo.output().stdout, /invalid argument "soon" for "--upload-interval" flag/);
  });
});
