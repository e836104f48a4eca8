/**
 * The UI's view of the agent's API (`api/v0/web/...`, relative to the `<base>` the server sets, so it works
 * behind `--server.http.ui-path-prefix`), and a reader of Alloy's `|;|`-delimited streams.
 */

export type { EndpointFigures, EventJSON, Figures } from "../../src/server/web-json.ts";

/** One alloyjson value. */
export interface AlloyValue {
  readonly type: string;
  readonly value: unknown;
}

/** One alloyjson statement (an attribute or a block). */
export interface Statement {
  readonly name: string;
  readonly type: "attr" | "block";
  readonly label?: string;
  readonly value?: AlloyValue;
  readonly body?: readonly Statement[];
}

/** A component as `api/v0/web/components` lists it. */
export interface ComponentInfo {
  readonly name: string;
  readonly localID: string;
  readonly label: string;
  readonly referencesTo: readonly string[];
  readonly referencedBy: readonly string[];
  readonly dataFlowEdgesTo: readonly string[];
  readonly health: { readonly state: string; readonly message: string; readonly updatedTime: string };
  readonly arguments: readonly Statement[];
  readonly exports: readonly Statement[];
  readonly liveDebuggingEnabled: boolean;
}

/** The URL of an API path. */
export function apiURL(path: string): string {
  return new URL(`api/v0/web/${path}`, document.baseURI).toString();
}

/** GETs JSON; rejects with the server's text on an error status. */
export async function getJSON<T>(path: string): Promise<T> {
  const res = await fetch(apiURL(path));
  if (!res.ok) throw new Error((await res.text()).trim() || `${res.status} ${res.statusText}`);
  return (await res.json()) as T;
}

/**
 * Reads a `|;|`-delimited stream, calling `onChunk` with each JSON-parsed chunk (an empty chunk as
 * `undefined`). Resolves when the stream ends or `signal` aborts; rejects with the server's text when it
 * refuses the stream.
 */
export async function readStream(
  path: string,
  signal: AbortSignal,
  onChunk: (value: unknown) => void,
): Promise<void> {
  const res = await fetch(apiURL(path), { signal });
  if (!res.ok || res.body === null) {
    throw new Error((await res.text()).trim() || `${res.status} ${res.statusText}`);
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let pending = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      pending += value;
      let at = pending.indexOf("|;|");
      while (at >= 0) {
        const chunk = pending.slice(0, at);
        pending = pending.slice(at + 3);
        onChunk(chunk === "" ? undefined : JSON.parse(chunk));
        at = pending.indexOf("|;|");
      }
    }
  } catch (err) {
    if (signal.aborted) return;
    throw err;
  }
}

/** `1.2 KiB`, `3.4 MiB`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  const units = ["KiB", "MiB", "GiB"];
  let v = n;
  let unit = "B";
  for (const u of units) {
    if (v < 1024) break;
    v /= 1024;
    unit = u;
  }
  return `${v.toFixed(1)} ${unit}`;
}
