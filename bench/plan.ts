/**
 * What the bench runs: the command-line options and the cases they select. Kept apart from the running code
 * so the plan (and how long it takes) can be read and tested without starting anything.
 */
import type { ProfileKey } from "./bodies.ts";

/**
 * The things in the path between the load generator and the backend, in the order tables list them: nothing
 * (direct), the references (nginx; `go`, a stdlib Go relay on one core, the floor of what Alloy's `net/http`
 * costs; `node-floor`, the least a Node relay does), then profile-relay without and with the durable queue.
 */
export const TARGETS = [
  "direct",
  "nginx",
  "go",
  "go-p2",
  "node-floor",
  "relay",
  "relay-w2",
  "queue",
] as const;
export type TargetName = (typeof TARGETS)[number];

export const PROTOCOLS = ["ingest", "push"] as const;

/**
 * The parts of a run: `matrix` (each profile and protocol at 1, 16 and 256 connections, then at half of the
 * relay's best rate), `size` (the body-size ladder), `conn` (the connection ladder against the slow backend).
 */
export const SUITES = ["matrix", "size", "conn", "workers"] as const;
export type SuiteName = (typeof SUITES)[number];
export type Protocol = (typeof PROTOCOLS)[number];

/** Why a target cannot run a protocol, or undefined when it can: the Go reference implements `/ingest` only. */
export function unsupported(target: TargetName, protocol: Protocol): string | undefined {
  return (target === "go" || target === "go-p2") && protocol !== "ingest"
    ? `${target}: the Go reference implements \`/ingest\` only; not run on push cases`
    : undefined;
}

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
  /** The parts of the plan to run (all by default). */
  readonly suites: readonly SuiteName[];
  /** Rewrite the generated section of `docs/performance.md` (full runs only, unless told otherwise). */
  readonly writeDocs: boolean;
  /** Extra Node flags for the relay (e.g. `--cpu-prof`). */
  readonly relayNodeArgs: readonly string[];
  /** Extra environment of the relay (e.g. `NODE_OPTIONS`, glibc's `MALLOC_*` tunables), name to value. */
  readonly relayEnv: Readonly<Record<string, string>>;
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
  /**
   * Runs of the ladder last at least this many seconds: against a slow backend a shorter run measures how long
   * the first answers take to come, not the steady state.
   */
  readonly minDurationSeconds: number;
  /** `max_inflight_body_size` of the relay in this ladder. */
  readonly inflightBudget: string;
  readonly inflightBudgetBytes: number;
  /**
   * The memory a connection may cost on top of the in-flight budget (socket, parser, request and response
   * objects): at N connections the relay's RSS may grow by the budget plus N times this over idle.
   */
  readonly perConnectionBytes: number;
  readonly targets: readonly TargetName[];
}

/**
 * Using the second core: the relay with one worker and with two (`run --workers`), beside the Go reference on
 * one core and on two (`GOMAXPROCS`). The load generator shares the cores, so the Go pair shows what two
 * processes can gain here.
 */
export interface WorkerScaling {
  readonly protocol: Protocol;
  readonly profiles: readonly ProfileKey[];
  readonly connections: number;
  readonly targets: readonly TargetName[];
}

export interface Plan {
  readonly matrix: readonly MatrixGroup[];
  readonly sizeScaling: SizeScaling | undefined;
  readonly connScaling: ConnScaling | undefined;
  readonly workerScaling: WorkerScaling | undefined;
}

/** The pairs the workers suite compares: one core (or worker) against two. */
export const WORKER_PAIRS: readonly { readonly one: TargetName; readonly two: TargetName }[] = [
  { one: "relay", two: "relay-w2" },
  { one: "go", two: "go-p2" },
];

/** With N workers the CPU per profile may grow by at most this over one worker. */
export const WORKERS_CPU_MAX = 1.1;

const USAGE = `usage: npm run bench -- [--quick] [--duration=SECONDS] [--warmup=SECONDS]
                        [--targets=${TARGETS.join(",")}] [--suites=${SUITES.join(",")}] [--only=TEXT]
                        [--no-docs] [--docs]
                        [--relay-from=build|src] [--relay-node-arg=FLAG]... [--relay-env=NAME=VALUE]... [--queue-fsync=always|interval|never]`;

