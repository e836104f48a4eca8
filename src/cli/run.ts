/**
 * `profile-relay run [flags] PATH`: runs the relay on a config file or a directory of `*.alloy` files, as
 * `alloy run` does. Flags keep Alloy's names. SIGHUP reloads the config; SIGINT/SIGTERM stop the components
 * (dependants first, in-flight work finishing within the stop deadline) and exit 0; a second signal exits at
 * once; started by npm, the relay also stops when npm's shell (its parent) is gone. A path that cannot be read
 * fails before anything listens; a config that fails the initial load exits 1 with its diagnostics, never a
 * stack trace.
 *
 * This command owns the process (signal handlers, a last-resort exit after shutdown): tests start it as a
 * child process, or use `Agent` from `src/runtime/agent.ts` in-process.
 */

import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import type { Logger } from "pino";
import { Agent, type LoadOutcome } from "../runtime/agent.ts";
import { printDiagnostics } from "../syntax/diagnostic-printer.ts";
import { parseDuration } from "../syntax/duration.ts";
import { ConfigReadError, readConfigSources } from "../syntax/source.ts";
import { autoWorkerCount } from "../workers/cpu-count.ts";
import { Primary } from "../workers/primary.ts";
import { readConfigRegistry } from "./config-registry.ts";
import { boolFlag, type FlagSpec, flagsHelp, parseCommandLine, parseFlags, stringFlag } from "./flags.ts";
import type { Command } from "./io.ts";
import { readStabilityFlag, STABILITY_FLAG } from "./stability-flag.ts";

const FLAGS: readonly FlagSpec[] = [
  {
    name: "server.http.listen-addr",
    kind: "string",
    default: "127.0.0.1:12345",
    help: "Address to listen for HTTP traffic on",
  },
  {
    name: "server.http.ui-path-prefix",
    kind: "string",
    default: "/",
    help: "Prefix to serve the HTTP UI at",
  },
  {
    name: "storage.path",
    kind: "string",
    default: "data-alloy/",
    help: "Base directory where components can store data",
  },
  STABILITY_FLAG,
  {
    name: "workers",
    kind: "string",
    default: "auto",
    help: "Worker processes that run the components: a number, or auto for the CPUs this process may use (honouring a cgroup CPU limit); 1 runs everything in one process",
  },
  {
    name: "workers.metrics-per-worker",
    kind: "bool",
    default: false,
    help: 'With several workers, label each worker\'s series on /metrics worker="<index>" instead of merging them',
  },
  {
    name: "feature.component-shutdown-deadline",
    kind: "string",
    default: "10m",
    help: "Maximum duration to wait for a component to shut down before giving up",
  },
  {
    name: "config.format",
    kind: "string",
    default: "alloy",
    help: "The format of the source file. Supported formats: alloy",
  },
  // Alloy flags accepted so existing command lines keep working; profile-relay has nothing for them to do.
  { name: "disable-reporting", kind: "bool", default: false, help: "", hidden: true },
  { name: "server.http.enable-pprof", kind: "bool", default: true, help: "", hidden: true },
  { name: "server.http.disable-support-bundle", kind: "bool", default: false, help: "", hidden: true },
  {
    name: "server.http.memory-addr",
    kind: "string",
    default: "alloy.internal:12345",
    help: "",
    hidden: true,
  },
  { name: "help", short: "h", kind: "bool", default: false, help: "help for run" },
];

const HELP = `The run subcommand runs profile-relay in the foreground until an interrupt
is received.

run must be provided an argument pointing at the configuration directory or
file path to use. If the path wasn't specified, can't be loaded, or contains
errors, run exits immediately.

If path is a directory, all *.alloy files in that directory are combined into
a single unit. Subdirectories are not searched.

run starts an HTTP server which can be used to check readiness (/-/ready) and
health (/-/healthy), read metrics (/metrics), open the web UI (/), list
components (/api/v0/web/components) or reload the config (GET or POST
/-/reload, or send SIGHUP). If reloading fails, profile-relay keeps running its last valid config.

Usage:
  profile-relay run [flags] path

Flags:
${flagsHelp(FLAGS)}
`;

