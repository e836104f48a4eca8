/**
 * How many workers `run --workers=auto` starts: the CPUs this process may use, as Go (1.25 and later) sizes
 * GOMAXPROCS (`runtime/cgroup_linux.go`, `defaultGOMAXPROCS`): the CPUs of the affinity mask
 * (`os.availableParallelism()`), lowered to the CPU bandwidth limit of the cgroup that holds the process
 * (cgroup v2 `cpu.max`, v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`), a fractional limit rounded up. As Go
 * does, only the leaf cgroup is read (container runtimes hide the parents anyway). Unlike Go there is no floor
 * of 2: Go keeps 2 threads for its runtime's own work, while a second worker process on one CPU would only
 * add memory; 1 is today's single process.
 *
 * Pure over a file reader, so tests give it fake `/proc` and cgroup files.
 */

/** What `autoWorkerCount` reads. */
export interface CpuSources {
  /** `os.availableParallelism()`: the CPUs of the affinity mask. */
  readonly availableParallelism: number;
  /** A file's text, or `undefined` when it cannot be read. */
  readFile(path: string): string | undefined;
}

/** The worker count for `--workers=auto`: at least 1. */
export function autoWorkerCount(sources: CpuSources): number {
  const cpus = Math.max(1, Math.floor(sources.availableParallelism));
  const limit = cgroupCpuLimit(sources.readFile);
  if (limit === undefined) return cpus;
  return Math.max(1, Math.min(cpus, Math.ceil(limit)));
}

/**
 * The CPU bandwidth limit (quota / period, in CPUs) of the process's cgroup; `undefined` when there is none
 * or it cannot be read. A v1 `cpu` controller takes precedence over v2 (in a hybrid layout the CPU controller
 * lives in v1).
 */
export function cgroupCpuLimit(readFile: (path: string) => string | undefined): number | undefined {
  const membership = readFile("/proc/self/cgroup");
  if (membership === undefined) return undefined;
  const mounts = parseMountInfo(readFile("/proc/self/mountinfo") ?? "");
  let v2Path: string | undefined;
  for (const line of membership.split("\n")) {
    const parts = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (parts === null) continue;
    const [, id, controllers, path] = parts as unknown as [string, string, string, string];
    if (id === "0" && controllers === "") {
      v2Path = path;
      continue;
    }
    if (!controllers.split(",").includes("cpu")) continue;
    const mount = mounts.find((m) => m.fsType === "cgroup" && m.superOptions.split(",").includes("cpu"));
    if (mount === undefined) return undefined;
    const dir = cgroupDir(mount, path);
    const quota = readNumber(readFile(`${dir}/cpu.cfs_quota_us`));
    const period = readNumber(readFile(`${dir}/cpu.cfs_period_us`));
    if (quota === undefined || period === undefined || quota <= 0 || period <= 0) return undefined;
    return quota / period;
  }
  if (v2Path === undefined) return undefined;
  const mount = mounts.find((m) => m.fsType === "cgroup2");
  if (mount === undefined) return undefined;
  const max = readFile(`${cgroupDir(mount, v2Path)}/cpu.max`)
    ?.trim()
    .split(/\s+/);
  if (max === undefined || max.length !== 2 || max[0] === "max") return undefined;
  const quota = readNumber(max[0]);
  const period = readNumber(max[1]);
  if (quota === undefined || period === undefined || quota <= 0 || period <= 0) return undefined;
  return quota / period;
}

interface Mount {
  /** The path of the mounted filesystem's root within it (`/` unless a bind mount or a cgroup namespace). */
  readonly root: string;
  readonly mountPoint: string;
  readonly fsType: string;
  readonly superOptions: string;
}

/** `/proc/self/mountinfo`: `id parent major:minor root mount-point options [optional...] - type source super`. */
function parseMountInfo(text: string): Mount[] {
  const mounts: Mount[] = [];
  for (const line of text.split("\n")) {
    const fields = line.trim().split(" ");
    const dash = fields.indexOf("-");
    if (dash < 6 || fields.length < dash + 4) continue;
    mounts.push({
      root: unescapeMount(fields[3]!),
      mountPoint: unescapeMount(fields[4]!),
      fsType: fields[dash + 1]!,
      superOptions: fields[dash + 3]!,
    });
  }
  return mounts;
}

/** mountinfo escapes space, tab, newline and backslash as octal (`\040`). */
function unescapeMount(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/** The folder of cgroup `path` under `mount`: the path is relative to the mount's root. */
function cgroupDir(mount: Mount, path: string): string {
  let relative = path;
  if (mount.root !== "/" && (path === mount.root || path.startsWith(`${mount.root}/`))) {
    relative = path.slice(mount.root.length);
  }
  const joined = `${mount.mountPoint}/${relative}`.replace(/\/+/g, "/");
  return joined.length > 1 && joined.endsWith("/") ? joined.slice(0, -1) : joined;
}

function readNumber(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  if (!/^-?\d+$/.test(trimmed)) return undefined;
  return Number(trimmed);
}
