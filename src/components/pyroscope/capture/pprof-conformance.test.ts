/**
 * The wire-level pprof reading against profiles written by others: Pyroscope's own test profiles (Go, Node,
 * Java, Python, Ruby, Rust, .NET), kept outside the repository in `../shared/fixtures/pprof/` and skipped when
 * absent (see `test/support/shared.ts`). The profile types are the metric names Pyroscope gives them.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { describe, test } from "node:test";
import { decodePprof } from "../../../../test/support/pprof.ts";
import { sharedMissing, sharedUrl } from "../../../../test/support/shared.ts";
import { pprofSampleTypes, pprofTimeNanos, withTimeNanos } from "./pprof-wire.ts";
import { displayNamesOf, pprofBodyProfileType, pprofProfileType } from "./profile-type.ts";

const UPSTREAM = "fixtures/pprof/";
const DIR = sharedUrl(UPSTREAM);

/** Pyroscope's metric name for each profile (its testdata's expected outputs). */
const EXPECTED: Record<string, string> = {
  "go-cpu.pb.gz": "process_cpu",
  "go-heap.pb.gz": "memory",
  "go-goroutines.pb.gz": "goroutines",
  "go-block.pb.gz": "block",
  "go-mutex.pb.gz": "mutex",
  "nodejs-wall.pb.gz": "wall",
  "nodejs-heap.pb.gz": "memory",
  "nodejs-cpu-js.pb.gz": "wall",
  "nodejs-heap-js.pb": "memory",
};

describe("pprof conformance: Pyroscope's test profiles", { skip: sharedMissing(UPSTREAM) }, () => {
  // the throughput profiles (over 512 KiB) only take time here: their shapes are in the project's fixtures
  const files = readdirSync(DIR).filter(
    (f) =>
      /\.pb(\.gz)?$/.test(f) && f !== "invalid-utf8.pb.gz" && statSync(new URL(f, DIR)).size < 512 * 1024,
  );

  test("finds them", () => {
    assert.ok(files.length >= 15, `found ${files.length}`);
  });

  for (const name of files) {
    test(name, () => {
      const bytes = readFileSync(new URL(name, DIR));
      const decoded = decodePprof(bytes);
      const names = decoded.sampleType.map((t) => decoded.stringTable.strings[Number(t.type)]);
      assert.deepEqual(pprofSampleTypes(bytes), names);

      const config = name.replace(/\.pb(\.gz)?$/, ".sample_type_config.json");
      const displayNames = readdirSync(DIR).includes(config)
        ? displayNamesOf(readFileSync(new URL(config, DIR)))
        : undefined;
      const type =
        displayNames === undefined
          ? pprofBodyProfileType(bytes)
          : pprofProfileType(pprofSampleTypes(bytes), displayNames);
      if (EXPECTED[name] !== undefined) assert.equal(type, EXPECTED[name]);
      else assert.notEqual(type, "unknown");

      // time_nanos rewritten, everything else kept; a profile without it is left alone
      const original = pprofTimeNanos(bytes);
      const rewritten = withTimeNanos(bytes, 1_700_000_000_123_456_789n);
      if (original === 0n) {
        assert.equal(rewritten, bytes);
      } else {
        const after = decodePprof(rewritten);
        assert.equal(BigInt(after.timeNanos), 1_700_000_000_123_456_789n);
        assert.equal(after.sample.length, decoded.sample.length);
        assert.deepEqual(after.stringTable.strings, decoded.stringTable.strings);
      }
    });
  }
});
