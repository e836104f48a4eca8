/**
 * The per-profile references from `../shared/bench` (third-party material, read there, never copied into the
 * repository), each run as its own process like the relay, a fresh one per group of runs:
 *
 * - `go`: `go-relay`, a stdlib Go relay for `/ingest` built with Debian's `golang-go` into the run's temp folder
 *   and run on one core (`GOMAXPROCS=1`): the least Alloy's `net/http` stack costs per profile;
 * - `node-floor`: `floor.mjs`, the least a Node relay does (`node:http` in, an undici `Pool` out, no parsing),
 *   run from the repository root so it finds the project's undici.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "./machine.ts";
import { Child, type RunningServer, waitUntilServing } from "./processes.ts";
import { REPO_ROOT } from "./relay.ts";

/** `../shared/bench` from the repository root. */
export const SHARED_BENCH_DIR = join(REPO_ROOT, "../shared/bench");
/** The Go reference's source folder. */
export const GO_RELAY_DIR = join(SHARED_BENCH_DIR, "go-relay");
/** The Node floor's script. */
export const NODE_FLOOR_SCRIPT = join(SHARED_BENCH_DIR, "node-floor/floor.mjs");

/** Why a reference cannot run here (its source is missing), or undefined when it can. */
export function referenceMissing(name: "go" | "node-floor"): string | undefined {
  if (name === "go") {
    return existsSync(join(GO_RELAY_DIR, "main.go"))
      ? undefined
      : `go: the Go reference's source is absent (${GO_RELAY_DIR})`;
  }
  return existsSync(NODE_FLOOR_SCRIPT)
    ? undefined
    : `node-floor: the Node floor is absent (${NODE_FLOOR_SCRIPT})`;
}

/**
 * Builds the Go reference with `go` into `outDir` (inside the run's temp folder, removed with it), with the build
 * cache there too, offline (no module or toolchain is downloaded: it uses the standard library only).
 * Resolves with the binary, or with the compiler's first line of complaint.
 */
export function buildGoRelay(go: string, outDir: string): Promise<{ binary: string } | { error: string }> {
  mkdirSync(outDir, { recursive: true });
  const binary = join(outDir, "go-relay");
  const env = {
    ...process.env,
    GOCACHE: join(outDir, "cache"),
    GOPATH: join(outDir, "gopath"),
    GOPROXY: "off",
    GOTOOLCHAIN: "local",
    GOFLAGS: "",
  };
  return new Promise((resolve) => {
    execFile(
      go,
      ["build", "-o", binary, "."],
      { cwd: GO_RELAY_DIR, env, timeout: 300_000 },
      (err, out, errOut) => {
        if (err === null) {
          resolve({ binary });
          return;
        }
        const text = `${out}${errOut}`.trim();
        resolve({ error: text.split("\n")[0] || String(err) });
      },
    );
  });
}

/** Starts the built Go reference on `procs` cores (`GOMAXPROCS`), forwarding to the backend on `backendPort`. */
export async function startGoRelay(
  binary: string,
  backendPort: number,
  procs: number,
): Promise<RunningServer> {
  const port = await freePort();
  const child = Child.start("go-relay", binary, [String(port), String(backendPort)], {
    env: { ...process.env, GOMAXPROCS: String(procs) },
  });
  const url = `http://127.0.0.1:${port}`;
  // it prints nothing; its `/` answers 200 once it listens
  await waitUntilServing(`${url}/`, child, 10_000);
  return { url, child, stop: () => child.stop("SIGTERM", 5000) };
}

/** Starts the Node floor with `node`, forwarding to the backend on `backendPort`. */
export async function startNodeFloor(node: string, backendPort: number): Promise<RunningServer> {
  const port = await freePort();
  const child = Child.start("node-floor", node, [NODE_FLOOR_SCRIPT, String(port), String(backendPort)], {
    cwd: REPO_ROOT,
  });
  await child.waitForLine((l) => l.startsWith("listening"), 15_000);
  return { url: `http://127.0.0.1:${port}`, child, stop: () => child.stop("SIGTERM", 5000) };
}
