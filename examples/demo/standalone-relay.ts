/**
 * `npm run demo -- --standalone`: a profile-relay of the demo's own, so the demo works with nothing else
 * running. It is a child process running examples/default.alloy with the SDK port changed to a free one and
 * a temporary `--storage.path`, which is removed when the relay stops.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;

/** A running standalone relay. */
export interface StandaloneRelay {
  /** Where SDKs send: `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The `pyroscope.capture` folder that receives the profiles. */
  readonly captureDir: string;
  /** Stops the relay (SIGTERM, then SIGKILL after 10 s) and removes its temporary folder. */
  readonly stop: () => Promise<void>;
}

/** Starts the relay and resolves once its SDK port listens; rejects with the relay's output if it cannot. */
export async function startStandaloneRelay(): Promise<StandaloneRelay> {
  const original = await readFile(join(ROOT, "examples/default.alloy"), "utf8");
  const config = original.replace(/listen_port(\s*)= 4040/, "listen_port$1= 0");
  if (config === original) throw new Error("examples/default.alloy no longer sets listen_port = 4040");
  const dir = await mkdtemp(join(tmpdir(), "profile-relay-demo-"));
  const configPath = join(dir, "demo.alloy");
  await writeFile(configPath, config);
  const child = spawn(
    process.execPath,
    [
      join(ROOT, "src/cli/main.ts"),
      "run",
      "--server.http.listen-addr=127.0.0.1:0",
      `--storage.path=${join(dir, "data")}`,
      configPath,
    ],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const stop = async (): Promise<void> => {
    await stopChild(child, exited);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const port = await listeningPort(child, exited);
    return {
      url: `http://127.0.0.1:${port}`,
      captureDir: join(dir, "data", "pyroscope.capture.local"),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The SDK port, from the relay's `server listening` log line. */
function listeningPort(child: ChildProcess, exited: Promise<number | null>): Promise<number> {
  let output = "";
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`the relay did not start within ${START_TIMEOUT_MS / 1000}s:\n${output}`));
    }, START_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /msg="server listening".*component_id=pyroscope\.receive_http\.default.* port=(\d+)/.exec(
        output,
      );
      if (match !== null) {
        clearTimeout(timer);
        child.stderr?.off("data", onData);
        child.stderr?.resume(); // keep draining the relay's log so it never blocks on a full pipe
        resolve(Number(match[1]));
      }
    };
    child.stderr?.on("data", onData);
    child.stdout?.resume();
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the relay exited with code ${code}:\n${output}`));
    });
  });
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
