import assert from "node:assert/strict";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import { gunzipSync } from "node:zlib";
import { pino } from "pino";
import { Registry } from "prom-client";
import { makeTempDir } from "../../../../test/support/cleanup.ts";
import { nodeSdkRequests, readFixture } from "../../../../test/support/fixtures.ts";
import { isGzip, parseMultipart, summarizePprof } from "../../../../test/support/pprof.ts";
import { Labels } from "../../../pyroscope/labels.ts";
import { SINGLE_PROCESS } from "../../../runtime/component.ts";
import { Capsule } from "../../../syntax/value.ts";
import { assemble, listCaptures, loadCapture } from "./catalog.ts";
import { captureRegistration } from "./index.ts";
import { parseSidecar } from "./layout.ts";
import { ingestRequest, startCapture } from "./test-harness.ts";

/** Every file under `dir`, relative, sorted. */
async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(join(e.parentPath, e.name).slice(dir.length + 1));
  }
  return out.sort();
}

const goLabels = Labels.from({ __name__: "process_cpu", service_name: "fixture-go-app", env: "test" });

describe("pyroscope.capture", () => {
  test("exports a receiver capsule at once", async (t) => {
    const base = await makeTempDir(t, "capture-reg-");
    const exported: unknown[] = [];
    const component = await captureRegistration.build(
      {
        id: "pyroscope.capture.x",
        logger: pino({ level: "silent" }),
        registry: new Registry(),
        dataPath: join(base, "data"),
        worker: SINGLE_PROCESS,
        onStateChange: (e) => exported.push(e["receiver"]),
      },
      { path: undefined, max_size: 1024, retention: 1000 },
    );
    assert.equal(exported.length, 1);
    const capsule = exported[0];
    assert.ok(capsule instanceof Capsule);
    assert.equal(capsule.hostType, "pyroscope.Appendable");
    const controller = new AbortController();
    const run = component.run(controller.signal);
    controller.abort();
    await run;
  });

  test("a pushed gzip pprof is stored as it arrived, readable as pprof, with a sidecar", async (t) => {
    const c = await startCapture();
    t.after(() => c.stop());
    const raw = readFixture("pprof/go-cpu.pb.gz");
    const outcome = await c.component.push({
      headers: {},
      labels: goLabels,
      samples: [{ id: "sample-1", rawProfile: raw }],
    });
    assert.deepEqual(outcome, { ok: true });

    const files = await tree(c.dataPath);
    assert.equal(files.length, 2);
    const data = files.find((f) => f.endsWith(".pb.gz"));
    const sidecarName = files.find((f) => f.endsWith(".json"));
    assert.match(
      data!,
      /^fixture-go-app\/\d{4}-\d{2}-\d{2}T\d{2}\/\d{8}T\d{6}\.\d{3}Z-process_cpu-[0-9a-f]{8}\.pb\.gz$/,
    );
    assert.equal(sidecarName, data!.replace(/\.pb\.gz$/, ".json"));

    const stored = await readFile(join(c.dataPath, data!));
    assert.deepEqual(stored, raw);
    assert.deepEqual(summarizePprof(stored).sampleTypes, ["samples/count", "cpu/nanoseconds"]);

    const sidecar = parseSidecar(await readFile(join(c.dataPath, sidecarName!), "utf8"));
    assert.equal(sidecar.route, "push");
    assert.equal(sidecar.service_name, "fixture-go-app");
    assert.equal(sidecar.profile_type, "process_cpu");
    assert.equal(sidecar.format, "pprof");
    assert.equal(sidecar.sample_id, "sample-1");
    assert.deepEqual(sidecar.labels, {
      __name__: "process_cpu",
      env: "test",
      service_name: "fixture-go-app",
    });
    assert.equal(sidecar.original_size, raw.byteLength);
    assert.deepEqual(sidecar.files, [{ name: data!.split("/").at(-1), size: raw.byteLength }]);
    assert.ok(Math.abs(Date.parse(sidecar.received_at) - Date.now()) < 60_000);
    assert.equal(sidecar.path, undefined);

    assert.equal(await c.metric("pyroscope_capture_profiles_total", { route: "push" }), 1);
    assert.equal(await c.metric("pyroscope_capture_store_profiles"), 1);
    const onDisk = stored.byteLength + (await readFile(join(c.dataPath, sidecarName!))).byteLength;
    assert.equal(await c.metric("pyroscope_capture_store_bytes"), onDisk);
    assert.equal(await c.metric("pyroscope_capture_bytes_total", { route: "push" }), raw.byteLength);
  });

  test("a plain pprof is gzipped for storage and restored byte for byte for replay", async (t) => {
    const c = await startCapture();
    t.after(() => c.stop());
    const raw = readFixture("pprof/nodejs-heap.pb");
    assert.ok(!isGzip(raw));
    const labels = Labels.from({ __name__: "memory", service_name: "node-app" });
    const outcome = await c.component.push({
      headers: {},
      labels,
      samples: [
        { id: "", rawProfile: raw },
        { id: "", rawProfile: readFixture("pprof/go-heap.pb.gz") },
      ],
    });
    assert.deepEqual(outcome, { ok: true });
    const { entries } = await listCaptures(c.dataPath);
    assert.equal(entries.length, 2, "one capture per sample");
    const plain = entries.find((e) => e.record.original_size === raw.byteLength)!;
    assert.equal(plain.record.files[0]!.gzipped_on_capture, true);
    const stored = await readFile(join(plain.dir, plain.record.files[0]!.name));
    assert.ok(isGzip(stored));
    assert.deepEqual(gunzipSync(stored), raw);
    assert.deepEqual(summarizePprof(stored).sampleTypes, ["inuse_objects/count", "inuse_space/bytes"]);
    assert.deepEqual(Buffer.from(assemble(await loadCapture(plain))), raw);
  });

  test("Node SDK /ingest uploads: pprof and multipart bodies, query, content type and tenant kept", async (t) => {
    const c = await startCapture();
    t.after(() => c.stop());
    const requests = nodeSdkRequests();
    for (const r of requests) {
      const headers = { "x-scope-orgid": r.headers["x-scope-orgid"] ?? "", authorization: "Basic secret" };
      const outcome = await c.component.ingest(
        ingestRequest(r.pathAndQuery, r.body, [r.headers["content-type"]!], headers),
      );
      assert.deepEqual(outcome, { ok: true });
    }
    const { entries, problems } = await listCaptures(c.dataPath);
    assert.deepEqual(problems, []);
    assert.equal(entries.length, requests.length);
    const types = entries.map((e) => `${e.record.format}:${e.record.profile_type}`).sort();
    assert.deepEqual(types, ["multipart:memory", "multipart:wall", "pprof:memory", "pprof:wall"]);

    for (const e of entries) {
      const original = requests.find((r) => r.pathAndQuery.endsWith(e.record.query!))!;
      assert.equal(e.record.route, "ingest");
      assert.equal(e.record.service_name, "capture-test");
      assert.equal(e.record.path, "/ingest");
      assert.deepEqual(e.record.content_type, [original.headers["content-type"]]);
      assert.equal(e.record.labels["env"], "test");
      assert.equal(e.dir.split("/").at(-2), "capture-test");
      // Tenant kept, credentials never written to disk.
      assert.deepEqual(e.record.headers, { "x-scope-orgid": original.headers["x-scope-orgid"] ?? "" });
      // Byte-identical for replay.
      assert.deepEqual(Buffer.from(assemble(await loadCapture(e))), original.body);
      // The profile itself opens as pprof.
      const pprofFile = e.record.files.find((f) => f.name.endsWith(".pb.gz"))!;
      const summary = summarizePprof(await readFile(join(e.dir, pprofFile.name)));
      assert.ok(summary.samples > 0);
      if (e.record.format === "multipart") {
        const part = parseMultipart(original.body, original.headers["content-type"]!)[0]!;
        assert.equal(pprofFile.part, "profile");
        assert.deepEqual(await readFile(join(e.dir, pprofFile.name)), part.body);
        assert.equal(e.record.multipart_glue?.length, 2);
      }
    }
    const sidecars = (await tree(c.dataPath)).filter((f) => f.endsWith(".json"));
    for (const s of sidecars) {
      assert.doesNotMatch(await readFile(join(c.dataPath, s), "utf8"), /secret/);
    }
  });

  test("JFR and text formats are stored in their own formats", async (t) => {
    const c = await startCapture();
    t.after(() => c.stop());
    const jfr = readFixture("jfr/recording.jfr");
    const folded = readFixture("folded/docs-example.folded.txt");
    const lines = readFixture("folded/docs-example.lines.txt");
    const speedscope = readFixture("speedscope/simple-evented.speedscope.json");
    const trie = readFixture("trie/docs-example.trie");
    const cases = [
      {
        q: "/ingest?name=kafka.app&format=jfr&from=1&until=2",
        body: jfr,
        ct: [],
        suffix: ".jfr",
        type: "jfr",
      },
      {
        q: "/ingest?name=my.app.cpu{env=prod}",
        body: folded,
        ct: [],
        suffix: ".folded.txt",
        type: "process_cpu",
      },
      { q: "/ingest?name=my.app.wall&format=lines", body: lines, ct: [], suffix: ".lines.txt", type: "wall" },
      {
        q: "/ingest?name=ss.app.inuse_space&format=speedscope",
        body: speedscope,
        ct: ["application/json"],
        suffix: ".speedscope.json",
        type: "memory",
      },
      {
        q: "/ingest?name=trieapp",
        body: trie,
        ct: ["binary/octet-stream+trie"],
        suffix: ".trie",
        type: "process_cpu",
      },
    ];
    for (const k of cases) {
      assert.deepEqual(await c.component.ingest(ingestRequest(k.q, k.body, k.ct)), { ok: true });
    }
    const { entries } = await listCaptures(c.dataPath);
    assert.equal(entries.length, cases.length);
    for (const k of cases) {
      const e = entries.find((x) => x.record.query === k.q.split("?")[1]);
      assert.ok(e, k.q);
      assert.equal(e.record.files.length, 1);
      assert.ok(
        e.record.files[0]!.name.endsWith(k.suffix),
        `${e.record.files[0]!.name} ends with ${k.suffix}`,
      );
      assert.equal(e.record.profile_type, k.type, k.q);
      assert.deepEqual(await readFile(join(e.dir, e.record.files[0]!.name)), k.body);
    }
  });

  test("an empty ingest body and a push without samples store nothing", async (t) => {
    const c = await startCapture();
    t.after(() => c.stop());
    assert.deepEqual(await c.component.ingest(ingestRequest("/ingest?name=a", new Uint8Array(), [])), {
      ok: true,
    });
    assert.deepEqual(await c.component.push({ headers: {}, labels: goLabels, samples: [] }), { ok: true });
    assert.deepEqual(await tree(c.dataPath), []);
  });

  test("a profile larger than max_size fails with 507 and nothing is written", async (t) => {
    const c = await startCapture({ max_size: 1000 });
    t.after(() => c.stop());
    const outcome = await c.component.push({
      headers: {},
      labels: goLabels,
      samples: [{ id: "", rawProfile: readFixture("pprof/go-cpu.pb.gz") }],
    });
    assert.equal(outcome.ok, false);
    assert.equal(!outcome.ok && outcome.httpStatus, 507);
    assert.match(!outcome.ok ? outcome.message : "", /more than max_size \(1000 bytes\)/);
    assert.deepEqual(await tree(c.dataPath), []);
    assert.equal(await c.metric("pyroscope_capture_errors_total", { route: "push" }), 1);
    assert.equal(c.component.health().state, "unhealthy");
  });

  test("a disk error fails with 500 and marks the component unhealthy until a write succeeds", async (t) => {
    const c = await startCapture();
    t.after(() => c.stop());
    // A file where the service folder should be.
    await writeFile(join(c.dataPath, "fixture-go-app"), "not a folder");
    const sample = { id: "", rawProfile: readFixture("pprof/go-cpu.pb.gz") };
    const outcome = await c.component.push({ headers: {}, labels: goLabels, samples: [sample] });
    assert.equal(outcome.ok, false);
    assert.equal(!outcome.ok && outcome.httpStatus, 500);
    assert.equal(c.component.health().state, "unhealthy");
    assert.match(c.component.health().message, /failed to capture a profile/);
    const other = Labels.from({ __name__: "process_cpu", service_name: "other-app" });
    assert.deepEqual(await c.component.push({ headers: {}, labels: other, samples: [sample] }), { ok: true });
    assert.equal(c.component.health().state, "healthy");
  });

  test("an unusable path makes the component unhealthy at once", async (t) => {
    const c = await startCapture();
    t.after(() => c.stop());
    await writeFile(join(c.dataPath, "file"), "x");
    c.component.update({ path: join(c.dataPath, "file", "sub"), max_size: 1024, retention: 1000 });
    await c.component.store.ready();
    assert.equal(c.component.health().state, "unhealthy");
    assert.match(c.component.health().message, /cannot open the capture store/);
  });

  test("retention runs periodically while the component runs", async (t) => {
    const c = await startCapture({ retention: 1000 });
    t.after(() => c.stop());
    const sample = { id: "", rawProfile: readFixture("pprof/go-cpu.pb.gz") };
    await c.component.push({ headers: {}, labels: goLabels, samples: [sample] });
    assert.equal((await listCaptures(c.dataPath)).entries.length, 1);
    const deadline = Date.now() + 10_000;
    // retention may remove a folder while it is being listed: list again
    const left = () =>
      tree(c.dataPath).catch((err: NodeJS.ErrnoException) => {
        if (err.code === "ENOENT") return ["(listing raced a removal)"];
        throw err;
      });
    while ((await left()).length > 0) {
      assert.ok(Date.now() < deadline, "the expired capture was never removed");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(await c.metric("pyroscope_capture_removed_profiles_total", { reason: "retention" }), 1);
    assert.equal(await c.metric("pyroscope_capture_store_profiles"), 0);
  });

  test("update moves to a new path and applies new limits", async (t) => {
    const c = await startCapture();
    t.after(() => c.stop());
    const sample = { id: "", rawProfile: readFixture("pprof/go-cpu.pb.gz") };
    await c.component.push({ headers: {}, labels: goLabels, samples: [sample] });
    const elsewhere = join(c.dataPath, "..", "elsewhere");
    c.component.update({ path: elsewhere, max_size: 1024 ** 2, retention: 3_600_000 });
    assert.equal(c.component.path, elsewhere);
    await c.component.store.ready();
    await c.component.push({ headers: {}, labels: goLabels, samples: [sample] });
    assert.equal((await listCaptures(elsewhere)).entries.length, 1);
    assert.equal((await listCaptures(c.dataPath)).entries.length, 1);
    // Shrinking max_size below two captures removes the oldest.
    c.component.update({ path: elsewhere, max_size: 3000, retention: 3_600_000 });
    await c.component.push({ headers: {}, labels: goLabels, samples: [sample] });
    await c.component.store.enforce();
    assert.equal((await listCaptures(elsewhere)).entries.length, 1);
    assert.equal(await c.metric("pyroscope_capture_removed_profiles_total", { reason: "max_size" }), 1);
  });
});
