/** Live debugging of `pyroscope.write`: every profile with each endpoint's outcome, or `queued`. */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { startFakePyroscope } from "../../../../test/support/fake-pyroscope.ts";
import { Labels } from "../../../pyroscope/labels.ts";
import type { StoredEvent } from "../../../runtime/livedebugging/hub.ts";
import { LiveDebugging } from "../../../runtime/livedebugging/hub.ts";
import { defaultsOf } from "../../../syntax/decode.ts";
import { queueBody } from "./arguments.ts";
import { endpointArgs, startWrite, writeArgs } from "./test-harness.ts";

const request = {
  labels: Labels.from({ service_name: "app" }),
  samples: [{ id: "s", rawProfile: new Uint8Array([1, 2, 3]) }],
  headers: {},
};

function watching(hub: LiveDebugging): StoredEvent[] {
  const seen: StoredEvent[] = [];
  const w = hub.watch("pyroscope.write.test", { event: (e) => seen.push(e), end: () => {} });
  if ("error" in w) throw new Error(w.error);
  return seen;
}

test("each endpoint's outcome is shown: delivered, and dropped with the downstream's status", async (t) => {
  const up = await startFakePyroscope();
  const refusing = await startFakePyroscope({
    respond: () => ({ status: 400, connectCode: "invalid_argument" }),
  });
  t.after(() => Promise.all([up.close(), refusing.close()]));
  const hub = new LiveDebugging();
  hub.setEnabled(true);
  const w = await startWrite(
    writeArgs({
      endpoint: [
        endpointArgs({ url: up.url, name: "up" }),
        endpointArgs({ url: refusing.url, name: "refusing" }),
      ],
    }),
    {},
    undefined,
    hub,
  );
  t.after(() => w.stop());
  const seen = watching(hub);
  assert.equal((await w.receiver.push(request)).ok, false);
  assert.equal(seen.length, 1);
  const outcomes = [...seen[0]!.event.outcomes].sort((a, b) => a.target.localeCompare(b.target));
  assert.deepEqual(
    outcomes.map((o) => [o.target, o.state, o.httpStatus]),
    [
      ["refusing", "dropped", 400],
      ["up", "delivered", undefined],
    ],
  );
});

test("with a queue, a profile on disk is shown as queued", async (t) => {
  const fake = await startFakePyroscope();
  const dir = await mkdtemp(join(tmpdir(), "write-live-"));
  t.after(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });
  const hub = new LiveDebugging();
  hub.setEnabled(true);
  const w = await startWrite(
    writeArgs({
      endpoint: [endpointArgs({ url: fake.url })],
      queue: { ...defaultsOf(queueBody), path: dir },
    }),
    {},
    undefined,
    hub,
  );
  t.after(() => w.stop());
  const seen = watching(hub);
  assert.equal((await w.receiver.push(request)).ok, true);
  assert.deepEqual(seen[0]?.event.outcomes, [{ target: "queue", state: "queued" }]);
});
