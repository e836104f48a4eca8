import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { OK } from "../../../pyroscope/receiver.ts";
import {
  failed,
  fixturePath,
  RecordingReceiver,
  type Running,
  rawRequest,
  rejected,
  start,
  testArgs,
} from "./testkit.ts";

/** A fresh component per case, as Alloy's TestForwardsProfilesIngest does. */
async function withComponent<T>(
  receivers: RecordingReceiver[],
  fn: (r: Running) => Promise<T>,
  changes: Parameters<typeof testArgs>[1] = {},
): Promise<T> {
  const running = await start(testArgs(receivers, changes));
  try {
    return await fn(running);
  } finally {
    await running.stop();
  }
}

function labelsOf(r: RecordingReceiver): Record<string, string> {
  const last = r.ingests.at(-1);
  assert.ok(last, "the receiver got no profile");
  return last.labels.toRecord();
}

describe("TestForwardsProfilesIngest (spec §5 cases 1-10)", () => {
  test("1: small profile reaches both receivers byte for byte, with labels and the query", async () => {
    const receivers = [new RecordingReceiver(), new RecordingReceiver()];
    const body = randomBytes(1024);
    const query = "name=test_app&from=1234567890&until=1234567900";
    await withComponent(receivers, async ({ url }) => {
      const res = await rawRequest(`${url}/ingest?${query}`, {
        headers: [["Content-Type", "application/octet-stream"]],
        body,
      });
      assert.equal(res.status, 200);
      assert.equal(res.body.length, 0);
    });
    for (const r of receivers) {
      assert.equal(r.ingests.length, 1);
      const got = r.ingests[0]!;
      assert.ok(Buffer.from(got.body).equals(body));
      assert.deepEqual(got.contentType, ["application/octet-stream"]);
      assert.equal(got.query.toString(), query);
      assert.equal(got.path, "/ingest");
      assert.deepEqual(labelsOf(r), { __name__: "test_app", service_name: "test_app" });
    }
  });

  test("2: 1 MiB body, three Content-Type values in order, extra query parameter", async () => {
    const receivers = [new RecordingReceiver()];
    const body = randomBytes(1024 * 1024);
    const query = "name=test_app&from=1234567891&until=1234567901&custom=param1";
    await withComponent(receivers, async ({ url }) => {
      const res = await rawRequest(`${url}/ingest?${query}`, {
        headers: [
          ["Content-Type", "my-content"],
          ["Content-Type", "is"],
          ["Content-Type", "multiple"],
        ],
        body,
      });
      assert.equal(res.status, 200);
    });
    const got = receivers[0]!.ingests[0]!;
    assert.deepEqual(got.contentType, ["my-content", "is", "multiple"]);
    assert.ok(Buffer.from(got.body).equals(body));
    assert.equal(got.query.get("custom"), "param1");
  });

  for (const [n, query] of [
    ["3", "name=test_app&from=1234567892&until=1234567902"],
    ["4", "test=test_app"],
  ] as const) {
    test(`${n}: GET /ingest?${query} → 405 with an empty body, nothing forwarded`, async () => {
      const receivers = [new RecordingReceiver(), new RecordingReceiver()];
      await withComponent(receivers, async ({ url }) => {
        const res = await rawRequest(`${url}/ingest?${query}`, { method: "GET" });
        assert.equal(res.status, 405);
        assert.equal(res.body.length, 0);
        assert.equal(res.headers["allow"], undefined);
      });
      assert.deepEqual(
        receivers.map((r) => r.ingests.length),
        [0, 0],
      );
    });
  }

  test("5: POST /invalid → 404 `404 page not found`, nothing forwarded", async () => {
    const receivers = [new RecordingReceiver(), new RecordingReceiver()];
    await withComponent(receivers, async ({ url }) => {
      const res = await rawRequest(`${url}/invalid?name=test_app`, { body: randomBytes(1024) });
      assert.equal(res.status, 404);
      assert.equal(res.body.toString(), "404 page not found\n");
      assert.equal(res.headers["content-type"], "text/plain; charset=utf-8");
    });
    assert.deepEqual(
      receivers.map((r) => r.ingests.length),
      [0, 0],
    );
  });

  test("6: both receivers fail → 500, both still got the profile", async () => {
    const receivers = [new RecordingReceiver(failed("error1")), new RecordingReceiver(failed("error2"))];
    await withComponent(receivers, async ({ url }) => {
      const res = await rawRequest(`${url}/ingest?name=test_app&scenario=all_fail`, {
        body: randomBytes(2048),
      });
      assert.equal(res.status, 500);
      assert.match(res.body.toString(), /^Internal Server Error: error[12]\n$/);
    });
    assert.deepEqual(
      receivers.map((r) => r.ingests.length),
      [1, 1],
    );
  });

  test("7: one receiver fails, the other succeeds → 500, both got the profile", async () => {
    const receivers = [new RecordingReceiver(failed("error")), new RecordingReceiver()];
    await withComponent(receivers, async ({ url }) => {
      const res = await rawRequest(`${url}/ingest?name=test_app&scenario=partial_failure`, {
        body: randomBytes(4096),
      });
      assert.equal(res.status, 500);
    });
    assert.deepEqual(
      receivers.map((r) => r.ingests.length),
      [1, 1],
    );
  });

  const labelCases: [string, string, Record<string, string>][] = [
    [
      "8",
      "name=test.app{env=prod,region=us-east}",
      { __name__: "test.app", service_name: "test.app", env: "prod", region: "us-east" },
    ],
    ["9", "name=test.app{invalid-label-syntax}", { __name__: "test.app", service_name: "test.app" }],
    [
      "10",
      "name=test.app{service_name=my-service}",
      { __name__: "test.app", service_name: "my-service", app_name: "test.app" },
    ],
  ];
  for (const [n, query, expected] of labelCases) {
    test(`${n}: ${query} → 200 with labels ${JSON.stringify(expected)}`, async () => {
      const receivers = [new RecordingReceiver(), new RecordingReceiver()];
      await withComponent(receivers, async ({ url }) => {
        const res = await rawRequest(`${url}/ingest?${query}`, {
          headers: [["Content-Type", "application/octet-stream"]],
          body: randomBytes(1024),
        });
        assert.equal(res.status, 200);
      });
      for (const r of receivers) assert.deepEqual(labelsOf(r), expected);
    });
  }
});

