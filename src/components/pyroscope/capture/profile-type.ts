/**
 * The profile type a captured profile will have in Pyroscope (`process_cpu`, `wall`, `memory`, ...), worked out
 * the way Pyroscope's `/ingest` handler does (protocol notes §2.5), so `ls` can say what was captured without a
 * Pyroscope server. It is a label for people, not a contract: anything unrecognised is reported as it is.
 */
import { pprofSampleTypes } from "./pprof-wire.ts";

/** Pyroscope's built-in display names of pprof sample types (`pkg/og/convert/pprof`). */
const DEFAULT_DISPLAY_NAMES: Readonly<Record<string, string>> = {
  samples: "cpu",
  goroutine: "goroutines",
  contentions: "mutex_count",
  delay: "mutex_duration",
};

/**
 * The metric name Pyroscope derives from pprof sample type names: `wall` if any is `wall`; else the first whose
 * display name mentions cpu, allocations/in-use memory, mutex, block or goroutines; else the last name.
 * `displayNames` are the client's `sample_type_config` display names, which win over the built-in ones.
 */
export function pprofProfileType(
  sampleTypes: readonly string[],
  displayNames: Readonly<Record<string, string>> = {},
): string {
  if (sampleTypes.includes("wall")) return "wall";
  for (const type of sampleTypes) {
    const name = displayNames[type] ?? DEFAULT_DISPLAY_NAMES[type] ?? type;
    if (name.includes("cpu")) return "process_cpu";
    if (name.includes("alloc_") || name.includes("inuse_") || name === "space" || name === "objects") {
      return "memory";
    }
    if (name.includes("mutex_")) return "mutex";
    if (name.includes("block_")) return "block";
    if (name.includes("goroutines")) return "goroutines";
  }
  return sampleTypes.at(-1) ?? "unknown";
}

/** The profile type of a pprof body (gzipped or plain), or `unknown` when it does not decode. */
export function pprofBodyProfileType(
  bytes: Uint8Array,
  displayNames: Readonly<Record<string, string>> = {},
): string {
  try {
    return pprofProfileType(pprofSampleTypes(bytes), displayNames);
  } catch {
    return "unknown";
  }
}

/** The display names in a `sample_type_config` JSON document; empty when it does not parse. */
export function displayNamesOf(sampleTypeConfig: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(sampleTypeConfig));
    if (typeof parsed !== "object" || parsed === null) return out;
    for (const [type, config] of Object.entries(parsed)) {
      const display = (config as { "display-name"?: unknown } | null)?.["display-name"];
      if (typeof display === "string" && display !== "") out[type] = display;
    }
  } catch {
    // A broken config only costs the display names.
  }
  return out;
}

const SUFFIX_TYPES: readonly (readonly [RegExp, string])[] = [
  [/^(cpu|itimer)$/, "process_cpu"],
  [/^(wall|seconds|nanoseconds|microseconds|milliseconds)$/, "wall"],
  [/^(inuse_objects|alloc_objects|inuse_space|alloc_space|bytes|live)$/, "memory"],
  [/^alloc_(in_new|outside)_tlab_/, "memory"],
  [/^goroutines$/, "goroutine"],
  [/^mutex_(count|duration)$/, "mutex"],
  [/^(block|lock)_(count|duration)$/, "block"],
  [/^exceptions$/, "exceptions"],
];

/**
 * The profile type of a text-format upload (folded, lines, trie, tree, speedscope): Pyroscope takes it from the
 * application name's suffix after the last dot (`my.app.cpu` → `process_cpu`; no dot means cpu). An unknown
 * suffix, which Pyroscope rejects, is `unknown`.
 */
export function appNameProfileType(appName: string): string {
  const dot = appName.lastIndexOf(".");
  const suffix = dot < 0 ? "cpu" : appName.slice(dot + 1);
  for (const [pattern, type] of SUFFIX_TYPES) {
    if (pattern.test(suffix)) return type;
  }
  return "unknown";
}
