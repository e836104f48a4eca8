import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { captureIO } from "../../test/support/cli-io.ts";
import { headerValues, type RecordedRequest, startFakePyroscope } from "../../test/support/fake-pyroscope.ts";
import { nodeSdkRequests, readFixture } from "../../test/support/fixtures.ts";
import { decodePprof, parseMultipart } from "../../test/support/pprof.ts";
import {
  ingestRequest,
  type RunningCapture,
  startCapture,
} from "../components/pyroscope/capture/test-harness.ts";
import { IngestQuery } from "../pyroscope/ingest-query.ts";
import { Labels } from "../pyroscope/labels.ts";
import { main } from "./main.ts";

const goCpu = readFixture("pprof/go-cpu.pb.gz");
const pushLabels = Labels.from({
  __name__: "process_cpu",
  __tmp_hash: "dropped by write",
  __delta__: "false",
  service_name: "go-app",
  env: "prod",
});

/** A capture with one push sample and the four Node SDK uploads. */
async function filledCapture(): Promise<RunningCapture> {
  const c = await startCapture();
  await c.component.push({ headers: {}, labels: pushLabels, samples: [{ id: "id-1", rawProfile: goCpu }] });
  for (const r of nodeSdkRequests()) {
    const headers =
      r.headers["x-scope-orgid"] === undefined ? undefined : { "x-scope-orgid": r.headers["x-scope-orgid"] };
    await c.component.ingest(ingestRequest(r.pathAndQuery, r.body, [r.headers["content-type"]!], headers));
  }
  return c;
}

function labelsOf(push: RecordedRequest): Record<string, string> {
  const series = push.push!.series;
  assert.equal(series.length, 1);
  return Object.fromEntries(series[0]!.labels.map((l) => [l.name, l.value]));
}

