/**
 * Access to the project's own test fixtures in `test/fixtures/` (made by `npm run fixtures`, see
 * `scripts/fixtures/generate.ts` and `test/fixtures/README.md`) and to the replay manifest of the real Node SDK
 * requests.
 */
import { readFileSync } from "node:fs";

/** The fixtures directory, resolved from this file (works from any working directory). */
export const FIXTURES_DIR: URL = new URL("../fixtures/", import.meta.url);

/** The URL of a fixture file, e.g. `fixtureUrl("pprof/go-cpu.pb.gz")`. */
export function fixtureUrl(relativePath: string): URL {
  return new URL(relativePath, FIXTURES_DIR);
}

/** The bytes of a fixture file, e.g. `readFixture("push/push-go-cpu.pb")`. */
export function readFixture(relativePath: string): Buffer {
  return readFileSync(fixtureUrl(relativePath));
}

/** One request captured from the real `@pyroscope/nodejs` SDK, ready to replay. */
export interface NodeSdkRequest {
  /** The body file name in `node-sdk/`. */
  readonly bodyFile: string;
  readonly method: string;
  /** Path and query exactly as the SDK sent them, e.g. `/ingest?format=pprof&from=...`. */
  readonly pathAndQuery: string;
  /** Headers as sent (lower-case names), without host, connection and content-length. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

interface RawManifest {
  readonly requests: readonly {
    readonly body_file: string;
    readonly method: string;
    readonly path_and_query: string;
    readonly headers: Record<string, string>;
  }[];
}

/** The captured Node SDK requests (`node-sdk/requests.json`) with their bodies loaded. */
export function nodeSdkRequests(): NodeSdkRequest[] {
  const manifest = JSON.parse(readFixture("node-sdk/requests.json").toString("utf8")) as RawManifest;
  return manifest.requests.map((r) => ({
    bodyFile: r.body_file,
    method: r.method,
    pathAndQuery: r.path_and_query,
    headers: r.headers,
    body: readFixture(`node-sdk/${r.body_file}`),
  }));
}