describe("ingest: labels and query details", () => {
  let running: Running;
  const receiver = new RecordingReceiver();
  before(async () => {
    running = await start(testArgs([receiver]));
  });
  after(() => running.stop());

  const cases: [string, string, Record<string, string>][] = [
    [
      "percent-encoded name",
      "name=test.app%7Benv%3Dprod%7D&from=1",
      { __name__: "test.app", env: "prod", service_name: "test.app" },
    ],
    ["no name → no labels", "from=1&until=2", {}],
    ["unparseable app name → no labels", "name=bad%20app!{a=b}", {}],
    [
      "`+` decodes to a space (then trimmed)",
      "name=app+{a=b+c}",
      { __name__: "app", a: "b c", service_name: "app" },
    ],
    [
      "__name__ inside braces overrides the app name",
      "name=app{__name__=other}",
      { __name__: "other", service_name: "other" },
    ],
  ];
  for (const [what, query, expected] of cases) {
    test(what, async () => {
      const res = await rawRequest(`${running.url}/ingest?${query}`, { body: "x" });
      assert.equal(res.status, 200);
      assert.deepEqual(labelsOf(receiver), expected);
      assert.equal(receiver.ingests.at(-1)!.query.toString(), query);
    });
  }

  test("/pyroscope/ingest is an alias of /ingest", async () => {
    const res = await rawRequest(`${running.url}/pyroscope/ingest?name=alias`, { body: "abc" });
    assert.equal(res.status, 200);
    assert.equal(receiver.ingests.at(-1)!.path, "/pyroscope/ingest");
    assert.deepEqual(labelsOf(receiver), { __name__: "alias", service_name: "alias" });
  });

  test("a trailing slash is not tolerated; an unclean path is redirected like gorilla/mux does", async () => {
    assert.equal((await rawRequest(`${running.url}/ingest/`, { body: "x" })).status, 404);
    const res = await rawRequest(`${running.url}//ingest?name=a`, { body: "x" });
    assert.equal(res.status, 301);
    assert.equal(res.headers["location"], "/ingest?name=a");
  });

  test("an empty body is forwarded as an empty profile", async () => {
    const before = receiver.ingests.length;
    const res = await rawRequest(`${running.url}/ingest?name=empty`, { body: "" });
    assert.equal(res.status, 200);
    assert.equal(receiver.ingests.length, before + 1);
    assert.equal(receiver.ingests.at(-1)!.body.length, 0);
    assert.deepEqual(receiver.ingests.at(-1)!.contentType, []);
  });

  test("a chunked body (no Content-Length) is read whole", async () => {
    const body = randomBytes(300_000);
    const res = await fetch(`${running.url}/ingest?name=chunked`, {
      method: "POST",
      body: new ReadableStream({
        start(c) {
          c.enqueue(body.subarray(0, 100_000));
          c.enqueue(body.subarray(100_000));
          c.close();
        },
      }),
      duplex: "half",
    } as RequestInit);
    assert.equal(res.status, 200);
    assert.ok(Buffer.from(receiver.ingests.at(-1)!.body).equals(body));
  });
});

