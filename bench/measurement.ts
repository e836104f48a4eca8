/**
 * One measured run and the figures derived from it: throughput of accepted profiles, payload MB/s, latency,
 * and what the process in the path (relay, nginx, a reference) spent on it: CPU milliseconds per profile,
 * profiles per second per fully used core, peak RSS; and the backend's own CPU per profile.
 */
import type { ProfileKey } from "./bodies.ts";
import type { Protocol, TargetName } from "./plan.ts";
import type { LoadResult } from "./wrk.ts";

/** Which part of the bench a run belongs to. */
export type Suite = "matrix" | "half-load" | "size" | "conn" | "workers";

/** What the process in the path spent during a run (not for `direct`). */
export interface ProxyCost {
  readonly cpuSeconds: number;
  /** CPU seconds over wall seconds: how many cores it kept busy. */
  readonly coresUsed: number;
  /** CPU (user + system) of the process tree per accepted profile, in milliseconds. */
  readonly cpuMsPerProfile: number | undefined;
  /** Accepted profiles per CPU second: the throughput one fully used core would give. */
  readonly profilesPerCoreSecond: number | undefined;
  readonly peakRssBytes: number | undefined;
  /** RSS just before the run. */
  readonly startRssBytes: number | undefined;
  /** RSS of the process when it had just started, before any load. */
  readonly idleRssBytes: number | undefined;
}

export interface Measurement {
  /** The case, e.g. `ingest go-heap-39k c16`. */
  readonly id: string;
  readonly suite: Suite;
  readonly target: TargetName;
  readonly protocol: Protocol;
  readonly profile: ProfileKey;
  readonly profileBytes: number;
  /** The HTTP request body size (the profile plus its multipart or protobuf envelope). */
  readonly requestBytes: number;
  readonly connections: number;
  /** Pause of each connection between requests; 0 = as fast as possible. */
  readonly thinkMs: number;
  readonly backendDelayMs: number;
  readonly durationSeconds: number;
  readonly requests: number;
  /** Answered with a status below 400 (one profile each). */
  readonly ok: number;
  readonly non2xx: number;
  readonly timeouts: number;
  readonly socketErrors: number;
  /** Accepted requests (= profiles) per second. */
  readonly requestsPerSecond: number;
  /** Request bodies accepted per second, in MB (10^6 bytes). */
  readonly mbPerSecond: number;
  readonly latencyMs: LoadResult["latencyMs"];
  /** Requests the backend received during the run (undefined when unknown). */
  readonly forwarded: number | undefined;
  readonly proxy: ProxyCost | undefined;
  /**
   * The backend's own CPU per accepted profile, in milliseconds: with nothing in the path (direct) this is the
   * only CPU figure, the cost of a minimal Node server receiving and acknowledging a profile.
   */
  readonly backendCpuMsPerProfile: number | undefined;
}

/** What the runner knows about a run besides wrk's figures. */
export interface RunContext {
  readonly id: string;
  readonly suite: Suite;
  readonly target: TargetName;
  readonly protocol: Protocol;
  readonly profile: ProfileKey;
  readonly profileBytes: number;
  readonly requestBytes: number;
  readonly connections: number;
  readonly thinkMs: number;
  readonly backendDelayMs: number;
  readonly forwarded: number | undefined;
  /** CPU seconds the backend used during the run. */
  readonly backendCpuSeconds: number | undefined;
  /** CPU seconds the process in the path used during the run, peak and start RSS; undefined for direct. */
  readonly proxy:
    | {
        readonly cpuSeconds: number | undefined;
        readonly peakRssBytes: number | undefined;
        readonly startRssBytes: number | undefined;
        readonly idleRssBytes: number | undefined;
      }
    | undefined;
}

/** Combines a run's context and wrk's result into a measurement. */
export function deriveMeasurement(ctx: RunContext, load: LoadResult): Measurement {
  const duration = load.durationSeconds > 0 ? load.durationSeconds : 1;
  const ok = Math.max(0, load.requests - load.non2xx);
  let proxy: ProxyCost | undefined;
  if (ctx.proxy !== undefined) {
    const cpu = ctx.proxy.cpuSeconds ?? Number.NaN;
    proxy = {
      cpuSeconds: cpu,
      coresUsed: cpu / duration,
      cpuMsPerProfile: perProfileMs(cpu, ok),
      profilesPerCoreSecond: cpu > 0 ? ok / cpu : undefined,
      peakRssBytes: ctx.proxy.peakRssBytes,
      startRssBytes: ctx.proxy.startRssBytes,
      idleRssBytes: ctx.proxy.idleRssBytes,
    };
  }
  return {
    id: ctx.id,
    suite: ctx.suite,
    target: ctx.target,
    protocol: ctx.protocol,
    profile: ctx.profile,
    profileBytes: ctx.profileBytes,
    requestBytes: ctx.requestBytes,
    connections: ctx.connections,
    thinkMs: ctx.thinkMs,
    backendDelayMs: ctx.backendDelayMs,
    durationSeconds: duration,
    requests: load.requests,
    ok,
    non2xx: load.non2xx,
    timeouts: load.timeouts,
    socketErrors: load.socketErrors,
    requestsPerSecond: ok / duration,
    mbPerSecond: (ok * ctx.requestBytes) / duration / 1e6,
    latencyMs: load.latencyMs,
    forwarded: ctx.forwarded,
    proxy,
    backendCpuMsPerProfile: perProfileMs(ctx.backendCpuSeconds, ok),
  };
}

/** CPU seconds over `profiles`, in milliseconds each; undefined without CPU figure or profiles. */
function perProfileMs(cpuSeconds: number | undefined, profiles: number): number | undefined {
  return profiles > 0 && cpuSeconds !== undefined && Number.isFinite(cpuSeconds)
    ? (cpuSeconds / profiles) * 1000
    : undefined;
}
