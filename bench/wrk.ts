/**
 * Drives load with wrk (Debian's `wrk` package): one run repeats one request on `connections` keep-alive
 * connections for a fixed time and reports through a Lua `done` hook as one JSON line. A run may pace each
 * connection with a think time between requests (wrk's `delay` hook) to hold a rate below the maximum.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RequestShape } from "./bodies.ts";
import { Child } from "./processes.ts";

/** One wrk run. */
export interface LoadSpec {
  /** `http://127.0.0.1:PORT` */
  readonly baseUrl: string;
  readonly request: RequestShape;
  readonly connections: number;
  readonly durationSeconds: number;
  /** Milliseconds each connection waits after a response before its next request; 0 = closed loop. */
  readonly thinkMs?: number;
  /** Requests slower than this count as timeouts (wrk's `--timeout`). */
  readonly timeoutSeconds?: number;
  /** Where to write the Lua script and body file. */
  readonly workDir: string;
}

/** What wrk measured. */
export interface LoadResult {
  readonly durationSeconds: number;
  /** Responses received (any status). */
  readonly requests: number;
  /** Responses with a status of 400 or more. */
  readonly non2xx: number;
  readonly timeouts: number;
  /** Connect, read and write errors. */
  readonly socketErrors: number;
  /** Latency of answered requests, in milliseconds. */
  readonly latencyMs: {
    readonly p50: number;
    readonly p99: number;
    readonly max: number;
    readonly mean: number;
  };
}

let scriptCounter = 0;

/** The Lua script of a run: the request, optional pacing, and a JSON report. */
export function wrkScript(request: RequestShape, bodyFile: string, thinkMs: number): string {
  const lua = (s: string) => JSON.stringify(s); // JSON string escapes are valid Lua for these ASCII values
  const headerLines = Object.entries(request.headers)
    .map(([name, value]) => `wrk.headers[${lua(name)}] = ${lua(value)}`)
    .join("\n");
  return `wrk.method = "POST"
wrk.path = ${lua(request.path)}
${headerLines}
local f = assert(io.open(${lua(bodyFile)}, "rb"))
wrk.body = f:read("*a")
f:close()
${thinkMs > 0 ? `function delay() return ${Math.round(thinkMs)} end` : ""}
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\nWRK_RESULT {"duration_us":%d,"requests":%d,"status":%d,"timeout":%d,"connect":%d,"read":%d,"write":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\\n',
    summary.duration, summary.requests, e.status, e.timeout, e.connect, e.read, e.write,
    latency:percentile(50), latency:percentile(99), latency.max, latency.mean))
end
`;
}

/** Parses the `WRK_RESULT` line of a run's output. */
export function parseWrkOutput(output: string): LoadResult {
  const line = output.split("\n").find((l) => l.startsWith("WRK_RESULT "));
  if (line === undefined) throw new Error(`wrk printed no result:\n${output.slice(-2000)}`);
  const r = JSON.parse(line.slice("WRK_RESULT ".length)) as Record<string, number>;
  const n = (k: string) => r[k] ?? 0;
  return {
    durationSeconds: n("duration_us") / 1e6,
    requests: n("requests"),
    non2xx: n("status"),
    timeouts: n("timeout"),
    socketErrors: n("connect") + n("read") + n("write"),
    latencyMs: {
      p50: n("p50_us") / 1000,
      p99: n("p99_us") / 1000,
      max: n("max_us") / 1000,
      mean: n("mean_us") / 1000,
    },
  };
}

/** Runs wrk once and returns its figures; rejects when wrk fails. */
export async function runWrk(spec: LoadSpec): Promise<LoadResult> {
  const id = ++scriptCounter;
  const bodyFile = join(spec.workDir, `body-${id}.bin`);
  const scriptFile = join(spec.workDir, `load-${id}.lua`);
  writeFileSync(bodyFile, spec.request.body);
  writeFileSync(scriptFile, wrkScript(spec.request, bodyFile, spec.thinkMs ?? 0));
  // one thread: wrk's event loop keeps up with every case here, and a second thread would take CPU
  // from the processes under test on a small machine
  const args = [
    "-t1",
    `-c${spec.connections}`,
    `-d${spec.durationSeconds}s`,
    `--timeout`,
    `${spec.timeoutSeconds ?? 10}s`,
    "-s",
    scriptFile,
    `${spec.baseUrl}${spec.request.path}`,
  ];
  const child = Child.start("wrk", "wrk", args);
  const code = await child.exited;
  if (code !== 0) throw new Error(`wrk exited with ${code}:\n${child.tail()}`);
  return parseWrkOutput(child.stdout);
}
