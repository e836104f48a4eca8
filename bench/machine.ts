/**
 * Describes the machine and software a run measured, for the report's header, and finds free ports.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, release, totalmem, type } from "node:os";
import { REPO_ROOT } from "./relay.ts";
import type { MachineInfo } from "./report.ts";
import { versionOf } from "./tools.ts";

function osName(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync("/etc/os-release", "utf8"));
    if (m?.[1] !== undefined) return `${m[1]}, ${type()} ${release()}`;
  } catch {
    // not Linux
  }
  return `${type()} ${release()}`;
}

function commit(): string {
  try {
    const git = (args: string[]) =>
      execFileSync("git", args, {
        cwd: REPO_ROOT,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      }).trim();
    const head = git(["rev-parse", "--short", "HEAD"]);
    return git(["status", "--porcelain"]) === "" ? head : `${head}+dirty`;
  } catch {
    return "unknown";
  }
}

/** The machine, the OS and the versions of everything in the measurement. */
export function machineInfo(tools: ReadonlyMap<string, string>): MachineInfo {
  const list = cpus();
  const nginx = tools.get("nginx");
  const wrk = tools.get("wrk");
  const go = tools.get("go");
  return {
    cpuModel: list[0]?.model.replace(/\s+/g, " ").trim() ?? "unknown CPU",
    cores: list.length,
    memoryBytes: totalmem(),
    os: osName(),
    node: process.version,
    nginx: nginx === undefined ? "no nginx" : versionOf(nginx, ["-v"]).replace("nginx version: ", ""),
    wrk: wrk === undefined ? "no wrk" : (versionOf(wrk, ["-v"]).split(" [")[0] ?? "wrk"),
    go: go === undefined ? "no go" : versionOf(go, ["version"]).replace("go version ", ""),
    commit: commit(),
  };
}

/** A TCP port free on 127.0.0.1 right now (for servers that cannot report the port they bound, as nginx). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0 }, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * How many files this process may open (`ulimit -n`), from `/proc/self/limits`; undefined off Linux. Node
 * raises its own soft limit to the hard one at start-up, and the processes the bench starts (wrk, the relay,
 * the backend) inherit it, so this is what each of them may open.
 */
export function openFilesLimit(): number | undefined {
  try {
    const line = readFileSync("/proc/self/limits", "utf8")
      .split("\n")
      .find((l) => l.startsWith("Max open files"));
    const soft = line?.split(/\s+/)[3];
    if (soft === undefined) return undefined;
    return soft === "unlimited" ? Number.POSITIVE_INFINITY : Number(soft);
  } catch {
    return undefined;
  }
}

/**
 * The files a relay needs at `connections` waiting clients: one socket per client and, at worst, one backend
 * connection per client (no target caps its backend connections but node-floor), plus its own files.
 */
export function filesNeeded(connections: number): number {
  return 2 * connections + 256;
}
