/**
 * The bench's child processes (backends, relays, nginx, wrk): each runs in its own process group so it can be
 * stopped with everything it started, and every one still running is killed when the bench exits, fails or
 * is interrupted (Ctrl-C), so no server outlives the run.
 */
import { type ChildProcess, type SpawnOptions, spawn } from "node:child_process";

const running = new Set<ChildProcess>();
/** Every child ever started: a group may outlive its leader. */
const started = new Set<ChildProcess>();
let hooked = false;

/** Signals the child's whole process group (members may outlive the leader, as nginx workers do). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is gone
  }
}

/** Kills every child still running (synchronous: safe in an `exit` handler). */
export function killAll(): void {
  for (const child of running) killGroup(child, "SIGKILL");
  running.clear();
  for (const child of started) killGroup(child, "SIGKILL");
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.once("exit", killAll);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal} received, stopping every child process\n`);
      killAll();
      process.exit(130);
    });
  }
}

/** A running child with its output kept (the last lines only) for error messages. */
export class Child {
  readonly process: ChildProcess;
  readonly name: string;
  readonly #tail: string[] = [];
  readonly #errors: string[] = [];
  readonly #lineWaiters: { test: (line: string) => boolean; resolve: (line: string) => void }[] = [];
  readonly exited: Promise<number | null>;
  #stdout = "";

  private constructor(name: string, child: ChildProcess) {
    this.name = name;
    this.process = child;
    const onText = (text: string, isStdout: boolean) => {
      if (isStdout) this.#stdout += text;
      for (const line of text.split("\n")) {
        if (line === "") continue;
        this.#tail.push(line);
        if (this.#tail.length > 40) this.#tail.shift();
        if (!/ level=(debug|info|warn) /.test(line)) {
          // errors and crash output (stack traces) are kept apart, so log noise does not push them out
          this.#errors.push(line);
          if (this.#errors.length > 20) this.#errors.shift();
        }
        for (const w of this.#lineWaiters.splice(0)) {
          if (w.test(line)) w.resolve(line);
          else this.#lineWaiters.push(w);
        }
      }
    };
    child.stdout?.setEncoding("utf8").on("data", (t: string) => onText(t, true));
    child.stderr?.setEncoding("utf8").on("data", (t: string) => onText(t, false));
    this.exited = new Promise((resolve) => {
      child.once("exit", (code) => {
        running.delete(child);
        resolve(code);
      });
      child.once("error", (err) => {
        running.delete(child);
        this.#tail.push(String(err));
        resolve(null);
      });
    });
  }

  /** Starts `command` in its own process group; it is killed when the bench exits. */
  static start(name: string, command: string, args: readonly string[], options: SpawnOptions = {}): Child {
    hookExit();
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...options, detached: true });
    running.add(child);
    started.add(child);
    return new Child(name, child);
  }

  get pid(): number {
    return this.process.pid ?? -1;
  }

  /** Everything written to stdout so far. */
  get stdout(): string {
    return this.#stdout;
  }

  /** The last lines of output, for error messages. */
  tail(): string {
    return this.#tail.join("\n");
  }

  /** The last lines that are not routine logs (errors, crash output); the plain tail when there are none. */
  errorTail(): string {
    return this.#errors.length > 0 ? this.#errors.join("\n") : this.tail();
  }

  /** Resolves with the first output line (from now on) that passes `test`; rejects on exit or timeout. */
  waitForLine(test: (line: string) => boolean, timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`${this.name}: not ready within ${timeoutMs} ms\n${this.tail()}`));
      }, timeoutMs);
      this.#lineWaiters.push({
        test,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
      void this.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited (code ${code})\n${this.tail()}`));
      });
    });
  }

  /** Asks the process group to stop with `signal`, then kills it if it is still there after `graceMs`. */
  async stop(signal: NodeJS.Signals = "SIGTERM", graceMs = 5000): Promise<void> {
    killGroup(this.process, signal);
    const timer = setTimeout(() => killGroup(this.process, "SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
    // the leader may exit before the rest of its group (nginx workers): make sure nothing is left
    killGroup(this.process, "SIGKILL");
    started.delete(this.process);
  }
}

/** A server the bench started in front of the backend (the relay, a reference): where it listens, how to stop it. */
export interface RunningServer {
  readonly url: string;
  readonly child: Child;
  stop(): Promise<void>;
}

/** Polls `url` until it answers 200 (for servers that print nothing when they are ready, as nginx and Go). */
export async function waitUntilServing(url: string, child: Child, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void child.exited.then(() => {
    exited = true;
  });
  for (;;) {
    if (exited) throw new Error(`${child.name} exited during start-up:\n${child.tail()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${child.name} did not answer ${url} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