describe("ingest: the downstream's answer reaches the client", () => {
  const cases: [string, ReturnType<typeof failed>[], number, RegExp, string | undefined][] = [
    [
      "a 400 stays 400 and carries the message",
      [rejected("invalid labels: bad name", 400)],
      400,
      /^Bad Request: invalid labels: bad name\n$/,
      undefined,
    ],
    [
      "a 429 with a delay gives Retry-After",
      [failed("slow down", 429, 2500)],
      429,
      /^Too Many Requests: slow down\n$/,
      "3",
    ],
    [
      "a transient failure wins over a refusal, so the client retries",
      [rejected("nope", 400), failed("down", 503)],
      503,
      /^Service Unavailable: down\n$/,
      undefined,
    ],
  ];
  for (const [what, outcomes, status, body, retryAfter] of cases) {
    test(what, async () => {
      const receivers = outcomes.map((o) => new RecordingReceiver(o));
      await withComponent(receivers, async ({ url }) => {
        const res = await rawRequest(`${url}/ingest?name=a`, { body: "x" });
        assert.equal(res.status, status);
        assert.match(res.body.toString(), body);
        assert.equal(res.headers["retry-after"], retryAfter);
      });
    });
  }

  test("a receiver that throws is a 500, and the other receivers still run", async () => {
    const thrower = new RecordingReceiver(() => {
      throw new Error("boom");
    });
    const ok = new RecordingReceiver(OK);
    await withComponent([thrower, ok], async ({ url }) => {
      const res = await rawRequest(`${url}/ingest?name=a`, { body: "x" });
      assert.equal(res.status, 500);
      assert.equal(res.body.toString(), "Internal Server Error: boom\n");
    });
    assert.equal(ok.ingests.length, 1);
  });

  test("no receivers → 200", async () => {
    await withComponent([], async ({ url }) => {
      assert.equal((await rawRequest(`${url}/ingest?name=a`, { body: "x" })).status, 200);
    });
  });

  test("forward_headers carries the tenant header; other headers are not passed on", async () => {
    const receiver = new RecordingReceiver();
    await withComponent(
      [receiver],
      async ({ url }) => {
        const res = await rawRequest(`${url}/ingest?name=a`, {
          headers: [
            ["X-Scope-OrgID", "tenant-a"],
            ["Authorization", "Bearer secret"],
          ],
          body: "x",
        });
        assert.equal(res.status, 200);
      },
      { forward_headers: ["X-Scope-OrgID"] },
    );
    assert.deepEqual(receiver.ingests[0]!.headers, { "x-scope-orgid": "tenant-a" });
  });

  test("without forward_headers nothing but the body, content type, path and query goes on", async () => {
    const receiver = new RecordingReceiver();
    await withComponent([receiver], async ({ url }) => {
      await rawRequest(`${url}/ingest?name=a`, { headers: [["X-Scope-OrgID", "tenant-a"]], body: "x" });
    });
    assert.deepEqual(receiver.ingests[0]!.headers, {});
  });
});