export const runCommand: Command = async (argv, io) => {
  if (noPathGiven(argv)) {
    io.stderr(
      "Error: run needs the path of a config file or of a directory of *.alloy files, e.g.\n" +
        "  profile-relay run examples/default.alloy\n" +
        "Run 'profile-relay run --help' for usage.\n",
    );
    return 1;
  }
  const flags = parseCommandLine(
    argv,
    { command: "run", flags: FLAGS, help: HELP, arity: { exactly: 1 } },
    io,
  );
  if (typeof flags === "number") return flags;
  const minStability = readStabilityFlag(flags, io.stderr);
  if (minStability === undefined) return 1;
  const deadlineText = stringFlag(flags, "feature.component-shutdown-deadline");
  let stopDeadlineMs: number;
  try {
    stopDeadlineMs = parseDuration(deadlineText);
  } catch (err) {
    io.stderr(
      `Error: invalid argument "${deadlineText}" for "--feature.component-shutdown-deadline" flag: ${(err as Error).message}\n`,
    );
    return 1;
  }
  const workersText = stringFlag(flags, "workers");
  const workers = parseWorkers(workersText);
  if (workers === undefined) {
    io.stderr(
      `Error: invalid argument "${workersText}" for "--workers" flag: want auto or a whole number from 1 to ${MAX_WORKERS}\n`,
    );
    return 1;
  }
  const registry = readConfigRegistry(flags, io.stderr);
  if (registry === undefined) return 1;

  const configPath = flags.positional[0]!;
  // A path that cannot be read fails before anything listens (the load reads it again, as reloads do).
  try {
    await readConfigSources(configPath);
  } catch (err) {
    if (!(err instanceof ConfigReadError)) throw err;
    io.stderr(`Error: ${err.message}\n`);
    return 1;
  }
  const listenAddr = stringFlag(flags, "server.http.listen-addr");
  const options = {
    configPath,
    listenAddr,
    storagePath: stringFlag(flags, "storage.path"),
    uiPathPrefix: stringFlag(flags, "server.http.ui-path-prefix"),
    minStability,
    stopDeadlineMs,
    registry,
  };
  let agent: Relay;
  try {
    // one worker is today's single process: no cluster, no IPC
    agent =
      workers === 1
        ? await Agent.start(options)
        : await Primary.start({
            ...options,
            count: workers,
            metricsPerWorker: boolFlag(flags, "workers.metrics-per-worker"),
          });
  } catch (err) {
    io.stderr(`Error: ${(err as Error).message}\n${listenHint(err, listenAddr)}`);
    return 1;
  }

  let initial: LoadOutcome;
  try {
    initial = await agent.reload();
  } catch (err) {
    // a bug, not a config problem; the agent's HTTP server would keep the process alive, so stop it
    agent.flushLogs();
    io.stderr(`Error: could not perform the initial load: ${(err as Error).message}\n`);
    await agent.close().catch(() => {});
    exitSoon(1);
    return 1;
  }
  if (initial.error !== undefined) {
    agent.flushLogs();
    if (initial.diagnostics.length > 0) {
      io.stderr(
        printDiagnostics(initial.diagnostics, initial.sources, {
          color: io.stderrIsTTY,
          secrets: initial.secrets,
        }),
      );
      io.stdout("\n");
      io.stderr("Error: could not perform the initial load successfully\n");
    } else {
      io.stderr(`Error: ${initial.error}\n`);
    }
    await agent.close();
    exitSoon(1);
    return 1;
  }
  return waitForSignals(agent, io.stderr);
};

/** What `run` drives: one process (`Agent`), or the primary of `--workers=N` (`Primary`). */
interface Relay {
  readonly logger: Logger;
  reload(): Promise<LoadOutcome>;
  shutdown(): Promise<void>;
  close(): Promise<void>;
  flushLogs(): void;
}

/** The most workers `--workers` accepts (far beyond any machine's cores: a typo guard). */
const MAX_WORKERS = 1024;

