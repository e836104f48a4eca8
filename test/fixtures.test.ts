/**
 * The committed test fixtures are what the generator makes (so nobody edits a profile by hand or leaves a
 * stale file behind), and they have the shapes the suite relies on.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import {
  FIXTURES_ROOT,
  GO_BOUNDARY,
  generateFixtures,
  JAVA_BOUNDARY,
  trie,
} from "../scripts/fixtures/generate.ts";
import { FIXTURES_DIR, nodeSdkRequests, readFixture } from "./support/fixtures.ts";
import { decodePprof, isGzip, parseMultipart, summarizePprof } from "./support/pprof.ts";

/** Files recorded once from real programs (not reproducible byte for byte), and the index. */
const RECORDED = new Set([
  "README.md",
  "jfr/recording.jfr",
  "jfr/recording.jfr.gz",
  "node-sdk/requests.json",
  "node-sdk/sdk-0.6.1-heap.multipart.body",
  "node-sdk/sdk-0.6.1-wall.multipart.body",
  "node-sdk/sdk-0.6.4-heap.pb.gz",
  "node-sdk/sdk-0.6.4-wall.pb.gz",
  "pprof/nodejs-heap.pb",
]);

const generated = generateFixtures();

describe("test fixtures", () => {
  test("the support module and the generator agree on the folder", () => {
    assert.equal(FIXTURES_DIR.href, FIXTURES_ROOT.href);
  });

  test("every committed file is generated or recorded, and the generator reproduces each generated one", () => {
    const committed = (readdirSync(fileURLToPath(FIXTURES_ROOT), { recursive: true }) as string[])
      .filter((p) => p.includes("."))
      .sort();
    assert.deepEqual(
      committed.filter((p) => !generated.has(p) && !RECORDED.has(p)),
      [],
      "files neither generated nor recorded",
    );
    assert.deepEqual(
      [...generated.keys()].filter((p) => !committed.includes(p)),
      [],
      "generated files not committed (run npm run fixtures)",
    );
    for (const [path, bytes] of generated) {
      const file = readFixture(path);
      // gzip framing may differ between zlib builds; what it carries may not
      if (path.endsWith(".gz")) assert.deepEqual(gunzipSync(file), gunzipSync(bytes), path);
      else assert.ok(file.equals(bytes), `${path} differs from what the generator makes (npm run fixtures)`);
    }
  });

  test("pprof shapes and sizes", () => {
    const heap = summarizePprof(readFixture("pprof/go-heap.pb.gz"));
    assert.deepEqual(heap.sampleTypes, [
      "alloc_objects/count",
      "alloc_space/bytes",
      "inuse_objects/count",
      "inuse_space/bytes",
    ]);
    assert.equal(heap.samples, 1000);
    assert.deepEqual(heap.labelKeys, ["bytes"]);

    const oneMb = readFixture("pprof/go-heap-alloc-space-1mb.pb");
    assert.ok(!isGzip(oneMb));
    assert.ok(oneMb.length > 1_000_000 && oneMb.length < 2 * 1024 * 1024, `${oneMb.length} bytes`);
    assert.ok(summarizePprof(oneMb).samples < 16_000, "under Pyroscope's default sample limit");

    const large = readFixture("pprof/go-heap-large.pb");
    assert.ok(large.length > 2.5 * 1024 * 1024 && large.length < 3 * 1024 * 1024, `${large.length} bytes`);
    assert.ok(summarizePprof(large).samples > 16_000);

    assert.deepEqual(summarizePprof(readFixture("pprof/go-cpu-labels.pb.gz")).labelKeys, [
      "foo",
      "function",
      "profile_id",
    ]);
    assert.equal(summarizePprof(readFixture("pprof/dotnet-multi.pb")).timeNanos, 0n);
  });

  test("invalid-utf8.pb.gz has a string that is not UTF-8, and nothing else wrong", () => {
    const profile = decodePprof(readFixture("pprof/invalid-utf8.pb.gz"));
    assert.equal(profile.sample.length, 1);
    const bad = profile.stringTable.strings.filter((s) => s.includes("\uFFFD"));
    assert.deepEqual(
      bad,
      ["main.bad-\uFFFD(-\uFFFD\uFFFD!!"],
      "one string, decoded with replacement characters",
    );
  });

  test("the transport trie is Pyroscope's encoding (its test vector, and the docs example)", () => {
    // pkg/og/structs/transporttrie/trie_test.go: {abc: 1, abd: 2}
    assert.deepEqual(
      [
        ...trie(
          new Map([
            ["abc", 1],
            ["abd", 2],
          ]),
        ),
      ],
      [0, 0, 1, 2, 0x61, 0x62, 0, 2, 1, 0x63, 1, 0, 1, 0x64, 2, 0],
    );
    assert.equal(readFixture("trie/docs-example.trie").length, 21);
  });

  test("the multipart body splits into pyroscope-go's profile and sample type config", () => {
    const parts = parseMultipart(
      readFixture("multipart/go-block.multipart.body"),
      `multipart/form-data; boundary=${GO_BOUNDARY}`,
    );
    assert.deepEqual(
      parts.map((p) => [p.name, p.filename]),
      [
        ["profile", "profile.pprof"],
        ["sample_type_config", "sample_type_config.json"],
      ],
    );
    assert.deepEqual(parts[0]!.body, readFixture("pprof/go-block.pb.gz"));
  });

  test("the multipart body splits into the Java agent's jfr and labels parts", () => {
    const parts = parseMultipart(
      readFixture("multipart/java-jfr.multipart.body"),
      `multipart/form-data; boundary=${JAVA_BOUNDARY}`,
    );
    assert.deepEqual(
      parts.map((p) => [p.name, p.contentType]),
      [
        ["jfr", undefined],
        ["labels", "application/x-protobuf"],
      ],
    );
    assert.deepEqual(parts[0]!.body, readFixture("jfr/recording.jfr.gz"));
    assert.deepEqual(parts[1]!.body, readFixture("jfr/recording.labels.pb.gz"));
  });

  test("the JFR recording is a JFR chunk, raw and gzipped", () => {
    const raw = readFixture("jfr/recording.jfr");
    assert.equal(raw.subarray(0, 4).toString("latin1"), "FLR\0");
    assert.deepEqual(gunzipSync(readFixture("jfr/recording.jfr.gz")), raw);
  });

  test("the Node SDK recordings: 0.6.4 raw pprof and 0.6.1 multipart, wall and heap each", () => {
    const requests = nodeSdkRequests();
    assert.deepEqual(requests.map((r) => r.bodyFile).sort(), [
      "sdk-0.6.1-heap.multipart.body",
      "sdk-0.6.1-wall.multipart.body",
      "sdk-0.6.4-heap.pb.gz",
      "sdk-0.6.4-wall.pb.gz",
    ]);
    for (const r of requests) {
      assert.match(r.pathAndQuery, /^\/ingest\?.*name=capture-test%7B/);
      const ct = r.headers["content-type"] ?? "";
      const pprof = ct.startsWith("multipart/") ? parseMultipart(r.body, ct)[0]!.body : r.body;
      assert.ok(summarizePprof(pprof).samples > 0, r.bodyFile);
    }
    assert.deepEqual(
      gunzipSync(readFixture("node-sdk/sdk-0.6.4-heap.pb.gz")),
      readFixture("pprof/nodejs-heap.pb"),
      "pprof/nodejs-heap.pb is the SDK's heap upload, gunzipped",
    );
  });
});