/** Every body format SDKs send, as they send it (spec: pyroscope-protocols §2.4, §3). */
describe("ingest: fixtures arrive byte-identical with their Content-Type", () => {
  let running: Running;
  const receiver = new RecordingReceiver();
  before(async () => {
    running = await start(testArgs([receiver]));
  });
  after(() => running.stop());

  function multipart(parts: { name: string; filename: string; type: string; data: Buffer }[]): {
    body: Buffer;
    contentType: string;
  } {
    const boundary = "----profile-relay-test-boundary";
    const chunks: Buffer[] = [];
    for (const p of parts) {
      chunks.push(
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"; filename="${p.filename}"\r\nContent-Type: ${p.type}\r\n\r\n`,
        ),
        p.data,
        Buffer.from("\r\n"),
      );
    }
    chunks.push(Buffer.from(`--${boundary}--\r\n`));
    return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
  }

  const read = (p: string) => readFileSync(fixturePath(p));
  const cases: { what: string; query: string; contentType: string; body: () => Buffer }[] = [
    {
      what: "pprof (gzip)",
      query: "format=pprof&name=go-app.cpu",
      contentType: "application/octet-stream",
      body: () => read("pprof/go-cpu.pb.gz"),
    },
    {
      what: "pprof (plain, 1 MiB)",
      query: "format=pprof&name=go-app",
      contentType: "application/octet-stream",
      body: () => read("pprof/go-heap-alloc-space-1mb.pb"),
    },
    {
      what: "pprof (plain, 2.6 MiB)",
      query: "format=pprof&name=go-app",
      contentType: "application/octet-stream",
      body: () => read("pprof/go-heap-large.pb"),
    },
    {
      what: "JFR (raw)",
      query: "format=jfr&name=kafka{env=prod}",
      contentType: "application/octet-stream",
      body: () => read("jfr/recording.jfr"),
    },
    {
      what: "folded",
      query: "name=docs.cpu&from=1&until=2",
      contentType: "text/plain",
      body: () => read("folded/docs-example.folded.txt"),
    },
    {
      what: "lines",
      query: "format=lines&name=docs.cpu",
      contentType: "text/plain",
      body: () => read("folded/docs-example.lines.txt"),
    },
    {
      what: "trie",
      query: "format=trie&name=java.cpu",
      contentType: "binary/octet-stream+trie",
      body: () => read("trie/go-cpu.trie"),
    },
    {
      what: "speedscope",
      query: "format=speedscope&name=ss",
      contentType: "application/json",
      body: () => read("speedscope/two-sampled.speedscope.json"),
    },
  ];
  for (const c of cases) {
    test(c.what, async () => {
      const body = c.body();
      const res = await rawRequest(`${running.url}/ingest?${c.query}`, {
        headers: [["Content-Type", c.contentType]],
        body,
      });
      assert.equal(res.status, 200);
      const got = receiver.ingests.at(-1)!;
      assert.ok(Buffer.from(got.body).equals(body));
      assert.deepEqual(got.contentType, [c.contentType]);
      assert.equal(got.query.toString(), c.query);
    });
  }

  test("multipart pprof with sample_type_config (pyroscope-go)", async () => {
    const form = multipart([
      {
        name: "profile",
        filename: "profile.pprof",
        type: "application/octet-stream",
        data: read("pprof/go-block.pb.gz"),
      },
      {
        name: "sample_type_config",
        filename: "sample_type_config.json",
        type: "application/octet-stream",
        data: read("pprof/go-block.sample_type_config.json"),
      },
    ]);
    const query =
      "aggregationType=sum&from=1700000000000000000&name=go-app%7B%7D&sampleRate=100&spyName=gospy&units=samples&until=1700000010000000000";
    const res = await rawRequest(`${running.url}/ingest?${query}`, {
      headers: [["Content-Type", form.contentType]],
      body: form.body,
    });
    assert.equal(res.status, 200);
    const got = receiver.ingests.at(-1)!;
    assert.ok(Buffer.from(got.body).equals(form.body));
    assert.deepEqual(got.contentType, [form.contentType]);
    assert.deepEqual(got.labels.toRecord(), { __name__: "go-app", service_name: "go-app" });
  });

  test("multipart JFR with labels (Java agent)", async () => {
    const form = multipart([
      { name: "jfr", filename: "jfr", type: "application/octet-stream", data: read("jfr/recording.jfr.gz") },
      {
        name: "labels",
        filename: "labels",
        type: "application/x-protobuf",
        data: read("jfr/recording.labels.pb.gz"),
      },
    ]);
    const query =
      "name=java-app%7Benv%3Dtest%7D&units=samples&aggregationType=sum&from=1&until=2&spyName=javaspy&sampleRate=100&format=jfr";
    const res = await rawRequest(`${running.url}/ingest?${query}`, {
      headers: [["Content-Type", form.contentType]],
      body: form.body,
    });
    assert.equal(res.status, 200);
    const got = receiver.ingests.at(-1)!;
    assert.ok(Buffer.from(got.body).equals(form.body));
    assert.deepEqual(got.labels.toRecord(), { __name__: "java-app", env: "test", service_name: "java-app" });
  });

  test("recorded Node SDK requests (0.6.4 raw pprof and 0.6.1 multipart) replay as captured", async () => {
    const manifest = JSON.parse(read("node-sdk/requests.json").toString()) as {
      requests: {
        method: string;
        path_and_query: string;
        headers: Record<string, string>;
        body_file: string;
      }[];
    };
    const requests = manifest.requests;
    assert.equal(requests.length, 4);
    for (const r of requests) {
      const target = r.path_and_query;
      const file = r.body_file;
      const body = read(`node-sdk/${file}`);
      const headers = Object.entries(r.headers).map(([k, v]) => [k, String(v)] as const);
      const res = await rawRequest(`${running.url}${target}`, { method: r.method, headers, body });
      assert.equal(res.status, 200, target);
      const got = receiver.ingests.at(-1)!;
      assert.ok(Buffer.from(got.body).equals(body), file);
      assert.equal(got.labels.get("service_name"), "capture-test");
      assert.equal(got.labels.get("env"), "test");
      assert.equal(got.labels.get("region"), "eu-west");
    }
  });
});
