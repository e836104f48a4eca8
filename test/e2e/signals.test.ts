/**
 * Signals reach the relay however a user starts it: `npm start` (npm runs its scripts under `sh -c`, and
 * passes SIGINT/SIGTERM to that shell only, so the script `exec`s node), and `npx profile-relay run` (npm
 * runs the bin under `sh -c` too; on SIGTERM the shell exits and the relay, seeing its launcher gone, stops).
 * Each case starts the real npm as a child process, signals npm, and checks that the relay process is gone
 * and both its ports (the agent's and the SDK port) are free.
 *
 * Linux only (the relay process is found through /proc); skipped where npm is not on the PATH.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { delimiter, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { makeTempDir } from "../support/cleanup.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "node_modules/.bin");
const STEP_TIMEOUT_MS = 60_000;

function npmVersion(): string | undefined {
  try {
    return execFileSync("npm", ["--version"], { encoding: "utf8", timeout: 30_000 }).trim();
  } catch {
    return undefined;
  }
}

const npm = process.platform === "linux" && existsSync("/proc") ? npmVersion() : undefined;
const skip =
  process.platform !== "linux"
    ? "needs Linux (/proc) to find the relay process"
    : npm === undefined
      ? "npm is not on the PATH"
      : false;
if (skip !== false) console.log(`# skipping the signal tests: ${skip}`);

interface Started {
  readonly npm: ChildProcess;
  readonly exited: Promise<void>;
  output(): string;
}

/**
 * Runs npm with `args` in `cwd`, the project's pinned Node first on the PATH (as npm scripts see it), with its
 * cache (where `npm exec` links the package, and npm's logs) in `cache`, so the test leaves nothing behind.
 */
function startNpm(args: readonly string[], cwd: string, cache: string): Started {
  const proc = spawn("npm", args, {
    cwd,
    env: {
      ...process.env,
      PATH: `${BIN}${delimiter}${process.env["PATH"] ?? ""}`,
      npm_config_cache: cache,
      npm_config_update_notifier: "false",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  proc.stdout!.on("data", (b: Buffer) => {
    output += b.toString();
  });
  proc.stderr!.on("data", (b: Buffer) => {
    output += b.toString();
  });
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  return { npm: proc, exited, output: () => output };
}

async function until<T>(what: string, probe: () => T | undefined, output: () => string): Promise<T> {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** PIDs of live processes whose command line mentions `needle` (the test's own temporary config). */
function processesWith(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      const state = /^\d+ \(.*\) (\S)/.exec(readFileSync(`/proc/${entry}/stat`, "utf8"))?.[1];
      if (cmdline.includes(needle) && state !== "Z") pids.push(Number(entry));
    } catch {
      // the process exited while being read
    }
  }
  return pids;
}

/** Whether something accepts connections on 127.0.0.1:`port`. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** A config on a free SDK port capturing to `dir`, whose path identifies the relay's processes. */
async function writeConfig(dir: string): Promise<string> {
  const original = await readFile(join(ROOT, "examples/default.alloy"), "utf8");
  const config = original.replace(/listen_port(\s*)= 4040/, "listen_port$1= 0");
  assert.notEqual(config, original);
  const path = join(dir, "signals-test.alloy");
  await writeFile(path, config);
  return path;
}

/**
 * Waits until the relay runs, signals npm, and checks that the relay exits on its own and frees its ports.
 * Whatever happens, every process the test started is killed before it returns.
 */
async function signalAndCheck(started: Started, config: string, signal: NodeJS.Signals): Promise<void> {
  try {
    await until(
      "the relay to run",
      () => (/profile-relay is running/.test(started.output()) ? true : undefined),
      started.output,
    );
    const agentPort = Number(
      /msg="now listening for http traffic" addr=127\.0\.0\.1:(\d+)/.exec(started.output())?.[1],
    );
    const sdkPort = Number(/msg="server listening" .* port=(\d+)/.exec(started.output())?.[1]);
    assert.ok(agentPort > 0 && sdkPort > 0, started.output());
    assert.equal(await listening(agentPort), true);
    assert.equal(await listening(sdkPort), true);
    const relays = processesWith(config);
    assert.ok(relays.length > 0, "the relay process is found");

    started.npm.kill(signal);
    await until(
      "the relay process to exit",
      () => (processesWith(config).length === 0 ? true : undefined),
      started.output,
    );
    assert.equal(await listening(agentPort), false, "the agent's port is free");
    assert.equal(await listening(sdkPort), false, "the SDK port is free");
    assert.match(started.output(), /msg="shutdown complete"/, "the relay shut down cleanly");
  } finally {
    started.npm.kill("SIGKILL");
    for (const pid of processesWith(config)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await started.exited;
  }
}

describe("signals reach the relay", { skip, timeout: 4 * STEP_TIMEOUT_MS }, () => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`npm start, then ${signal} to npm`, async (t) => {
      const dir = await makeTempDir(t, "profile-relay-signals-");
      const config = await writeConfig(dir);
      // The project's start script, run by npm in a package of its own with the test's config.
      const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as {
        scripts: Record<string, string>;
      };
      const script = pkg.scripts["start"]!;
      assert.match(script, /^exec node src\/cli\/main\.ts run examples\/default\.alloy$/);
      const start = script
        .replace("src/cli/main.ts", join(ROOT, "src/cli/main.ts"))
        .replace("examples/default.alloy", config);
      await writeFile(
        join(dir, "package.json"),
        JSON.stringify({ name: "signals-test", private: true, scripts: { start } }),
      );
      const started = startNpm(
        ["start", "--", "--server.http.listen-addr=127.0.0.1:0", `--storage.path=${join(dir, "data")}`],
        dir,
        join(dir, "npm-cache"),
      );
      await signalAndCheck(started, config, signal);
    });
  }

  it("npx profile-relay run, then SIGTERM to npx", async (t) => {
    const dir = await makeTempDir(t, "profile-relay-signals-");
    const config = await writeConfig(dir);
    const started = startNpm(
      [
        "exec",
        "--",
        "profile-relay",
        "run",
        "--server.http.listen-addr=127.0.0.1:0",
        `--storage.path=${join(dir, "data")}`,
        config,
      ],
      ROOT,
      join(dir, "npm-cache"),
    );
    await signalAndCheck(started, config, "SIGTERM");
    assert.match(
      started.output(),
      /the process npm started profile-relay under is gone \(npm passes signals to it only\); shutting down/,
    );
  });
});
