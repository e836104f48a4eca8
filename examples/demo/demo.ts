/**
 * `npm run demo`: shows profile-relay doing its job end to end. It starts the example service (service.ts),
 * which the real Pyroscope Node SDK profiles and uploads from, sends its profiles to a running relay
 * (`npm start` in another terminal), waits until the relay has captured them, and prints
 * `profile-relay ls` of the capture folder. It stops by itself: when the profiles are in, or after
 * `--timeout` with an explanation and exit code 1.
 *
 * With `--standalone` it starts a relay of its own first (standalone-relay.ts), so nothing else needs to run.
 */
import { type ChildProcess, fork } from "node:child_process";
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  boolFlag,
  FlagError,
  type FlagSpec,
  flagsHelp,
  parseFlags,
  stringFlag,
} from "../../src/cli/flags.ts";
import { processIO } from "../../src/cli/io.ts";
import { lsCommand } from "../../src/cli/ls.ts";
import { listCaptures } from "../../src/components/pyroscope/capture/catalog.ts";
import { parseDuration } from "../../src/syntax/duration.ts";
import { type StandaloneRelay, startStandaloneRelay } from "./standalone-relay.ts";

const SERVICE = fileURLToPath(new URL("./service.ts", import.meta.url));
const DEFAULT_CAPTURE_DIR = "data-alloy/pyroscope.capture.local";
/** The profile types the Node SDK uploads: wall time (with CPU) and heap. */
const EXPECTED_TYPES = ["wall", "memory"];

const FLAGS: readonly FlagSpec[] = [
  {
    name: "url",
    kind: "string",
    default: process.env["PYROSCOPE_SERVER_ADDRESS"] ?? "http://127.0.0.1:4040",
    help: "where the relay receives profiles (env PYROSCOPE_SERVER_ADDRESS)",
  },
  {
    name: "dir",
    kind: "string",
    default: DEFAULT_CAPTURE_DIR,
    help: "the relay's pyroscope.capture folder, to watch and list",
  },
  {
    name: "standalone",
    kind: "bool",
    default: false,
    help: "start a relay of the demo's own (temporary storage) instead of using a running one",
  },
  { name: "app-name", kind: "string", default: "demo-service", help: "service_name of the demo's profiles" },
  { name: "upload-interval", kind: "string", default: "10s", help: "how often the SDK uploads profiles" },
  { name: "timeout", kind: "string", default: "60s", help: "how long to wait for the profiles to arrive" },
  { name: "help", short: "h", kind: "bool", default: false, help: "help for the demo" },
];

const HELP = `The demo runs a small service profiled by the Pyroscope Node SDK against profile-relay, waits
until the relay has captured its profiles, and lists them.

Usage:
  npm start                          # in one terminal: the relay
  npm run demo [-- flags]            # in another

  npm run demo -- --standalone       # or: the demo starts a relay itself

Flags:
${flagsHelp(FLAGS)}
`;

interface Settings {
  readonly url: string;
  readonly dir: string;
  readonly standalone: boolean;
  readonly appName: string;
  readonly uploadIntervalMs: number;
  readonly timeoutMs: number;
}

