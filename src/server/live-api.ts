/**
 * The live debugging routes of the UI API, on Alloy's paths and wire format (`internal/web/api/api.go`):
 *
 * - `debug/{id}?sampleProb=p`: a never-ending response of the component's events, each a JSON object
 *   followed by Alloy's `|;|` delimiter (the events still in the component's ring buffer first);
 * - `graph?window=s`: every `window` seconds (1 to 60, default 5), one `|;|`-delimited JSON object per
 *   component that passed profiles, `{componentID, count, rate, type, targetComponentIDs}` (just `|;|` when
 *   none did), which the graph page labels its edges with;
 * - `livedebugging/profile?component=id&seq=n&index=i` (ours): the raw bytes of one profile of an event still
 *   in the ring buffer, for the flamegraph.
 *
 * A viewer never slows the relay: events are written as they come, and while the connection's buffer is
 * full (`write` returned false) they are dropped and counted; after `drain` the stream says how many it
 * dropped (`{"dropped":n}`) and carries on.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { LiveDebugging, StoredEvent } from "../runtime/livedebugging/hub.ts";
import type { EventJSON } from "./web-json.ts";

/** Alloy's chunk delimiter. */
export const DELIMITER = "|;|";

/** The JSON of one stored event. */
export function eventJSON(stored: StoredEvent): EventJSON {
  const e = stored.event;
  return {
    seq: stored.seq,
    componentID: stored.componentId,
    time: new Date(e.time).toISOString(),
    route: e.route,
    labels: e.labels,
    format: e.format,
    size: e.size,
    profiles: e.profiles.length,
    contentType: e.contentType,
    outcomes: e.outcomes,
  };
}

/** Streams a component's events (`debug/{id}`). */
export function streamComponent(
  req: IncomingMessage,
  res: ServerResponse,
  hub: LiveDebugging,
  componentId: string,
  query: URLSearchParams,
): void {
  const sampleParam = query.get("sampleProb");
  const sampleProb = sampleParam === null || sampleParam === "" ? 1 : Number(sampleParam);
  if (!Number.isFinite(sampleProb) || sampleProb < 0 || sampleProb > 1) {
    plain(res, 400, "Invalid sample probability\n");
    return;
  }
  const writer = new DroppingWriter(res);
  const watching = hub.watch(componentId, {
    event: (stored) => {
      if (sampleProb < 1 && Math.random() > sampleProb) return;
      writer.write(JSON.stringify(eventJSON(stored)) + DELIMITER);
    },
    end: () => res.end(),
  });
  if ("error" in watching) {
    plain(res, 500, `${watching.error}\n`);
    return;
  }
  startStream(res);
  for (const stored of watching.history) writer.write(JSON.stringify(eventJSON(stored)) + DELIMITER);
  req.socket.setTimeout(0);
  res.on("close", () => watching.stop());
}

/** Streams every component's profile counts per window (`graph`). */
export function streamGraph(
  req: IncomingMessage,
  res: ServerResponse,
  hub: LiveDebugging,
  query: URLSearchParams,
): void {
  const windowParam = query.get("window");
  const windowSeconds = windowParam === null || windowParam === "" ? 5 : Number(windowParam);
  if (!Number.isInteger(windowSeconds) || windowSeconds < 1 || windowSeconds > 60) {
    plain(res, 400, "Invalid window: must be an integer between 1 and 60\n");
    return;
  }
  const counts = new Map<string, number>();
  const watching = hub.watchCounts({
    count: (id, n) => counts.set(id, (counts.get(id) ?? 0) + n),
    end: () => res.end(),
  });
  if ("error" in watching) {
    plain(res, 500, `${watching.error}\n`);
    return;
  }
  startStream(res);
  req.socket.setTimeout(0);
  const writer = new DroppingWriter(res);
  const timer = setInterval(() => {
    let chunk = "";
    for (const [componentID, count] of counts) {
      chunk +=
        JSON.stringify({
          componentID,
          count,
          rate: count / windowSeconds,
          type: "pyroscope_profile",
          targetComponentIDs: [],
        }) + DELIMITER;
    }
    counts.clear();
    writer.write(chunk === "" ? DELIMITER : chunk);
  }, windowSeconds * 1000);
  res.on("close", () => {
    clearInterval(timer);
    watching.stop();
  });
}

/** Answers the raw bytes of one profile of an event still in a ring buffer. */
export function serveProfile(res: ServerResponse, hub: LiveDebugging, query: URLSearchParams): void {
  const stored = hub.find(query.get("component") ?? "", Number(query.get("seq")));
  const bytes = stored?.event.profiles[Number(query.get("index") ?? "0")];
  if (stored === undefined || bytes === undefined) {
    plain(res, 404, "this profile is no longer in the live debugging buffer\n");
    return;
  }
  res.writeHead(200, {
    "Content-Type": "application/octet-stream",
    "Content-Length": String(bytes.byteLength),
    "X-Profile-Format": stored.event.format,
    "X-Profile-Content-Type": stored.event.contentType ?? "",
    "Cache-Control": "no-store",
  });
  res.end(bytes);
}

function startStream(res: ServerResponse): void {
  res.writeHead(200, {
    "Content-Type": "text/plain; charset=utf-8",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
  });
  res.flushHeaders();
}

function plain(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff" });
  res.end(body);
}

/** Writes chunks while the connection keeps up; drops (and later reports) those it cannot take. */
class DroppingWriter {
  readonly #res: ServerResponse;
  #blocked = false;
  #dropped = 0;

  constructor(res: ServerResponse) {
    this.#res = res;
    res.on("drain", () => {
      this.#blocked = false;
      if (this.#dropped > 0) {
        const dropped = this.#dropped;
        this.#dropped = 0;
        this.write(JSON.stringify({ dropped }) + DELIMITER);
      }
    });
  }

  write(chunk: string): void {
    if (this.#res.destroyed || this.#res.writableEnded) return;
    if (this.#blocked) {
      this.#dropped++;
      return;
    }
    if (!this.#res.write(chunk)) this.#blocked = true;
  }
}
