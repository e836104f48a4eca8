/**
 * The JSON shapes of the web UI's API (`/api/v0/web/...`) that the server sends and the UI reads, written
 * once for both: the UI (`ui/src/api.ts`, its own esbuild project) imports them type-only, so this module
 * holds types alone and imports nothing.
 */

/** One write endpoint's figures (`figures/{id}` of a `pyroscope.write`). */
export interface EndpointFigures {
  readonly endpoint: string;
  readonly sentProfiles: number;
  readonly sentBytes: number;
  readonly retries: number;
  readonly droppedProfiles: number;
  /** Items waiting in the endpoint's durable queue (0 without a queue). */
  readonly queueItems: number;
  /** Age of the oldest queued item in seconds (0 when the queue is empty). */
  readonly oldestAgeSeconds: number;
}

/** A component's figures (`figures/{id}`): totals since it started. */
export interface Figures {
  /** Profiles the component handled (received, captured or sent). */
  readonly profiles: number;
  readonly bytes: number;
  /** Requests answered with an error, failed captures, or dropped profiles. */
  readonly errors: number;
  readonly endpoints: readonly EndpointFigures[];
}

/** One live debugging event as the `debug/{id}` stream sends it (the profiles stay on the server). */
export interface EventJSON {
  readonly seq: number;
  readonly componentID: string;
  readonly time: string;
  readonly route: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly format: string;
  readonly size: number;
  /** How many raw profiles the event has (fetch each with `livedebugging/profile`). */
  readonly profiles: number;
  readonly contentType?: string | undefined;
  readonly outcomes: readonly {
    readonly target: string;
    readonly state: string;
    readonly httpStatus?: number | undefined;
    readonly reason?: string | undefined;
  }[];
}