/** Parses the command line (after `npm run bench --`). Throws with the usage on a bad option. */
export function parseOptions(argv: readonly string[]): BenchOptions {
  let quick = false;
  let duration: number | undefined;
  let warmup: number | undefined;
  let targets: TargetName[] = [...TARGETS];
  let only: string | undefined;
  let suites: SuiteName[] = [...SUITES];
  let docs: boolean | undefined;
  let relayFrom: "build" | "src" = "build";
  let queueFsync: QueueFsync = "always";
  const relayNodeArgs: string[] = [];
  const relayEnv: Record<string, string> = {};
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
        targets = parseTargets(value);
        break;
      case "--only":
        only = value;
        break;
      case "--suites":
        suites = parseSuites(value);
        break;
      case "--docs":
        docs = true;
        break;
      case "--no-docs":
        docs = false;
        break;
      case "--relay-from":
        if (value !== "build" && value !== "src") throw new Error(`--relay-from is build or src\n${USAGE}`);
        relayFrom = value;
        break;
      case "--relay-node-arg":
        relayNodeArgs.push(value);
        break;
      case "--relay-env": {
        const eq = value.indexOf("=");
        if (eq <= 0) throw new Error(`--relay-env needs NAME=VALUE\n${USAGE}`);
        relayEnv[value.slice(0, eq)] = value.slice(eq + 1);
        break;
      }
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
    suites,
    writeDocs: docs ?? (!quick && only === undefined && suites.length === SUITES.length),
    relayNodeArgs,
    relayEnv,
    relayFrom,
    queueFsync,
  };
}

/** A comma-separated list of targets, run in the order of `TARGETS` whatever the order given. */
function parseTargets(value: string): TargetName[] {
  const names = value.split(",").filter((t) => t !== "");
  if (names.length === 0) throw new Error(`--targets needs at least one of ${TARGETS.join(", ")}\n${USAGE}`);
  for (const t of names) {
    if (!(TARGETS as readonly string[]).includes(t)) throw new Error(`unknown target "${t}"\n${USAGE}`);
  }
  return TARGETS.filter((t) => names.includes(t));
}

/** A comma-separated list of suites. */
function parseSuites(value: string): SuiteName[] {
  const names = value.split(",").filter((s) => s !== "");
  if (names.length === 0) throw new Error(`--suites needs at least one of ${SUITES.join(", ")}\n${USAGE}`);
  for (const s of names) {
    if (!(SUITES as readonly string[]).includes(s)) throw new Error(`unknown suite "${s}"\n${USAGE}`);
  }
  return SUITES.filter((s) => names.includes(s));
}

/** wrk takes whole seconds. */
function positive(name: string, value: string): number {
  const n = Number(value);
  if (!(Number.isInteger(n) && n > 0)) throw new Error(`${name} needs a whole number of seconds\n${USAGE}`);
  return n;
}

/** The full connection ladder; the quick run takes one rung of it. */
const CONN_LADDER: ConnScaling = {
  protocol: "ingest",
  profile: "go-heap-39k",
  connections: [10, 100, 1000, 5000],
  backendDelayMs: 300,
  minDurationSeconds: 5,
  inflightBudget: "64MiB",
  inflightBudgetBytes: 64 * 1024 * 1024,
  // measured (docs/performance.md, "Memory and connections"): ~30 KiB of state per waiting request, plus the
  // runtime's headroom at this load spread over the connections
  perConnectionBytes: 100 * 1024,
  // node-floor's pool is capped (64 connections): what a cap on backend connections does to waiting requests
  targets: ["nginx", "go", "node-floor", "relay", "queue"],
};

/** A case's id, e.g. `ingest go-heap-39k c16`; `--only` matches against it. */
export function caseId(suite: string, protocol: Protocol, profile: ProfileKey, connections: number): string {
  return `${suite === "matrix" ? "" : `${suite} `}${protocol} ${profile} c${connections}`;
}

/** The cases of a run: the whole plan (or the quick one), less the suites not asked for. */
export function makePlan(o: BenchOptions): Plan {
  const plan = wholePlan(o);
  return {
    matrix: o.suites.includes("matrix") ? plan.matrix : [],
    sizeScaling: o.suites.includes("size") ? plan.sizeScaling : undefined,
    connScaling: o.suites.includes("conn") ? plan.connScaling : undefined,
    workerScaling: o.suites.includes("workers") ? plan.workerScaling : undefined,
  };
}

function wholePlan(o: BenchOptions): Plan {
  if (o.quick) {
    // the three bodies of the CPU targets on /ingest, and push at ~39 KB to compare with ingest
    const ingest: MatrixGroup[] = (["node-3k", "go-heap-39k", "go-heap-1m"] as const).map((profile) => ({
      protocol: "ingest",
      profile,
      connections: [16],
      halfLoadConnections: undefined,
    }));
    return {
      matrix: [
        ...ingest,
        { protocol: "push", profile: "go-heap-39k", connections: [16], halfLoadConnections: undefined },
      ],
      sizeScaling: undefined,
      connScaling: { ...CONN_LADDER, connections: [1000], targets: ["relay"] },
      workerScaling: { ...WORKER_LADDER, profiles: ["go-heap-39k"] },
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
      targets: ["go", "node-floor", "relay", "queue"],
    },
    connScaling: CONN_LADDER,
    workerScaling: WORKER_LADDER,
  };
}

const WORKER_LADDER: WorkerScaling = {
  protocol: "ingest",
  profiles: ["node-3k", "go-heap-39k"],
  connections: 64,
  targets: ["go", "go-p2", "relay", "relay-w2"],
};
