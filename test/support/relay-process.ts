/**
 * `profile-relay run` as a child process, for end-to-end tests that kill, restart or race relays: started from
 * the sources on the pinned Node, its output kept (the last 50 kB), killed by a watchdog if a test forgets it,
 * and killed and awaited by `stopAll` (call it from `after`).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { request } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const NODE = join(ROOT, "node_modules/.bin/node");
const MAIN = join(ROOT, "src/cli/main.ts");

/** How long a step that starts or stops processes may take on a loaded machine (never a measure of speed). */
export const SLOW_MS = 60_000;

/** A relay child process. */
export interface RelayProcess {
  readonly process: ChildProcess;
  /** Its stdout and stderr, interleaved, the last 50 kB. */
  readonly output: string;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
}

const running = new Set<RelayProcess>();

/** How to start a relay beyond its config and storage. */
export interface RelayOptions {
  /** `--workers` (1, one process, unless given). */
  readonly workers?: number | "auto";
  /** Enables the test-only components (`PROFILE_RELAY_TEST_COMPONENTS=1`). */
  readonly testComponents?: boolean;
}

/**
 * Starts `profile-relay run CONFIG` with `--storage.path STORAGE`, the agent server on a free port and
 * `--workers=1` unless `options` say otherwise.
 */
export function startRelay(
  config: string,
  storage: string,
  watchdogMs = 120_000,
  options: RelayOptions = {},
): RelayProcess {
  const proc = spawn(
    NODE,
    [
      MAIN,
      "run",
      "--server.http.listen-addr=127.0.0.1:0",
      `--workers=${options.workers ?? 1}`,
      "--storage.path",
      storage,
      config,
    ],
    {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      env:
        options.testComponents === true
          ? { ...process.env, PROFILE_RELAY_TEST_COMPONENTS: "1" }
          : process.env,
    },
  );
  let output = "";
  const add = (b: Buffer): void => {
    output = (output + b.toString()).slice(-50_000);
  };
  proc.stdout!.on("data", add);
  proc.stderr!.on("data", add);
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
  const child: RelayProcess = {
    process: proc,
    get output() {
      return output;
    },
    exited,
  };
  running.add(child);
  const watchdog = setTimeout(() => proc.kill("SIGKILL"), watchdogMs);
  void exited.then(() => {
    clearTimeout(watchdog);
    running.delete(child);
  });
  return child;
}

/** Kills every relay still running and waits for them to exit. */
export async function stopAll(): Promise<void> {
  await Promise.all(
    [...running].map(async (child) => {
      child.process.kill("SIGKILL");
      await child.exited;
    }),
  );
}

/**
 * The config the queue end-to-end tests run: `receive_http` on `port` → `pyroscope.write` with a `queue` (in the
 * component's data folder) in front of `backendUrl`, retrying fast.
 */
export function queuedRelayConfig(port: number, backendUrl: string): string {
  return `pyroscope.receive_http "in" {
  http {
    listen_address = "127.0.0.1"
    listen_port    = ${port}
  }
  forward_to = [pyroscope.write.out.receiver]
}

pyroscope.write "out" {
  endpoint {
    url                = "${backendUrl}"
    min_backoff_period = "10ms"
    max_backoff_period = "200ms"
  }
  queue { }
}
`;
}

/**
 * One upload on a connection of its own (so node:cluster hands each to the next worker); its status. Gives
 * up after 5 s, as an SDK would (a connection handed to a worker the moment it is killed is never answered).
 */
export function upload(port: number, n: number, body: Uint8Array): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method: "POST",
        path: `/ingest?name=workers.cpu%7Bseq%3D${n}%7D&format=pprof`,
        headers: { "content-type": "application/octet-stream", connection: "close" },
        agent: false,
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.setTimeout(5_000, () => req.destroy(new Error("no answer within 5s")));
    req.end(body);
  });
}

/** The pid of worker `index` as the primary last logged it (`worker started`). */
export function workerPid(output: string, index: number): number | undefined {
  const all = [...output.matchAll(new RegExp(`msg="worker started" worker=${index} pid=(\\d+)`, "g"))];
  const last = all.at(-1);
  return last === undefined ? undefined : Number(last[1]);
}
