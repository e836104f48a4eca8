/**
 * CPU time and memory of the processes under test, read from `/proc` (Linux), so the product needs no test
 * hooks. A target may be several processes (nginx's master and workers): figures are summed over the process
 * and its descendants. Off Linux every reading is `undefined` and the report shows "n/a".
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";

/** Clock ticks per second of `/proc/<pid>/stat` times (`getconf CLK_TCK`; 100 on every Linux we target). */
const CLK_TCK = 100;

/** One `/proc/<pid>/stat` line, the fields we use. */
export interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  /** User plus system CPU seconds of the process itself. */
  readonly cpuSeconds: number;
}

/** Parses a `/proc/<pid>/stat` line; the command name may hold spaces and parentheses. */
export function parseProcStat(line: string): ProcStat | undefined {
  const close = line.lastIndexOf(")");
  if (close < 0) return undefined;
  const pid = Number.parseInt(line, 10);
  // fields after the name: 3 state, 4 ppid, ... 14 utime, 15 stime (1-based, as in proc(5))
  const rest = line
    .slice(close + 2)
    .trim()
    .split(" ");
  const ppid = Number(rest[1]);
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(pid) || !Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return { pid, ppid, cpuSeconds: (utime + stime) / CLK_TCK };
}

function readStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return undefined;
  }
}

/** The process and all its descendants that are alive now. */
export function processTree(root: number): number[] {
  let all: ProcStat[];
  try {
    all = readdirSync("/proc")
      .filter((name) => /^\d+$/.test(name))
      .map((name) => readStat(Number(name)))
      .filter((s): s is ProcStat => s !== undefined);
  } catch {
    return [root];
  }
  const children = new Map<number, number[]>();
  for (const s of all) {
    const list = children.get(s.ppid) ?? [];
    list.push(s.pid);
    children.set(s.ppid, list);
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length > 0) {
    const pid = todo.pop()!;
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** CPU seconds (user + system) used so far by the processes, or undefined when `/proc` cannot tell. */
export function cpuSeconds(pids: readonly number[]): number | undefined {
  let total = 0;
  let seen = false;
  for (const pid of pids) {
    const s = readStat(pid);
    if (s === undefined) continue;
    seen = true;
    total += s.cpuSeconds;
  }
  return seen ? total : undefined;
}

/** A `kB` field of `/proc/<pid>/status` (`VmRSS`, `VmHWM`) in bytes. */
export function statusField(status: string, field: string): number | undefined {
  const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, "m").exec(status);
  return m?.[1] === undefined ? undefined : Number(m[1]) * 1024;
}

function readStatus(pid: number, field: "VmRSS" | "VmHWM"): number | undefined {
  try {
    return statusField(readFileSync(`/proc/${pid}/status`, "utf8"), field);
  } catch {
    return undefined;
  }
}

/** Sum over the processes of a memory figure; undefined when none could be read. */
function sumStatus(pids: readonly number[], field: "VmRSS" | "VmHWM"): number | undefined {
  let total = 0;
  let seen = false;
  for (const pid of pids) {
    const v = readStatus(pid, field);
    if (v === undefined) continue;
    seen = true;
    total += v;
  }
  return seen ? total : undefined;
}

/** The summed RSS of the processes now, in bytes, or undefined off Linux. */
export function rssOf(pids: readonly number[]): number | undefined {
  return sumStatus(pids, "VmRSS");
}

/**
 * Watches the memory of a set of processes during one measurement: resets the kernel's peak-RSS mark
 * (`clear_refs` = 5) where allowed, and also samples RSS every `intervalMs`, so the peak is right either way.
 */
export class MemoryWatch {
  readonly #pids: readonly number[];
  readonly #timer: NodeJS.Timeout;
  #sampledPeak = 0;
  readonly #hwmReset: boolean;

  constructor(pids: readonly number[], intervalMs = 50) {
    this.#pids = pids;
    let reset = pids.length > 0;
    for (const pid of pids) {
      try {
        writeFileSync(`/proc/${pid}/clear_refs`, "5");
      } catch {
        reset = false;
      }
    }
    this.#hwmReset = reset;
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), intervalMs);
  }

  #sample(): void {
    const rss = sumStatus(this.#pids, "VmRSS");
    if (rss !== undefined && rss > this.#sampledPeak) this.#sampledPeak = rss;
  }

  /** The RSS of the processes now, in bytes. */
  current(): number | undefined {
    return sumStatus(this.#pids, "VmRSS");
  }

  /** Stops sampling; the peak RSS in bytes seen since the watch began, or undefined off Linux. */
  stop(): number | undefined {
    clearInterval(this.#timer);
    this.#sample();
    const hwm = this.#hwmReset ? sumStatus(this.#pids, "VmHWM") : undefined;
    const peak = Math.max(hwm ?? 0, this.#sampledPeak);
    return peak > 0 ? peak : undefined;
  }
}
