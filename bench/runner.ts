/**
 * Measuring one case on one target: warm up, then run wrk while reading the CPU time and memory of the
 * process in the path (and the backend's CPU time) from `/proc`, and count what reached the backend.
 */
import type { BackendStats } from "./backend.ts";
import type { Profile } from "./bodies.ts";
import { deriveMeasurement, type Measurement, type Suite } from "./measurement.ts";
import type { Protocol, TargetName } from "./plan.ts";
import { cpuSeconds, MemoryWatch, processTree } from "./proc-stats.ts";
import { Child } from "./processes.ts";
import { runWrk } from "./wrk.ts";

/** A backend running in its own process. */
export interface BackendProcess {
  readonly url: string;
  readonly port: number;
  readonly delayMs: number;
  readonly child: Child;
  stats(): Promise<BackendStats | undefined>;
}

/** Starts `bench/backend-main.ts` with `nodePath`; resolves once it listens. */
export async function startBackendProcess(nodePath: string, delayMs: number): Promise<BackendProcess> {
  const script = new URL("./backend-main.ts", import.meta.url).pathname;
  const child = Child.start(`backend (${delayMs} ms)`, nodePath, [script, "--delay-ms", String(delayMs)]);
  const line = await child.waitForLine((l) => l.startsWith("{"), 15_000);
  const { port } = JSON.parse(line) as { port: number };
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    delayMs,
    child,
    stats: async () => {
      try {
        const res = await fetch(`${url}/stats`, { signal: AbortSignal.timeout(5000) });
        return (await res.json()) as BackendStats;
      } catch {
        return undefined;
      }
    },
  };
}

/** Where the load goes, and the process to account for (none for `direct`). */
export interface TargetHandle {
  readonly name: TargetName;
  readonly url: string;
  /** The root process in the path (its descendants count too), or undefined. */
  readonly pid: number | undefined;
  /** Its RSS right after it started, before any load. */
  readonly idleRssBytes: number | undefined;
  /** Whether the process in the path has exited (relay targets). */
  readonly exited?: () => boolean;
  /** Its last output lines (relay targets). */
  readonly tail?: () => string;
}

/** One run. */
export interface RunSpec {
  readonly id: string;
  readonly suite: Suite;
  readonly target: TargetHandle;
  readonly backend: BackendProcess;
  readonly protocol: Protocol;
  readonly profile: Profile;
  readonly connections: number;
  readonly thinkMs: number;
  readonly durationSeconds: number;
  readonly warmupSeconds: number;
  readonly workDir: string;
}

function forwardedCount(
  protocol: Protocol,
  before: BackendStats | undefined,
  after: BackendStats | undefined,
): number | undefined {
  if (before === undefined || after === undefined) return undefined;
  return protocol === "ingest"
    ? after.ingestRequests - before.ingestRequests
    : after.pushRequests - before.pushRequests;
}

/** The warm-up goes on, a round of `warmupSeconds` at a time, until this many requests were answered… */
const WARMUP_MIN_REQUESTS = 1000;
/** …or this many rounds ran (large bodies at a low rate). */
const WARMUP_MAX_ROUNDS = 5;

/**
 * Resolves once `read` (the backend's counters) gives the same answer twice `quietMs` apart, or after `maxMs`:
 * nothing is on its way through the path any more.
 */
export async function waitUntilSettled(
  read: () => Promise<unknown>,
  quietMs: number,
  maxMs: number,
): Promise<void> {
  const deadline = Date.now() + maxMs;
  let last = JSON.stringify(await read());
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, quietMs));
    const now = JSON.stringify(await read());
    if (now === last) return;
    last = now;
  }
}

/** Warms up, then measures one case on one target. */
export async function measure(spec: RunSpec): Promise<Measurement> {
  const request = spec.protocol === "ingest" ? spec.profile.ingest : spec.profile.push;
  const load = {
    baseUrl: spec.target.url,
    request,
    connections: spec.connections,
    thinkMs: spec.thinkMs,
    workDir: spec.workDir,
  };
  if (spec.warmupSeconds > 0) {
    // a JIT-compiled target (the relay) costs more until its hot paths are optimized: warm up by requests,
    // not only by time, so a slow case or a busy machine does not measure the compiler
    let answered = 0;
    for (let round = 0; round < WARMUP_MAX_ROUNDS && answered < WARMUP_MIN_REQUESTS; round++) {
      answered += (await runWrk({ ...load, durationSeconds: spec.warmupSeconds })).requests;
    }
    // let the requests cut off by the end of the warm-up drain (a slow backend or a busy target holds them),
    // so the run measures its own requests
    await waitUntilSettled(spec.backend.stats, 100 + spec.backend.delayMs, 15_000);
  }
  const pids = spec.target.pid === undefined ? undefined : processTree(spec.target.pid);
  const backendPids = processTree(spec.backend.child.pid);
  const before = await spec.backend.stats();
  const backendCpuBefore = cpuSeconds(backendPids);
  const cpuBefore = pids === undefined ? undefined : cpuSeconds(pids);
  const watch = pids === undefined ? undefined : new MemoryWatch(pids);
  const startRss = watch?.current();
  const result = await runWrk({ ...load, durationSeconds: spec.durationSeconds });
  const peakRss = watch?.stop();
  const cpuAfter = pids === undefined ? undefined : cpuSeconds(pids);
  const backendCpuAfter = cpuSeconds(backendPids);
  // what the path still had in flight when wrk stopped arrives at the backend
  await waitUntilSettled(spec.backend.stats, 100 + spec.backend.delayMs, 5000);
  const after = await spec.backend.stats();
  return deriveMeasurement(
    {
      id: spec.id,
      suite: spec.suite,
      target: spec.target.name,
      protocol: spec.protocol,
      profile: spec.profile.key,
      profileBytes: spec.profile.profileBytes,
      requestBytes: request.body.length,
      connections: spec.connections,
      thinkMs: spec.thinkMs,
      backendDelayMs: spec.backend.delayMs,
      forwarded: spec.target.name === "direct" ? undefined : forwardedCount(spec.protocol, before, after),
      backendCpuSeconds:
        backendCpuBefore === undefined || backendCpuAfter === undefined
          ? undefined
          : backendCpuAfter - backendCpuBefore,
      proxy:
        pids === undefined
          ? undefined
          : {
              cpuSeconds:
                cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore,
              peakRssBytes: peakRss,
              startRssBytes: startRss,
              idleRssBytes: spec.target.idleRssBytes,
            },
    },
    result,
  );
}
