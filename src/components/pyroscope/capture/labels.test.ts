import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { startFakePyroscope } from "../../../../test/support/fake-pyroscope.ts";
import { pushRequestBody } from "../../../../test/support/push-request.ts";
import { rawRequest, start, testArgs } from "../receive_http/testkit.ts";
import { endpointArgs, startWrite, writeArgs } from "../write/test-harness.ts";
import { listCaptures } from "./catalog.ts";
import { startCapture } from "./test-harness.ts";

function pushBody(labels: Record<string, string>): Uint8Array {
  return pushRequestBody(labels, new Uint8Array([1, 2, 3]));
}

/** Requests `pyroscope.write` refuses with 400 because of their labels. */
const BAD: readonly { readonly what: string; readonly path: string; readonly body: Uint8Array }[] = [
  { what: "ingest name with a NUL", path: "/ingest?name=a%00b", body: new Uint8Array([1]) },
  {
    what: "ingest label name with a space",
    path: "/ingest?name=app%7Bbad%20name%3Dx%7D",
    body: new Uint8Array([1]),
  },
  {
    what: "push label name with a space",
    path: "/push.v1.PusherService/Push",
    body: pushBody({ __name__: "process_cpu", service_name: "svc", "bad name": "x" }),
  },
  {
    what: "push label name with a NUL",
    path: "/push.v1.PusherService/Push",
    body: pushBody({ __name__: "process_cpu", service_name: "svc", "a\u0000b": "x" }),
  },
];

describe("pyroscope.capture label validation", () => {
  test("capture refuses what pyroscope.write refuses, with the same 400, and stores nothing", async (t) => {
    const capture = await startCapture();
    t.after(() => capture.stop());
    const fake = await startFakePyroscope();
    t.after(() => fake.close());
    const write = await startWrite(writeArgs({ endpoint: [endpointArgs({ url: fake.url })] }));
    t.after(() => write.stop());
    const toCapture = await start(testArgs([capture.component]));
    t.after(() => toCapture.stop());
    const toWrite = await start(testArgs([write.receiver]));
    t.after(() => toWrite.stop());

    for (const bad of BAD) {
      const headers: [string, string][] = bad.path.startsWith("/push")
        ? [["Content-Type", "application/proto"]]
        : [["Content-Type", "application/octet-stream"]];
      const viaWrite = await rawRequest(`${toWrite.url}${bad.path}`, {
        method: "POST",
        headers,
        body: bad.body,
      });
      const viaCapture = await rawRequest(`${toCapture.url}${bad.path}`, {
        method: "POST",
        headers,
        body: bad.body,
      });
      assert.equal(viaWrite.status, 400, `${bad.what}: write answers 400`);
      assert.equal(viaCapture.status, 400, `${bad.what}: capture answers ${viaCapture.status}`);
      assert.equal(viaCapture.body.toString(), viaWrite.body.toString(), `${bad.what}: same message`);
    }
    assert.equal(fake.requests.length, 0);
    assert.deepEqual((await listCaptures(capture.dataPath)).entries, []);

    // A valid profile still gets through.
    const ok = await rawRequest(`${toCapture.url}/push.v1.PusherService/Push`, {
      method: "POST",
      headers: [["Content-Type", "application/proto"]],
      body: pushBody({ __name__: "process_cpu", service_name: "svc" }),
    });
    assert.equal(ok.status, 200);
    assert.equal((await listCaptures(capture.dataPath)).entries.length, 1);
  });
});