/** `--workers`: `auto` (see `autoWorkerCount`) or a whole number from 1 to `MAX_WORKERS`; `undefined` when invalid. */
export function parseWorkers(text: string): number | undefined {
  if (text === "auto") {
    return autoWorkerCount({ availableParallelism: availableParallelism(), readFile: readTextFile });
  }
  if (!/^[1-9][0-9]*$/.test(text) || Number(text) > MAX_WORKERS) return undefined;
  return Number(text);
}

function readTextFile(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/**
 * Whether the command line names no config path: only flags (and their values), which cobra would report as
 * `accepts 1 arg(s), received 0`. `--help` is left to the usual handling.
 */
function noPathGiven(argv: readonly string[]): boolean {
  if (argv.includes("--help") || argv.includes("-h")) return false;
  try {
    return parseFlags(argv, FLAGS).positional.length === 0;
  } catch {
    return false; // a bad flag: reported by parseCommandLine
  }
}

/** What to do when the agent's own address cannot be used: a second line naming the flag. */
function listenHint(err: unknown, listenAddr: string): string {
  const message = err instanceof Error ? err.message : "";
  if (!message.startsWith("failed to listen on ")) return "";
  const busy = message.includes("EADDRINUSE");
  return (
    `${busy ? `Another process (another profile-relay or Alloy?) is using ${listenAddr}. ` : ""}` +
    "Choose the address of profile-relay's own HTTP server with --server.http.listen-addr " +
    "(e.g. --server.http.listen-addr=127.0.0.1:12346; port 0 picks a free port).\n"
  );
}

/**
 * Reloads on SIGHUP; on the first SIGINT/SIGTERM shuts down and resolves 0; a second one exits at once
 * (killing the workers of `--workers=N`). Says "profile-relay is running" once the handlers are in place.
 */
function waitForSignals(agent: Relay, stderr: (text: string) => void): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const onHangup = () => {
      agent.reload().then(
        (outcome) => {
          if (outcome.error === undefined) agent.logger.info("config reloaded");
          else agent.logger.error({ err: outcome.error }, "failed to reload config");
        },
        (err: unknown) => agent.logger.error({ err }, "failed to reload config"),
      );
    };
    const onStop = () => {
      if (stopping) {
        stderr("second interrupt received, exiting now\n");
        if (agent instanceof Primary) agent.kill();
        process.exit(1);
      }
      stopping = true;
      stderr("interrupt received\n");
      agent.shutdown().then(
        () => {
          process.off("SIGHUP", onHangup);
          process.off("SIGINT", onStop);
          process.off("SIGTERM", onStop);
          exitSoon(0);
          resolve(0);
        },
        (err: unknown) => {
          agent.logger.error({ err }, "shutdown failed");
          agent.flushLogs();
          resolve(1);
        },
      );
    };
    process.on("SIGHUP", onHangup);
    process.on("SIGINT", onStop);
    process.on("SIGTERM", onStop);
    watchLauncher(agent, onStop);
    // Only now: whoever waits for this line (a supervisor, a test) may signal at once, and a signal that came
    // before the handlers would kill the process with the default action instead of stopping it cleanly.
    agent.logger.info("profile-relay is running");
  });
}

/** How often `watchLauncher` looks at the parent process. */
const LAUNCHER_POLL_MS = 1_000;

/**
 * Started by npm (`npx profile-relay run`, an npm script), the relay runs under `sh -c`, and npm passes the
 * signals it gets to that shell only: on SIGTERM the shell exits and the relay would be left running,
 * holding its ports. So when npm started it (npm sets `npm_lifecycle_event`), the relay stops as it does on
 * SIGTERM once its parent is gone. Otherwise (a service manager, a container, `nohup`) the parent does not
 * matter.
 */
function watchLauncher(agent: Relay, stop: () => void): void {
  if (process.env["npm_lifecycle_event"] === undefined) return;
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    agent.logger.warn(
      { parent_pid: parent },
      "the process npm started profile-relay under is gone (npm passes signals to it only); shutting down",
    );
    stop();
  }, LAUNCHER_POLL_MS);
  timer.unref();
}

/**
 * Everything is stopped: if a handle some library left open would keep the process alive, exit anyway
 * shortly after (the timer itself does not keep the process alive).
 */
function exitSoon(code: number): void {
  setTimeout(() => process.exit(code), 2_000).unref();
}
