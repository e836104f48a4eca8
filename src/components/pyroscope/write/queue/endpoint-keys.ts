/**
 * How the queue knows an endpoint across reloads and restarts: `name:<name>` when it has a `name`, else
 * `url:<hash of the URL>` (the URL may hold a password, so it is not written to disk). A key seen twice in
 * one configuration gets `#2`, `#3`, ... in order. Renaming an endpoint, or changing the URL of one without
 * a name, makes it a new endpoint.
 */
import { createHash } from "node:crypto";
import type { Endpoint } from "../endpoint.ts";

/** The keys of `endpoints`, in order. */
export function endpointKeys(endpoints: readonly Pick<Endpoint, "args">[]): string[] {
  const seen = new Map<string, number>();
  return endpoints.map((ep) => {
    const base =
      ep.args.name !== ""
        ? `name:${ep.args.name}`
        : `url:${createHash("sha256").update(ep.args.url).digest("hex").slice(0, 16)}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}#${n}`;
  });
}
