/**
 * The V8 heap settings `profile-relay run` starts with. Node 24's V8 lets the young generation grow to 2 × 64
 * MiB under a busy load, whatever the relay keeps alive; `--max-semi-space-size=16` caps it at 2 × 16 MiB,
 * which takes ~90 MiB off the relay's peak RSS at a cost in CPU within the bench's noise (docs/performance.md,
 * "Memory and connections"). V8 reads the setting only when the heap is set up, so `run` re-executes itself
 * with it (`process.execve`: the same process id, standard streams and environment), unless the flag was given
 * already, on the command line or in `NODE_OPTIONS`, or `PROFILE_RELAY_NODE_DEFAULTS=0` asks to leave Node's
 * defaults alone. Worker processes of `run --workers` inherit the flag with the primary's `execArgv`.
 */

const FLAG = "--max-semi-space-size";
/** MiB per semi-space. */
const SEMI_SPACE_MIB = 16;

/** The command line to re-execute with, or undefined when this process should run as it is. */
export function heapSettingsCommand(
  execPath: string,
  execArgv: readonly string[],
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): string[] | undefined {
  if (env.PROFILE_RELAY_NODE_DEFAULTS === "0") return undefined;
  const given = [...execArgv, ...(env.NODE_OPTIONS ?? "").split(/\s+/)];
  if (given.some((a) => a === FLAG || a.startsWith(`${FLAG}=`) || a.startsWith("--max_semi_space_size"))) {
    return undefined;
  }
  return [execPath, `${FLAG}=${SEMI_SPACE_MIB}`, ...execArgv, ...argv.slice(1)];
}

/** Re-executes this process with the heap settings when it should (a no-op where `process.execve` is missing). */
export function applyHeapSettings(): void {
  if (typeof process.execve !== "function" || process.platform === "win32") return;
  const command = heapSettingsCommand(process.execPath, process.execArgv, process.argv, process.env);
  if (command === undefined) return;
  process.execve(command[0]!, command, process.env as Record<string, string>);
}