describe("profile-relay replay", () => {
  test("sends push captures to the push API and ingest captures to /ingest, bytes and labels intact", async (t) => {
    const c = await filledCapture();
    t.after(() => c.stop());
    const fake = await startFakePyroscope();
    t.after(() => fake.close());

    const run = captureIO();
    assert.equal(await main(["replay", c.dataPath, "--to", `${fake.url}/prefix/`], run.io), 0, run.err());
    assert.equal(run.out(), `replay: 5 sent, 0 failed, 0 skipped (to ${fake.url}/prefix/)\n`);
    assert.equal(run.err(), "", "no progress lines when stderr is not a terminal");

    assert.equal(fake.pushes.length, 1);
    const push = fake.pushes[0]!;
    assert.equal(push.path, "/prefix/push.v1.PusherService/Push");
    assert.deepEqual(labelsOf(push), {
      __delta__: "false",
      __name__: "process_cpu",
      env: "prod",
      service_name: "go-app",
    });
    const sample = push.push!.series[0]!.samples[0]!;
    assert.deepEqual(Buffer.from(sample.rawProfile), goCpu);
    assert.equal(sample.ID, "id-1");

    const sdk = nodeSdkRequests();
    assert.equal(fake.ingests.length, sdk.length);
    fake.ingests.forEach((got, i) => {
      const sent = sdk[i]!;
      assert.equal(got.path, "/prefix/ingest");
      assert.deepEqual(got.body, sent.body, "the body exactly as the SDK sent it");
      assert.deepEqual(headerValues(got, "content-type"), [sent.headers["content-type"]]);
      const q = IngestQuery.parse(got.query);
      const original = IngestQuery.parse(sent.pathAndQuery.split("?")[1]!);
      assert.equal(
        q.name,
        "capture-test{env=test,otel.scope.name=com.grafana.pyroscope/nodejs,otel.scope.version=" +
          `${original.name!.includes("0.6.4") ? "0.6.4" : "0.6.1"},process.runtime.name=nodejs,` +
          `process.runtime.version=${/process.runtime.version=([^,}]+)/.exec(original.name!)![1]},region=eu-west,` +
          "service_name=capture-test}",
      );
      for (const key of ["from", "until", "spyName", "sampleRate", "format"]) {
        assert.equal(q.get(key), original.get(key), key);
      }
      assert.equal(got.headers["x-scope-orgid"], sent.headers["x-scope-orgid"]);
    });
  });

  test("--rewrite-time moves pprof time_nanos and from/until to now, keeping the duration", async (t) => {
    const c = await filledCapture();
    t.after(() => c.stop());
    const fake = await startFakePyroscope();
    t.after(() => fake.close());
    const before = BigInt(Date.now()) * 1_000_000n;
    const run = captureIO();
    assert.equal(
      await main(["replay", c.dataPath, "--to", fake.url, "--rewrite-time"], run.io),
      0,
      run.err(),
    );
    const after = BigInt(Date.now()) * 1_000_000n;
    const within = (ns: bigint): boolean => ns >= before - 1_000_000n && ns <= after;

    const pushed = decodePprof(fake.pushes[0]!.push!.series[0]!.samples[0]!.rawProfile);
    assert.ok(within(BigInt(pushed.timeNanos)), `push time_nanos ${pushed.timeNanos}`);
    assert.equal(pushed.sample.length, decodePprof(goCpu).sample.length);

    const sdk = nodeSdkRequests();
    for (const [i, got] of fake.ingests.entries()) {
      const q = IngestQuery.parse(got.query);
      const from = Number(q.get("from"));
      const until = Number(q.get("until"));
      const original = IngestQuery.parse(sdk[i]!.pathAndQuery.split("?")[1]!);
      assert.equal(
        until - from,
        Number(original.get("until")) - Number(original.get("from")),
        "duration kept",
      );
      const untilNs = BigInt(until) * 1_000_000_000n;
      assert.ok(untilNs >= before - 1_000_000_000n && untilNs <= after, `until ${until}`);
      const contentType = got.headers["content-type"]!;
      const profile = contentType.startsWith("multipart/")
        ? parseMultipart(got.body, contentType).find((p) => p.name === "profile")!.body
        : got.body;
      assert.ok(within(BigInt(decodePprof(profile).timeNanos)), "the pprof's own time too");
    }
  });

  test("failures are reported per profile and in the summary, and exit 1", async (t) => {
    const c = await filledCapture();
    t.after(() => c.stop());
    const fake = await startFakePyroscope({
      respond: (r) =>
        r.kind === "push"
          ? { connectCode: "invalid_argument", message: "profile too old" }
          : (r.headers["content-type"] ?? "").startsWith("multipart/")
            ? { status: 422, body: "bad profile" }
            : undefined,
    });
    t.after(() => fake.close());
    const run = captureIO();
    assert.equal(await main(["replay", c.dataPath, "--to", fake.url], run.io), 1);
    assert.equal(run.out(), `replay: 2 sent, 3 failed, 0 skipped (to ${fake.url})\n`);
    const errors = run.err().trimEnd().split("\n");
    assert.equal(errors.length, 3);
    assert.match(
      errors[0]!,
      /^failed: go-app \S+-process_cpu-\S+: invalid_argument: profile too old \(0 retries\)$/,
    );
    assert.match(
      errors[1]!,
      /^failed: capture-test \S+: remote error: pyroscope write error: status=422 msg=bad profile/,
    );
  });

  test("transient failures are retried with backoff", async (t) => {
    const c = await startCapture();
    t.after(() => c.stop());
    await c.component.push({ headers: {}, labels: pushLabels, samples: [{ id: "", rawProfile: goCpu }] });
    const fake = await startFakePyroscope({ failFirst: 2 });
    t.after(() => fake.close());
    const run = captureIO();
    const args = [
      "replay",
      c.dataPath,
      "--to",
      fake.url,
      "--min-backoff-period=1ms",
      "--max-backoff-period=2ms",
    ];
    assert.equal(await main(args, run.io), 0, run.err());
    assert.equal(fake.pushes.length, 3);
    assert.match(run.out(), /1 sent, 0 failed/);

    const giveUp = captureIO();
    const fake2 = await startFakePyroscope({ failFirst: 10 });
    t.after(() => fake2.close());
    const args2 = [
      "replay",
      c.dataPath,
      "--to",
      fake2.url,
      "--min-backoff-period=1ms",
      "--max-backoff-retries=2",
    ];
    assert.equal(await main(args2, giveUp.io), 1);
    assert.equal(fake2.pushes.length, 2);
    assert.match(giveUp.err(), /unavailable: try later \(2 retries\)/);
  });

  test("--since and --service skip profiles; auth and headers apply to every request", async (t) => {
    const c = await filledCapture();
    t.after(() => c.stop());
    const fake = await startFakePyroscope();
    t.after(() => fake.close());

    const future = captureIO();
    assert.equal(
      await main(["replay", c.dataPath, "--to", fake.url, "--since", "2999-01-01T00:00:00Z"], future.io),
      0,
    );
    assert.equal(future.out(), `replay: 0 sent, 0 failed, 5 skipped (to ${fake.url})\n`);
    assert.equal(fake.requests.length, 0);

    const run = captureIO();
    const args = [
      "replay",
      c.dataPath,
      `--to=${fake.url}`,
      "--since=1h",
      "--service=go-app",
      "--basic-auth.username=user",
      "--basic-auth.password=pw",
      "--header",
      "X-Scope-OrgID: tenant-b",
      "--header=X-Extra: 1",
    ];
    assert.equal(await main(args, run.io), 0, run.err());
    assert.equal(run.out(), `replay: 1 sent, 0 failed, 4 skipped (to ${fake.url})\n`);
    assert.equal(fake.pushes.length, 1);
    const h = fake.pushes[0]!.headers;
    assert.equal(h.authorization, `Basic ${Buffer.from("user:pw").toString("base64")}`);
    assert.equal(h["x-scope-orgid"], "tenant-b");
    assert.equal(h["x-extra"], "1");
  });

  test("a progress bar on a terminal", async (t) => {
    const c = await startCapture();
    t.after(() => c.stop());
    await c.component.push({
      headers: {},
      labels: pushLabels,
      samples: [
        { id: "", rawProfile: goCpu },
        { id: "", rawProfile: goCpu },
      ],
    });
    const fake = await startFakePyroscope();
    t.after(() => fake.close());
    const run = captureIO(true);
    assert.equal(await main(["replay", c.dataPath, "--to", fake.url], run.io), 0);
    assert.match(run.err(), /\[#{15}\.{15}\] 1\/2 {2}sent 1 {2}failed 0 {2}skipped 0/);
    assert.match(run.err(), /\[#{30}\] 2\/2 {2}sent 2 {2}failed 0 {2}skipped 0\n$/);
  });

  test("usage errors", async () => {
    const cases: [string[], RegExp][] = [
      [["replay", "dir"], /required flag\(s\) "to" not set/],
      [["replay", "--to", "http://x"], /accepts 1 arg\(s\), received 0/],
      [
        ["replay", "dir", "--to", "http://x", "--since", "yesterday"],
        /invalid argument "yesterday" for "--since"/,
      ],
      [["replay", "dir", "--to", "http://x", "--header", "nocolon"], /invalid header "nocolon"/],
      [
        ["replay", "dir", "--to", "http://x", "--bearer-token", "a", "--basic-auth.username", "u"],
        /at most one of basic-auth, authorization, oauth2, bearer-token & bearer-token-file/,
      ],
      [["replay", "dir", "--to", "ftp://x"], /must use http or https/],
      [["replay", "/nonexistent/capture", "--to", "http://127.0.0.1:9"], /cannot read .*: no such directory/],
    ];
    for (const [argv, message] of cases) {
      const run = captureIO();
      assert.equal(await main(argv, run.io), 1, argv.join(" "));
      assert.match(run.err(), message);
    }
  });
});
