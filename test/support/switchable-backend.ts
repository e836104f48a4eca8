/**
 * A fake Pyroscope (`fake-pyroscope.ts`) that a test switches down and up, for the durable queue's tests:
 * while down it answers every request 503 (Connect `unavailable`), as a backend in maintenance does; while
 * up it takes each profile and records its ID, so a test can check what arrived, in what order, and that
 * nothing was lost or sent twice.
 */
import type { Cleanup } from "./cleanup.ts";
import { type FakePyroscope, type RecordedRequest, startFakePyroscope } from "./fake-pyroscope.ts";

/** A fake backend that can be switched down and up. */
export interface SwitchableBackend {
  readonly fake: FakePyroscope;
  /** The ID (`profileId`) of every profile answered 200, in order. */
  readonly accepted: string[];
  down: boolean;
  /** Answers for particular IDs while up (e.g. 400, refused as `invalid_argument`). */
  readonly refuse: Map<string, number>;
  /** When set: requests that arrived before it (`performance.now()`) are answered as while down. */
  upSince?: number;
}

/** The ID of a recorded request: the push's first sample ID, or `ingest-<seq>` from the ingest's `seq` label. */
export function profileId(r: RecordedRequest): string {
  if (r.kind === "push") return r.push?.series[0]?.samples[0]?.ID ?? "?";
  const name = new URLSearchParams(r.query).get("name") ?? "";
  return `ingest-${/seq=([^,}]+)/.exec(name)?.[1] ?? "?"}`;
}

/** Starts a backend, up unless `down`; `cleanup` closes it. */
export async function startSwitchableBackend(cleanup: Cleanup, down = false): Promise<SwitchableBackend> {
  const fake = await startFakePyroscope({
    respond: (r) => {
      if (b.down || (b.upSince !== undefined && r.receivedAt < b.upSince)) {
        return { status: 503, connectCode: "unavailable", message: "down for maintenance" };
      }
      const id = profileId(r);
      const refused = b.refuse.get(id);
      if (refused !== undefined) {
        return { status: refused, connectCode: "invalid_argument", message: "bad profile" };
      }
      b.accepted.push(id);
      return undefined;
    },
  });
  const b: SwitchableBackend = { fake, accepted: [], down, refuse: new Map() };
  cleanup.after(() => fake.close());
  return b;
}