/** Runs the demo; resolves to the exit code. `out` gets everything it prints. */
export async function runDemo(argv: readonly string[], out: (text: string) => void): Promise<number> {
  let settings: Settings | "help";
  try {
    settings = parseSettings(argv);
  } catch (err) {
    if (!(err instanceof FlagError)) throw err;
    out(`Error: ${err.message}\nRun 'npm run demo -- --help' for usage.\n`);
    return 1;
  }
  if (settings === "help") {
    out(HELP);
    return 0;
  }

  let relay: StandaloneRelay | undefined;
  let service: ChildProcess | undefined;
  const cleanup = async (): Promise<void> => {
    if (service !== undefined) await stopService(service);
    service = undefined;
    await relay?.stop();
    relay = undefined;
  };
  const onSignal = (): void => {
    void cleanup().then(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    let { url, dir } = settings;
    if (settings.standalone) {
      out("Starting a standalone profile-relay (examples/default.alloy, temporary storage)...\n");
      relay = await startStandaloneRelay();
      url = relay.url;
      dir = relay.captureDir;
    } else {
      const problem = await probe(url);
      if (problem !== undefined) {
        out(
          `No profile-relay is listening on ${url} (${problem}).\n` +
            "Start it with `npm start` in another terminal, then run `npm run demo` again;\n" +
            "or run `npm run demo -- --standalone` to let the demo start one itself.\n",
        );
        return 1;
      }
    }
    out(`profile-relay is listening on ${url}; captured profiles go to ${dir}\n`);

    const startedAt = Date.now();
    service = startService(settings, url);
    const serviceExit = exitOf(service);
    out(
      `Started examples/demo/service.ts as "${settings.appName}"; waiting up to ${settings.timeoutMs / 1000}s for its profiles...\n`,
    );
    const arrived = await waitForProfiles(dir, settings, startedAt, serviceExit);
    if (arrived !== "ok") {
      out(
        arrived === "service exited"
          ? "The demo service stopped before its profiles arrived (see its output above).\n"
          : `No profiles of "${settings.appName}" arrived in ${dir} within ${settings.timeoutMs / 1000}s.\n` +
              `Is the relay on ${url} running examples/default.alloy (\`npm start\`)? If its pyroscope.capture\n` +
              "folder is elsewhere, pass it with --dir.\n",
      );
      return 1;
    }
    // Stopping the service makes the SDK upload its last profiles, which the listing then includes.
    await stopService(service);
    service = undefined;

    out(`\nProfiles captured. $ profile-relay ls ${dir}\n\n`);
    const code = await lsCommand([dir], { ...processIO(), stdout: out, stderr: out });
    if (code !== 0) return code;
    out(
      settings.standalone
        ? "\nThe standalone relay's temporary files are removed now. Run `npm start` for a relay that keeps them.\n"
        : "\nNext:\n" +
            `  npx profile-relay ls ${dir}\n` +
            "      lists what the relay captured so far\n" +
            `  npx profile-relay replay ${dir} --to http://pyroscope:4040 --rewrite-time\n` +
            "      sends the captured profiles to a Pyroscope server\n",
    );
    return 0;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await cleanup();
  }
}

function parseSettings(argv: readonly string[]): Settings | "help" {
  const flags = parseFlags(argv, FLAGS);
  if (boolFlag(flags, "help")) return "help";
  if (flags.positional.length > 0) throw new FlagError(`unexpected argument "${flags.positional[0]}"`);
  const duration = (name: string): number => {
    const value = stringFlag(flags, name);
    try {
      const ms = parseDuration(value);
      if (ms > 0) return ms;
    } catch {
      // reported below
    }
    throw new FlagError(
      `invalid argument "${value}" for "--${name}" flag: want a positive duration like 10s`,
    );
  };
  return {
    url: stringFlag(flags, "url").replace(/\/+$/, ""),
    dir: stringFlag(flags, "dir"),
    standalone: boolFlag(flags, "standalone"),
    appName: stringFlag(flags, "app-name"),
    uploadIntervalMs: duration("upload-interval"),
    timeoutMs: duration("timeout"),
  };
}

/** Why nothing answers HTTP at `url`, or undefined when something does (any status will do). */
async function probe(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3_000) });
    await res.body?.cancel();
    return undefined;
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
    const code = (cause as { code?: unknown }).code;
    if (code === "ECONNREFUSED") return "connection refused";
    return cause instanceof Error ? cause.message : String(cause);
  }
}

/** Starts the service with the SDK's environment variables and an IPC channel that stops it when closed. */
function startService(settings: Settings, url: string): ChildProcess {
  return fork(SERVICE, [], {
    execPath: process.execPath,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    env: {
      ...process.env,
      PYROSCOPE_SERVER_ADDRESS: url,
      PYROSCOPE_APPLICATION_NAME: settings.appName,
      PYROSCOPE_FLUSH_INTERVAL_MS: String(settings.uploadIntervalMs),
    },
  });
}

function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** Closes the service's IPC channel (it flushes and exits), and kills it if it is not gone within 15 s. */
async function stopService(child: ChildProcess): Promise<void> {
  const exited = exitOf(child);
  if (child.connected) child.disconnect();
  else child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(timer);
}

/** Polls the capture folder until this run's wall and heap profiles are there, the service exits, or timeout. */
async function waitForProfiles(
  dir: string,
  settings: Settings,
  since: number,
  serviceExit: Promise<void>,
): Promise<"ok" | "timeout" | "service exited"> {
  let exited = false;
  void serviceExit.then(() => {
    exited = true;
  });
  const deadline = Date.now() + settings.timeoutMs;
  for (;;) {
    const catalog = await listCaptures(dir).catch(() => ({ entries: [] }));
    const types = new Set(
      catalog.entries
        .filter((e) => e.record.service_name === settings.appName && e.time >= since)
        .map((e) => e.record.profile_type),
    );
    if (EXPECTED_TYPES.every((t) => types.has(t))) return "ok";
    if (exited) return "service exited";
    if (Date.now() >= deadline) return "timeout";
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Whether this file is the program being run (not imported by a test). */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  runDemo(process.argv.slice(2), (text) => process.stdout.write(text)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
