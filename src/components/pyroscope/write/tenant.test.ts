/**
 * The tenant from a label: a profile that reaches `pyroscope.write` with `__tenant_id__` is sent with that value
 * as `X-Scope-OrgID` (over a forwarded header and the endpoint's own `headers`), never with the label itself,
 * directly and through the queue; an invalid tenant is a 400 and nothing is sent.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { makeTempDir } from "../../../../test/support/cleanup.ts";
import { startFakePyroscope } from "../../../../test/support/fake-pyroscope.ts";
import { IngestQuery } from "../../../pyroscope/ingest-query.ts";
import { Labels } from "../../../pyroscope/labels.ts";
import { parseName } from "../../../pyroscope/name-grammar.ts";
import type { IngestRequest, PushRequest } from "../../../pyroscope/receiver.ts";
import { defaultsOf } from "../../../syntax/decode.ts";
import { queueBody } from "./arguments.ts";
import { endpointArgs, startWrite, writeArgs } from "./test-harness.ts";

const FORWARDED = { "x-scope-orgid": "from-the-sdk" };

function push(labels: Record<string, string>): PushRequest {
  return {
    labels: Labels.from(labels),
    samples: [{ id: "s1", rawProfile: new Uint8Array([1, 2, 3]) }],
    headers: FORWARDED,
  };
}

function ingest(labels: Record<string, string>): IngestRequest {
  return {
    labels: Labels.from(labels),
    body: new Uint8Array([4, 5, 6]),
    contentType: ["binary/octet-stream"],
    path: "/ingest",
    query: IngestQuery.parse("name=app.cpu&format=pprof"),
    headers: FORWARDED,
  };
}

const TENANT_LABELS = { __name__: "process_cpu", service_name: "app", __tenant_id__: "team-a" };

for (const mode of ["direct", "queue"] as const) {
  describe(`__tenant_id__ (${mode})`, () => {
    test("becomes X-Scope-OrgID over forwarded and configured headers; the label is not sent", async (t) => {
      const fake = await startFakePyroscope();
      t.after(() => fake.close());
      const dir = await makeTempDir(t, "write-tenant-");
      const w = await startWrite(
        writeArgs({
          endpoint: [endpointArgs({ url: fake.url, headers: { "X-Scope-OrgID": "configured" } })],
          ...(mode === "queue" ? { queue: { ...defaultsOf(queueBody), path: dir } } : {}),
        }),
      );
      t.after(() => w.stop());
      assert.equal((await w.receiver.push(push(TENANT_LABELS))).ok, true);
      assert.equal((await w.receiver.ingest(ingest({ ...TENANT_LABELS, __name__: "app.cpu" }))).ok, true);
      // without the label, the usual rules apply: the endpoint's own header wins over the forwarded one
      assert.equal((await w.receiver.push(push({ service_name: "app" }))).ok, true);
      const deadline = Date.now() + 10_000;
      while (fake.requests.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const pushes = fake.pushes;
      assert.equal(pushes.length, 2);
      const tenanted = pushes.find((r) => r.push?.series[0]?.labels.some((l) => l.name === "__name__"));
      assert.equal(tenanted?.headers["x-scope-orgid"], "team-a");
      assert.ok(tenanted?.push?.series[0]?.labels.every((l) => l.name !== "__tenant_id__"));
      const plain = pushes.find((r) => r !== tenanted);
      assert.equal(plain?.headers["x-scope-orgid"], "configured");
      const [up] = fake.ingests;
      assert.equal(up?.headers["x-scope-orgid"], "team-a");
      const name = new URLSearchParams(up?.query).get("name") ?? "";
      assert.equal(parseName(name).has("__tenant_id__"), false, name);
    });

    test("an invalid tenant is a 400 and nothing is sent", async (t) => {
      const fake = await startFakePyroscope();
      t.after(() => fake.close());
      const dir = await makeTempDir(t, "write-tenant-");
      const w = await startWrite(
        writeArgs({
          endpoint: [endpointArgs({ url: fake.url })],
          ...(mode === "queue" ? { queue: { ...defaultsOf(queueBody), path: dir } } : {}),
        }),
      );
      t.after(() => w.stop());
      for (const bad of ["a/b", "x".repeat(151), ".."]) {
        const outcome = await w.receiver.push(push({ ...TENANT_LABELS, __tenant_id__: bad }));
        assert.equal(outcome.ok, false);
        assert.equal(!outcome.ok && outcome.httpStatus, 400);
        assert.match(!outcome.ok ? outcome.message : "", /invalid __tenant_id__ label/);
      }
      assert.equal(fake.requests.length, 0);
    });
  });
}
