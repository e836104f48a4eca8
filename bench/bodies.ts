/**
 * The request bodies the bench sends, built from the shared fixtures (`../shared/fixtures`, never copied into
 * the repository) in the shapes real SDKs send them:
 *
 * - ingest, small Node profile: the exact request of `@pyroscope/nodejs` 0.6.4 (raw gzip pprof,
 *   `format=pprof`, `application/octet-stream`), captured from the real SDK;
 * - ingest, Go profiles: pyroscope-go's shape, a `multipart/form-data` body with a `profile` part and a
 *   `sample_type_config` part, `from`/`until` in nanoseconds;
 * - push: a Connect binary `PushRequest` with one series carrying the same pprof bytes as one raw sample.
 */
import { readFileSync } from "node:fs";
import { create, toBinary } from "@bufbuild/protobuf";
import { PushRequestSchema } from "../src/pyroscope/gen/push/v1/push_pb.ts";

/** The shared fixtures folder, resolved from this file (works from any working directory). */
export const FIXTURES_DIR: URL = new URL("../../shared/fixtures/", import.meta.url);

/** The bytes of a fixture, e.g. `readFixture("pprof/go-heap.pb.gz")`. */
export function readFixture(relativePath: string): Buffer {
  return readFileSync(new URL(relativePath, FIXTURES_DIR));
}

/** One HTTP request the load generator repeats. */
export interface RequestShape {
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** A profile and the two requests that carry it. */
export interface Profile {
  /** Short key used in case names, e.g. `go-heap-39k`. */
  readonly key: ProfileKey;
  /** What it is, for the report. */
  readonly description: string;
  /** The profile's own size (the pprof bytes, as stored in the fixture). */
  readonly profileBytes: number;
  readonly ingest: RequestShape;
  readonly push: RequestShape;
}

/** The keys of every profile the bench knows, smallest first. */
export const PROFILE_KEYS = ["node-3k", "go-heap-39k", "go-heap-1m", "go-heap-2.6m", "go-heap-10m"] as const;
export type ProfileKey = (typeof PROFILE_KEYS)[number];

const GO_HEAP_SAMPLE_TYPE_CONFIG = JSON.stringify({
  alloc_objects: { units: "objects" },
  alloc_space: { units: "bytes" },
  inuse_space: { units: "bytes", aggregation: "average" },
  inuse_objects: { units: "objects", aggregation: "average" },
});

/** A fixed stand-in for the client clock (the backend does not check it). */
const FROM_SECONDS = 1_795_310_984;

interface RawCapture {
  readonly requests: readonly {
    readonly body_file: string;
    readonly path_and_query: string;
    readonly headers: Record<string, string>;
  }[];
}

/** The Node SDK 0.6.4 wall profile request, as captured. */
function nodeSdkRequest(): { shape: RequestShape; pprof: Buffer } {
  const manifest = JSON.parse(readFixture("node-sdk/requests.json").toString("utf8")) as RawCapture;
  const captured = manifest.requests.find((r) => r.body_file === "sdk-0.6.4-wall.pb.gz");
  if (captured === undefined) throw new Error("node-sdk/requests.json has no sdk-0.6.4-wall.pb.gz request");
  const body = readFixture(`node-sdk/${captured.body_file}`);
  // keep what the SDK sends about the body and itself; credentials and tenant are not the bench's business
  const headers = {
    "Content-Type": captured.headers["content-type"] ?? "application/octet-stream",
    "User-Agent": captured.headers["user-agent"] ?? "node",
    Accept: "*/*",
  };
  return { shape: { path: captured.path_and_query, headers, body }, pprof: body };
}

/** A multipart body as Go's `multipart.Writer` writes it (CRLF lines, fixed boundary here). */
export function goMultipart(
  boundary: string,
  parts: readonly { field: string; filename: string; data: Buffer }[],
): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${p.field}"; filename="${p.filename}"\r\n` +
          "Content-Type: application/octet-stream\r\n\r\n",
      ),
      p.data,
      Buffer.from("\r\n"),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

