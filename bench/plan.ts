/**
 * What the bench runs: the command-line options and the cases they select. Kept apart from the running code
 * so the plan (and how long it takes) can be read and tested without starting anything.
 */
import type { ProfileKey } from "./bodies.ts";

/** The things in the path between the load generator and the backend. */
export const TARGETS = ["direct", "nginx", "relay", "queue"] as const;
export type TargetName = (typeof TARGETS)[number];

export const PROTOCOLS = ["ingest", "push"] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/** Command-line options. */
export interface BenchOptions {
  readonly quick: boolean;
  /** Seconds of each measured run (whole seconds: wrk's unit). */
  readonly durationSeconds: number;
  /** Seconds of load before each measured run (not measured). */
  readonly warmupSeconds: number;
  readonly targets: readonly TargetName[];
  /** Only cases whose id contains this text. */
  readonly only: string | undefined;
  /** Rewrite the table in docs/performance.md (full runs only, unless told otherwise). */
  readonly writeReadme: boolean;
  /** Extra Node flags for the relay (e.g. `--cpu-prof`). */
  readonly relayNodeArgs: readonly string[];
  /** Run the relay compiled (as shipped) or from the TypeScript source. */
  readonly relayFrom: "build" | "src";
  /** The `fsync` mode of the queue target (`always` is the queue's default). */
  readonly queueFsync: QueueFsync;
}

/** The queue's `fsync` modes. */
export const QUEUE_FSYNC_MODES = ["always", "interval", "never"] as const;
export type QueueFsync = (typeof QUEUE_FSYNC_MODES)[number];

/** One profile on one protocol, run at each concurrency on each target. */
export interface MatrixGroup {
  readonly protocol: Protocol;
  readonly profile: ProfileKey;
  readonly connections: readonly number[];
  /** Also run at half of the relay's best throughput (latency under moderate load), at this concurrency. */
  readonly halfLoadConnections: number | undefined;
}

/** The body-size ladder: cost per profile as bodies grow. */
export interface SizeScaling {
  readonly protocol: Protocol;
  readonly profiles: readonly ProfileKey[];
  readonly connections: number;
  readonly targets: readonly TargetName[];
}

/** The connection ladder against the slow backend: memory must follow the limits, not the traffic. */
export interface ConnScaling {
  readonly protocol: Protocol;
  readonly profile: ProfileKey;
  readonly connections: readonly number[];
  readonly backendDelayMs: number;
  /** `max_inflight_body_size` of the relay in this ladder. */
  readonly inflightBudget: string;
  readonly inflightBudgetBytes: number;
  readonly targets: readonly TargetName[];
}

export interface Plan {
  readonly matrix: readonly MatrixGroup[];
  readonly sizeScaling: SizeScaling | undefined;
  readonly connScaling: ConnScaling | undefined;
}

const USAGE = `usage: npm run bench -- [--quick] [--duration=SECONDS] [--warmup=SECONDS]
                        [--targets=direct,nginx,relay,queue] [--only=TEXT] [--no-readme] [--readme]
                        [--relay-from=build|src] [--relay-node-arg=FLAG]... [--queue-fsync=always|interval|never]`;

/** Parses the command line (after `npm run bench --`). Throws with the usage on a bad option. */
export function parseOptions(argv: readonly string[]): BenchOptions {
  let quick = false;
  let duration: number | undefined;
  let warmup: number | undefined;
  let targets: TargetName[] = [...TARGETS];
  let only: string | undefined;
  let readme: boolean | undefined;
  let relayFrom: "build" | "src" = "build";
  let queueFsync: QueueFsync = "always";
  const relayNodeArgs: string[] = [];
  for (const arg of argv) {
    const [name, value] = arg.includes("=")
      ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
      : [arg, ""];
    switch (name) {
      case "--quick":
        quick = true;
        break;
      case "--duration":
        duration = positive(name, value);
        break;
      case "--warmup":
        warmup = Number(value);
        if (!(Number.isInteger(warmup) && warmup >= 0)) {
          throw new Error(`--warmup needs a whole number of seconds\n${USAGE}`);
        }
        break;
      case "--targets":
        targets = value.split(",").map((t) => {
          if (!(TARGETS as readonly string[]).includes(t)) throw new Error(`unknown target "${t}"\n${USAGE}`);
          return t as TargetName;
        });
        break;
      case "--only":
        only = value;
        break;
      case "--readme":
        readme = true;
        break;
      case "--no-readme":
        readme = false;
        break;
      case "--relay-from":
        if (value !== "build" && value !== "src") throw new Error(`--relay-from is build or src\n${USAGE}`);
        relayFrom = value;
        break;
      case "--relay-node-arg":
        relayNodeArgs.push(value);
        break;
      case "--queue-fsync":
        if (!(QUEUE_FSYNC_MODES as readonly string[]).includes(value)) {
          throw new Error(`--queue-fsync is always, interval or never\n${USAGE}`);
        }
        queueFsync = value as QueueFsync;
        break;
      case "--help":
      case "-h":
        throw new Error(USAGE);
      default:
        throw new Error(`unknown option "${arg}"\n${USAGE}`);
    }
  }
  return {
    quick,
    durationSeconds: duration ?? (quick ? 2 : 4),
    warmupSeconds: warmup ?? 1,
    targets,
    only,
    writeReadme: readme ?? (!quick && only === undefined),
    relayNodeArgs,
    relayFrom,
    queueFsync,
  };
}

/** wrk takes whole seconds. */
function positive(name: string, value: string): number {
  const n = Number(value);
  if (!(Number.isInteger(n) && n > 0)) throw new Error(`${name} needs a whole number of seconds\n${USAGE}`);
  return n;
}

/** The cases of a run. */
export function makePlan(o: BenchOptions): Plan {
  if (o.quick) {
    return {
      matrix: PROTOCOLS.map((protocol) => ({
        protocol,
        profile: "go-heap-39k",
        connections: [16],
        halfLoadConnections: undefined,
      })),
      sizeScaling: undefined,
      connScaling: {
        protocol: "ingest",
        profile: "go-heap-39k",
        connections: [1000],
        backendDelayMs: 300,
        inflightBudget: "64MiB",
        inflightBudgetBytes: 64 * 1024 * 1024,
        targets: ["relay"],
      },
    };
  }
  const profiles: ProfileKey[] = ["node-3k", "go-heap-39k", "go-heap-1m"];
  return {
    matrix: PROTOCOLS.flatMap((protocol) =>
      profiles.map((profile) => ({ protocol, profile, connections: [1, 16, 256], halfLoadConnections: 16 })),
    ),
    sizeScaling: {
      protocol: "ingest",
      profiles: ["node-3k", "go-heap-39k", "go-heap-1m", "go-heap-2.6m", "go-heap-10m"],
      connections: 16,
      targets: ["relay", "queue"],
    },
    connScaling: {
      protocol: "ingest",
      profile: "go-heap-39k",
      connections: [10, 100, 1000, 5000],
      backendDelayMs: 300,
      inflightBudget: "64MiB",
      inflightBudgetBytes: 64 * 1024 * 1024,
      targets: ["nginx", "relay", "queue"],
    },
  };
}

/** A case's id, e.g. `ingest go-heap-39k c16`; `--only` matches against it. */
export function caseId(suite: string, protocol: Protocol, profile: ProfileKey, connections: number): string {
  return `${suite === "matrix" ? "" : `${suite} `}${protocol} ${profile} c${connections}`;
}
