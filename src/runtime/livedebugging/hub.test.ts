import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { IngestQuery } from "../../pyroscope/ingest-query.ts";
import { Labels } from "../../pyroscope/labels.ts";
import { failure, OK } from "../../pyroscope/receiver.ts";
import { ingestEvent, ingestFormat, outcomeAt, type ProfileEvent, pushEvent } from "./event.ts";
import { DISABLED_MESSAGE, LiveDebugging, liveTap, NO_TAP, type StoredEvent } from "./hub.ts";

function event(size: number): ProfileEvent {
  return pushEvent(
    {
      labels: Labels.from({ service_name: "app" }),
      samples: [{ id: "", rawProfile: new Uint8Array(size) }],
      headers: {},
    },
    [outcomeAt("a", OK)],
  );
}

function watch(hub: LiveDebugging, id: string) {
  const seen: StoredEvent[] = [];
  const ended: string[] = [];
  const w = hub.watch(id, { event: (s) => seen.push(s), end: (why) => ended.push(why) });
  if ("error" in w) throw new Error(w.error);
  return { seen, ended, ...w };
}

describe("live debugging hub", () => {
  it("is not watched, and records nothing, until enabled and watched", () => {
    const hub = new LiveDebugging();
    const tap = hub.tap("c");
    assert.equal(tap.watched, false);
    assert.deepEqual(hub.watch("c", { event: () => {}, end: () => {} }), { error: DISABLED_MESSAGE });
    hub.setEnabled(true);
    assert.equal(tap.watched, false, "enabled but nobody watches");
    tap.publish(event(10));
    const w = watch(hub, "c");
    assert.deepEqual(w.history, [], "nothing was kept while no one watched");
    assert.equal(tap.watched, true);
    tap.publish(event(10));
    assert.equal(w.seen.length, 1);
    assert.equal(w.seen[0]!.event.labels["service_name"], "app");
    w.stop();
    assert.equal(tap.watched, false);
    assert.equal(hub.find("c", w.seen[0]!.seq), undefined, "the ring is emptied when the last viewer leaves");
  });

  it("refuses components that do not publish", () => {
    const hub = new LiveDebugging();
    hub.setEnabled(true);
    assert.deepEqual(hub.watch("pyroscope.write.x", { event: () => {}, end: () => {} }), {
      error: 'the component "pyroscope.write.x" does not support live debugging',
    });
    assert.equal(hub.supports("pyroscope.write.x"), false);
    hub.tap("pyroscope.write.x");
    assert.equal(hub.supports("pyroscope.write.x"), true);
  });

  it("keeps a ring buffer bounded in events and bytes, and gives it to a new viewer", () => {
    const hub = new LiveDebugging({ maxEvents: 3, maxBytes: 100 });
    hub.setEnabled(true);
    const tap = hub.tap("c");
    const first = watch(hub, "c");
    for (let i = 0; i < 5; i++) tap.publish(event(10));
    const second = watch(hub, "c");
    assert.deepEqual(
      second.history.map((s) => s.seq),
      first.seen.slice(-3).map((s) => s.seq),
    );
    tap.publish(event(95));
    const third = watch(hub, "c");
    assert.deepEqual(
      third.history.map((s) => s.event.size),
      [95],
      "older events leave when the bytes are over the limit",
    );
    assert.ok(hub.find("c", third.history[0]!.seq) !== undefined);
  });

  it("ends every stream when turned off", () => {
    const hub = new LiveDebugging();
    hub.setEnabled(true);
    const tap = hub.tap("c");
    const w = watch(hub, "c");
    hub.setEnabled(false);
    assert.deepEqual(w.ended, [DISABLED_MESSAGE]);
    assert.equal(tap.watched, false);
  });

  it("counts every component's profiles for the graph without keeping them", () => {
    const hub = new LiveDebugging();
    hub.setEnabled(true);
    const a = hub.tap("a");
    const b = hub.tap("b");
    const counts: [string, number][] = [];
    const ended: string[] = [];
    const w = hub.watchCounts({ count: (id, n) => counts.push([id, n]), end: (why) => ended.push(why) });
    assert.ok(!("error" in w));
    assert.equal(a.watched && b.watched, true);
    a.publish(event(1));
    b.publish(event(1));
    assert.deepEqual(counts, [
      ["a", 1],
      ["b", 1],
    ]);
    assert.equal(hub.find("a", 1), undefined);
    w.stop();
    assert.equal(a.watched || b.watched, false);
    hub.watchCounts({ count: () => {}, end: (why) => ended.push(why) });
    hub.setEnabled(false);
    assert.deepEqual(ended, [DISABLED_MESSAGE]);
  });

  it("gives components run without a hub a tap that is never watched", () => {
    assert.equal(liveTap({ id: "x" }), NO_TAP);
    assert.equal(NO_TAP.watched, false);
  });
});

describe("profile events", () => {
  it("describe an ingest upload with its format", () => {
    const e = ingestEvent(
      {
        labels: Labels.from({ service_name: "a" }),
        body: new Uint8Array(7),
        contentType: ["multipart/form-data; boundary=x"],
        path: "/ingest",
        query: IngestQuery.parse("name=a&spyName=nodespy"),
        headers: {},
      },
      [outcomeAt("t", failure(503, "down"))],
    );
    assert.equal(e.format, "pprof");
    assert.equal(e.size, 7);
    assert.deepEqual(e.outcomes, [{ target: "t", state: "failed", httpStatus: 503, reason: "down" }]);
    assert.equal(ingestFormat(IngestQuery.parse("format=jfr"), undefined), "jfr");
    assert.equal(ingestFormat(IngestQuery.parse(""), "text/plain"), "folded");
  });
});