/** pyroscope-go's upload of a heap profile. */
function goIngest(pprof: Buffer): RequestShape {
  const boundary = "5f3e0c2b9d8a7e6f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d";
  const body = goMultipart(boundary, [
    { field: "profile", filename: "profile.pprof", data: pprof },
    {
      field: "sample_type_config",
      filename: "sample_type_config.json",
      data: Buffer.from(GO_HEAP_SAMPLE_TYPE_CONFIG),
    },
  ]);
  const ns = BigInt(FROM_SECONDS) * 1_000_000_000n;
  const name = encodeURIComponent(
    "bench-go{otel.scope.name=com.grafana.pyroscope/godeltaprof,process.runtime.name=go,env=bench}",
  );
  const query = `aggregationType=sum&from=${ns}&name=${name}&sampleRate=100&spyName=gospy&units=objects&until=${ns + 10_000_000_000n}`;
  return {
    path: `/ingest?${query}`,
    headers: {
      "Content-Type": `multipart/form-data; boundary=${boundary}`,
      "User-Agent": "Go-http-client/1.1",
    },
    body,
  };
}

/** A Connect binary push of one series with one raw sample. */
function pushRequest(metric: string, service: string, pprof: Buffer): RequestShape {
  const message = create(PushRequestSchema, {
    series: [
      {
        labels: [
          { name: "__name__", value: metric },
          { name: "service_name", value: service },
          { name: "env", value: "bench" },
        ],
        samples: [{ rawProfile: pprof, ID: "6f1c1d52-8a4e-4b8e-9a59-3f1a0e0c2b7d" }],
      },
    ],
  });
  return {
    path: "/push.v1.PusherService/Push",
    headers: {
      "Content-Type": "application/proto",
      "Connect-Protocol-Version": "1",
      "User-Agent": "connect-go/1.18.1 (go1.24.0)",
    },
    body: Buffer.from(toBinary(PushRequestSchema, message)),
  };
}

function goProfile(key: ProfileKey, description: string, pprof: Buffer): Profile {
  return {
    key,
    description,
    profileBytes: pprof.length,
    ingest: goIngest(pprof),
    push: pushRequest("memory", "bench-go", pprof),
  };
}

/** Builds one profile's requests (reads its fixture). */
export function loadProfile(key: ProfileKey): Profile {
  switch (key) {
    case "node-3k": {
      const { shape, pprof } = nodeSdkRequest();
      return {
        key,
        description: "Node SDK 0.6.4 wall profile, gzip pprof (node-sdk/sdk-0.6.4-wall.pb.gz)",
        profileBytes: pprof.length,
        ingest: shape,
        push: pushRequest("wall", "bench-node", pprof),
      };
    }
    case "go-heap-39k":
      return goProfile(key, "Go heap, gzip pprof (pprof/go-heap.pb.gz)", readFixture("pprof/go-heap.pb.gz"));
    case "go-heap-1m":
      return goProfile(
        key,
        "Go heap, plain pprof (pprof/go-heap-alloc-space-1mb.pb)",
        readFixture("pprof/go-heap-alloc-space-1mb.pb"),
      );
    case "go-heap-2.6m":
      return goProfile(
        key,
        "Go heap, plain pprof (pprof/go-heap-large.pb)",
        readFixture("pprof/go-heap-large.pb"),
      );
    case "go-heap-10m": {
      // no real 10 MB profile exists among the fixtures: four copies of the largest one, which is still a
      // well-formed protobuf message (repeated fields concatenate)
      const large = readFixture("pprof/go-heap-large.pb");
      return goProfile(
        key,
        "synthetic: pprof/go-heap-large.pb ×4, plain pprof",
        Buffer.concat([large, large, large, large]),
      );
    }
  }
}
