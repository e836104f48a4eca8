/**
 * The worker processes of `run --workers=N` (node:cluster): forks them, asks them questions over IPC, and
 * replaces one that dies, after a backoff (1 s, doubling up to 30 s for a worker that keeps dying; back to
 * 1 s once a worker has run for a minute), logging and counting each replacement. Listening sockets are
 * node:cluster's shared handles: the primary holds each port and hands connections to the workers in turn,
 * so a port stays open while a worker is replaced, and `listen_port = 0` gives every worker the same port.
 */
import cluster, { type Worker } from "node:cluster";
import { fileURLToPath } from "node:url";
import type { Logger } from "pino";
import { Counter, Gauge, type Registry } from "prom-client";
import type { ProfileEvent } from "../runtime/livedebugging/event.ts";
import {
  type FromWorker,
  isFromWorker,
  type Request,
  type ToWorker,
  WORKER_SETTINGS_ENV,
  type WorkerSettings,
} from "./protocol.ts";

/** The first wait before a dead worker is replaced. */
export const FIRST_RESTART_DELAY_MS = 1_000;
/** The longest wait before a dead worker is replaced. */
export const MAX_RESTART_DELAY_MS = 30_000;
/** A worker that ran this long before dying is replaced after the first delay again. */
export const STABLE_RUN_MS = 60_000;

/** What the pool needs. */
export interface PoolOptions {
  readonly count: number;
  /** The settings every worker gets (each with its own `index`). */
  readonly settings: Omit<WorkerSettings, "index" | "count">;
  readonly logger: Logger;
  /** Where the pool's metrics go. */
  readonly registry: Registry;
  /** A worker is up (its agent created, no config yet): at start and after each replacement. */
  readonly onUp: (index: number) => void;
  /** A worker forwarded a live debugging event. */
  readonly onLiveEvent: (componentId: string, event: ProfileEvent) => void;
}

interface Slot {
  readonly index: number;
  worker: Worker | undefined;
  up: boolean;
  startedAt: number;
  nextDelayMs: number;
  timer: NodeJS.Timeout | undefined;
}

interface Pending {
  readonly index: number;
  resolve(value: unknown): void;
  reject(err: Error): void;
}

/** The worker processes. */
export class WorkerPool {
  readonly #options: PoolOptions;
  readonly #slots: Slot[];
  readonly #pending = new Map<number, Pending>();
  readonly #restarts: Counter;
  readonly #exits = new Set<() => void>();
  #nextId = 1;
  #stopping = false;

