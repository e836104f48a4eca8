/**
 * Finding the external tools the bench uses (wrk, nginx, Go) and installing the missing ones with Debian's apt when
 * the bench may (root, apt present). Installs are announced, never silent.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";

/** Where a command lives on PATH (plus the sbin folders, where Debian puts nginx), or undefined. */
export function which(command: string): string | undefined {
  const dirs = [...(process.env["PATH"] ?? "").split(delimiter), "/usr/sbin", "/usr/local/sbin", "/sbin"];
  for (const dir of dirs) {
    if (dir === "") continue;
    const candidate = join(dir, command);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

function canApt(): boolean {
  return process.platform === "linux" && process.getuid?.() === 0 && which("apt-get") !== undefined;
}

/**
 * Makes sure the Debian packages providing `commands` are installed: returns the path of each command that
 * is (or now is) available. Installs with `apt-get` when running as root; runs `apt-get update` first when
 * the package cannot be found. Never throws: a tool that cannot be had is simply missing from the result.
 */
export function ensureTools(
  wanted: readonly { command: string; aptPackage: string }[],
  log: (line: string) => void,
): Map<string, string> {
  const found = new Map<string, string>();
  const missing: { command: string; aptPackage: string }[] = [];
  for (const w of wanted) {
    const path = which(w.command);
    if (path !== undefined) found.set(w.command, path);
    else missing.push(w);
  }
  if (missing.length === 0) return found;
  const packages = missing.map((m) => m.aptPackage);
  if (!canApt()) {
    log(`missing ${packages.join(", ")}; cannot install it here (needs root and apt-get)`);
    return found;
  }
  log(`installing ${packages.join(" ")} with apt-get (one time)`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  // another apt-get (a second bench, a system update) holds the dpkg lock for a while: wait for it
  const lock = ["-o", "DPkg::Lock::Timeout=300"];
  const install = () =>
    execFileSync("apt-get", [...lock, "install", "-y", "-qq", "--no-install-recommends", ...packages], {
      env,
      stdio: ["ignore", "ignore", "pipe"],
      timeout: 600_000,
    });
  try {
    try {
      install();
    } catch {
      execFileSync("apt-get", [...lock, "update", "-qq"], {
        env,
        stdio: ["ignore", "ignore", "pipe"],
        timeout: 300_000,
      });
      install();
    }
  } catch (err) {
    log(`apt-get failed: ${(err as Error).message.split("\n")[0]}`);
  }
  for (const m of missing) {
    const path = which(m.command);
    if (path !== undefined) found.set(m.command, path);
  }
  return found;
}

/** The first line a command prints for its version (stdout or stderr: nginx uses stderr), or "unknown". */
export function versionOf(command: string, args: readonly string[]): string {
  const r = spawnSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 5000 });
  const text = `${r.stdout ?? ""}\n${r.stderr ?? ""}`;
  return (
    text
      .split("\n")
      .find((l) => l.trim() !== "")
      ?.trim() ?? "unknown"
  );
}
