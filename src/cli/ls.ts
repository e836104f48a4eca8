/**
 * `profile-relay ls [--json] DIR`: what a `pyroscope.capture` store holds, one row per service and profile
 * type: how many profiles, how many bytes on disk, and the first and last receive times (UTC). Safe to run
 * while a relay writes to DIR.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import {
  type Catalog,
  type CatalogEntry,
  codeOf,
  listCaptures,
} from "../components/pyroscope/capture/catalog.ts";
import { terminalCell, terminalText } from "../runtime/terminal-text.ts";
import { boolFlag, type FlagSpec, flagsHelp, parseCommandLine } from "./flags.ts";
import type { Command } from "./io.ts";

const FLAGS: readonly FlagSpec[] = [
  { name: "json", kind: "bool", default: false, help: "print JSON instead of a table" },
  { name: "help", short: "h", kind: "bool", default: false, help: "help for ls" },
];

const HELP = `The ls subcommand lists the profiles a pyroscope.capture component stored in DIR (its
path argument), grouped by service and profile type.

Usage:
  profile-relay ls [flags] DIR

Flags:
${flagsHelp(FLAGS)}
`;

/** One row of the listing. */
export interface LsGroup {
  readonly service: string;
  readonly profile_type: string;
  readonly count: number;
  readonly bytes: number;
  /** RFC 3339 UTC. */
  readonly first: string;
  readonly last: string;
}

/** Groups a catalog by service and profile type, sorted by both. */
export function groupCaptures(entries: readonly CatalogEntry[]): LsGroup[] {
  const groups = new Map<
    string,
    { service: string; type: string; count: number; bytes: number; first: number; last: number }
  >();
  for (const e of entries) {
    const key = `${e.record.service_name}\u0000${e.record.profile_type}`;
    const g = groups.get(key) ?? {
      service: e.record.service_name,
      type: e.record.profile_type,
      count: 0,
      bytes: 0,
      first: e.time,
      last: e.time,
    };
    g.count++;
    g.bytes += e.bytes;
    g.first = Math.min(g.first, e.time);
    g.last = Math.max(g.last, e.time);
    groups.set(key, g);
  }
  return [...groups.values()]
    .sort((a, b) => compare(a.service, b.service) || compare(a.type, b.type))
    .map((g) => ({
      service: g.service,
      profile_type: g.type,
      count: g.count,
      bytes: g.bytes,
      first: new Date(g.first).toISOString(),
      last: new Date(g.last).toISOString(),
    }));
}

export const lsCommand: Command = async (argv, io) => {
  const flags = parseCommandLine(
    argv,
    { command: "ls", flags: FLAGS, help: HELP, arity: { exactly: 1 } },
    io,
  );
  if (typeof flags === "number") return flags;
  const dir = flags.positional[0]!;
  let catalog: Catalog;
  try {
    catalog = await listCaptures(dir);
  } catch (err) {
    const reason =
      codeOf(err) === "ENOENT" ? "no such directory" : err instanceof Error ? err.message : String(err);
    io.stderr(terminalText(`Error: cannot list ${dir}: ${reason}\n`));
    return 1;
  }
  for (const p of catalog.problems)
    io.stderr(`${terminalCell(`warning: skipping ${p.file}: ${p.message}`)}\n`);
  const groups = groupCaptures(catalog.entries);
  const total = { count: catalog.entries.length, bytes: catalog.entries.reduce((s, e) => s + e.bytes, 0) };
  if (boolFlag(flags, "json")) {
    io.stdout(`${JSON.stringify({ dir, groups, total }, null, 2)}\n`);
    return 0;
  }
  if (groups.length === 0) {
    const inside = await storesInside(dir);
    const hint = inside.length === 0 ? "" : ` (captures are in ${inside.join(", ")})`;
    io.stdout(`${terminalCell(`No captured profiles in ${dir}${hint}`)}\n`);
    return 0;
  }
  io.stdout(renderTable(groups));
  io.stdout(
    `\n${total.count} ${total.count === 1 ? "profile" : "profiles"}, ${humanBytes(total.bytes)} in ${terminalCell(dir)}\n`,
  );
  return 0;
};

/**
 * Sub-folders of `dir` that hold captures: people often pass `--storage.path` itself, where each capture
 * component has its own folder (`pyroscope.capture.<label>`).
 */
async function storesInside(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (!e.isDirectory()) continue;
    const sub = join(dir, e.name);
    const catalog = await listCaptures(sub).catch(() => undefined);
    if (catalog !== undefined && catalog.entries.length > 0) found.push(sub);
  }
  return found;
}

/** The listing as an aligned text table; control characters in names are shown escaped (`\x1b`). */
export function renderTable(groups: readonly LsGroup[]): string {
  const header = ["SERVICE", "PROFILE TYPE", "COUNT", "BYTES", "FIRST", "LAST"];
  const rows = groups.map((g) => [
    terminalCell(g.service),
    terminalCell(g.profile_type),
    String(g.count),
    humanBytes(g.bytes),
    shortTime(g.first),
    shortTime(g.last),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const rightAligned = new Set([2, 3]);
  const line = (cells: readonly string[]): string =>
    `${cells
      .map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd()}\n`;
  return [header, ...rows].map(line).join("");
}

/** `1536` → `1.5 KiB`. */
export function humanBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** RFC 3339 in whole seconds. */
function shortTime(iso: string): string {
  return `${iso.slice(0, 19)}Z`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
