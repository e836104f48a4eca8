/**
 * A client behind a failing backend gets its answer before the receiver's `server_write_timeout` closes the
 * connection: `pyroscope.write` stops retrying in time and the client gets a 503 with `Retry-After` and what
 * happened, instead of a connection closed with no status (real receive_http → write → failing backend).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { startFakePyroscope } from "../../../../test/support/fake-pyroscope.ts";
import { rawRequest, start, testArgs } from "../receive_http/testkit.ts";
import { endpointArgs, startWrite, writeArgs } from "./test-harness.ts";

test("retries stop in time to answer before server_write_timeout: 503 with Retry-After", async (t) => {
  const backend = await startFakePyroscope({ respond: () => ({ status: 503, body: "overloaded" }) });
  t.after(() => backend.close());
  const w = await startWrite(
    writeArgs({
      endpoint: [
        endpointArgs({
          url: backend.url,
          min_backoff_period: 400,
          max_backoff_period: 5_000,
          max_backoff_retries: 10,
          remote_timeout: 500,
        }),
      ],
    }),
  );
  t.after(() => w.stop());
  const receiver = await start(testArgs([w.receiver], { http: { server_write_timeout: 3_000 } }));
  t.after(() => receiver.stop());

  const res = await rawRequest(`${receiver.url}/ingest?name=app.cpu`, { body: "profile" });
  assert.equal(res.status, 503);
  assert.ok(Number(res.headers["retry-after"]) >= 1, JSON.stringify(res.headers));
  assert.match(res.body.toString(), /status=503 msg=overloaded/);
  assert.match(res.body.toString(), /stopped retrying to answer before the client's server_write_timeout/);
  assert.ok(backend.ingests.length >= 2, "it did retry while there was time");
  assert.ok(backend.ingests.length < 10, "it stopped before the retries ran out");
});