  constructor(options: PoolOptions) {
    this.#options = options;
    this.#slots = Array.from({ length: options.count }, (_, index) => ({
      index,
      worker: undefined,
      up: false,
      startedAt: 0,
      nextDelayMs: FIRST_RESTART_DELAY_MS,
      timer: undefined,
    }));
    const slots = this.#slots;
    new Gauge({
      name: "profile_relay_workers",
      help: "Worker processes running (run --workers); fewer than configured while one is being replaced.",
      registers: [options.registry],
      collect() {
        this.set(slots.filter((s) => s.up).length);
      },
    });
    this.#restarts = new Counter({
      name: "profile_relay_worker_restarts_total",
      help: "Worker processes that died and were replaced.",
      registers: [options.registry],
    });
    this.#restarts.inc(0);
    const ext = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
    cluster.setupPrimary({
      exec: fileURLToPath(new URL(`./worker-main${ext}`, import.meta.url)),
      args: [],
      serialization: "advanced",
    });
  }

  /** Forks every worker; resolves once all are up, rejects if one exits first. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      let waiting = this.#slots.length;
      const starting = (index: number) => {
        const worker = this.#fork(index);
        const onMessage = (message: unknown) => {
          if (!isFromWorker(message) || message.type !== "up") return;
          worker.off("exit", onEarlyExit);
          if (--waiting === 0) resolve();
        };
        const onEarlyExit = (code: number | null, signal: string | null) => {
          reject(new Error(`worker ${index} exited while starting (${exitText(code, signal)})`));
        };
        worker.on("message", onMessage);
        worker.once("exit", onEarlyExit);
      };
      for (const slot of this.#slots) starting(slot.index);
    });
  }

  /** The indexes of the workers up now, lowest first. */
  upIndexes(): number[] {
    return this.#slots.filter((s) => s.up).map((s) => s.index);
  }

  /**
   * Asks worker `index`; rejects when it is not up, exits before answering, fails, or (with `timeoutMs`)
   * takes longer.
   */
  ask<T>(index: number, request: Request, timeoutMs?: number): Promise<T> {
    const slot = this.#slots[index];
    const worker = slot?.worker;
    if (slot === undefined || worker === undefined || !slot.up) {
      return Promise.reject(new Error(`worker ${index} is not running`));
    }
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        if (timer !== undefined) clearTimeout(timer);
        this.#pending.delete(id);
      };
      this.#pending.set(id, {
        index,
        resolve: (value) => {
          done();
          resolve(value as T);
        },
        reject: (err) => {
          done();
          reject(err);
        },
      });
      if (timeoutMs !== undefined) {
        timer = setTimeout(
          () =>
            this.#pending.get(id)?.reject(new Error(`worker ${index} did not answer within ${timeoutMs}ms`)),
          timeoutMs,
        );
      }
      this.#send(worker, { type: "request", id, request });
    });
  }

  /** Sends `message` to every worker up. */
  broadcast(message: ToWorker): void {
    for (const slot of this.#slots) {
      if (slot.up && slot.worker !== undefined) this.#send(slot.worker, message);
    }
  }

  /** Sends `message` to worker `index` if it is up. */
  tell(index: number, message: ToWorker): void {
    const slot = this.#slots[index];
    if (slot?.up === true && slot.worker !== undefined) this.#send(slot.worker, message);
  }

  /** Stops worker `index` gracefully; it is then replaced as if it had died (with the backoff). */
  recycle(index: number): void {
    const worker = this.#slots[index]?.worker;
    if (worker !== undefined) this.#send(worker, { type: "shutdown" });
  }

  /**
   * Stops every worker (each stops its components as one process does) and resolves once all have exited;
   * no worker is replaced from then on.
   */
  stop(): Promise<void> {
    this.#stopping = true;
    for (const slot of this.#slots) {
      if (slot.timer !== undefined) clearTimeout(slot.timer);
      slot.timer = undefined;
    }
    const alive = this.#slots.flatMap((s) => (s.worker === undefined ? [] : [s.worker]));
    return new Promise((resolve) => {
      const check = () => {
        if (this.#slots.every((s) => s.worker === undefined)) {
          this.#exits.delete(check);
          resolve();
        }
      };
      this.#exits.add(check);
      for (const worker of alive) this.#send(worker, { type: "shutdown" });
      check();
    });
  }

  /** Kills every worker at once (a second interrupt). */
  kill(): void {
    this.#stopping = true;
    for (const slot of this.#slots) {
      if (slot.timer !== undefined) clearTimeout(slot.timer);
      slot.worker?.process.kill("SIGKILL");
    }
  }

  #fork(index: number): Worker {
    const slot = this.#slots[index]!;
    const settings: WorkerSettings = { ...this.#options.settings, index, count: this.#slots.length };
    const worker = cluster.fork({ [WORKER_SETTINGS_ENV]: JSON.stringify(settings) });
    slot.worker = worker;
    slot.up = false;
    slot.startedAt = Date.now();
    this.#options.logger.info({ worker: index, pid: worker.process.pid }, "worker started");
    worker.on("message", (message: unknown) => this.#onMessage(slot, worker, message));
    worker.on("exit", (code: number | null, signal: string | null) =>
      this.#onExit(slot, worker, code, signal),
    );
    // an IPC error (the worker died while we wrote to it) is followed by its exit, handled there
    worker.on("error", () => {});
    return worker;
  }

  #onMessage(slot: Slot, worker: Worker, message: unknown): void {
    if (!isFromWorker(message) || slot.worker !== worker) return;
    const m: FromWorker = message;
    switch (m.type) {
      case "up":
        slot.up = true;
        this.#options.onUp(slot.index);
        return;
      case "reply": {
        const pending = this.#pending.get(m.id);
        if (pending === undefined) return;
        if (m.error !== undefined) pending.reject(new Error(m.error));
        else pending.resolve(m.value);
        return;
      }
      case "live":
        this.#options.onLiveEvent(m.componentId, m.event);
    }
  }

  #onExit(slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    slot.up = false;
    for (const [, pending] of [...this.#pending].filter(([, p]) => p.index === slot.index)) {
      pending.reject(new Error(`worker ${slot.index} exited (${exitText(code, signal)})`));
    }
    for (const check of [...this.#exits]) check();
    if (!this.#stopping) this.#scheduleRestart(slot, worker, code, signal);
  }

  #scheduleRestart(slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    const { delayMs: delay, nextDelayMs } = restartDelay(Date.now() - slot.startedAt, slot.nextDelayMs);
    slot.nextDelayMs = nextDelayMs;
    this.#restarts.inc();
    this.#options.logger.error(
      {
        worker: slot.index,
        pid: worker.process.pid,
        exit: exitText(code, signal),
        restart_in: `${delay / 1000}s`,
      },
      "worker exited; starting a new one",
    );
    slot.timer = setTimeout(() => {
      slot.timer = undefined;
      if (!this.#stopping) this.#fork(slot.index);
    }, delay);
  }

  #send(worker: Worker, message: ToWorker): void {
    // a worker going away fails the send (its "error" event is ignored); its exit rejects what waits on it
    if (worker.isConnected()) worker.send(message);
  }
}

/**
 * How long to wait before replacing a worker that ran `ranMs` and died, when the wait after its last death
 * would be `nextDelayMs`; and the wait after the next death.
 */
export function restartDelay(ranMs: number, nextDelayMs: number): { delayMs: number; nextDelayMs: number } {
  const delayMs = ranMs >= STABLE_RUN_MS ? FIRST_RESTART_DELAY_MS : nextDelayMs;
  return { delayMs, nextDelayMs: Math.min(delayMs * 2, MAX_RESTART_DELAY_MS) };
}

function exitText(code: number | null, signal: string | null): string {
  return signal !== null ? `signal ${signal}` : `code ${code ?? "unknown"}`;
}
