/**
 * The `constants` namespace: `hostname`, `os` and `arch` (with Go's names: `linux`, `darwin`, `windows`;
 * `amd64`, `arm64`) and `version`, which is `v` + this package's version (Alloy reports its own version).
 */
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import type { Value } from "../value.ts";

const GO_OS: Readonly<Record<string, string>> = { win32: "windows", sunos: "solaris" };

const GO_ARCH: Readonly<Record<string, string>> = {
  x64: "amd64",
  ia32: "386",
  mipsel: "mipsle",
  ppc64: process.platform === "aix" ? "ppc64" : "ppc64le",
};

/** Go's `runtime.GOOS` for this platform. */
export function goOS(platform: string = process.platform): string {
  return GO_OS[platform] ?? platform;
}

/** Go's `runtime.GOARCH` for this architecture. */
export function goArch(arch: string = process.arch): string {
  return GO_ARCH[arch] ?? arch;
}

/**
 * Alloy's `normalizeVersion`: trimmed, `v` + the semantic version when it parses (leniently: a leading `v`
 * and missing minor/patch are accepted), the text unchanged when it does not, and `v0.0.0` when empty.
 */
export function normalizeVersion(version: string): string {
  const v = version.trim();
  if (v === "") return "v0.0.0";
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?((?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)$/.exec(v);
  // A short version (`1.2`) cannot carry pre-release or build data.
  if (m === null || ((m[2] === undefined || m[3] === undefined) && m[4] !== "")) return v;
  const part = (s: string | undefined) => String(Number(s ?? "0"));
  return `v${part(m[1])}.${part(m[2])}.${part(m[3])}${m[4] ?? ""}`;
}

function packageVersion(): string {
  try {
    const pkg: unknown = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8"));
    const version = (pkg as { version?: unknown }).version;
    return typeof version === "string" ? version : "";
  } catch {
    return "";
  }
}

function safeHostname(): string {
  try {
    return hostname();
  } catch {
    return "";
  }
}

/** This build's version as `constants.version` and `alloy_build_info` report it (`v0.1.0`). */
export const VERSION = normalizeVersion(packageVersion());

/** The namespace object (an object of strings, as in Alloy). */
export const constantsNamespace: ReadonlyMap<string, Value> = new Map<string, Value>([
  ["hostname", safeHostname()],
  ["os", goOS()],
  ["arch", goArch()],
  ["version", VERSION],
]);
