import assert from "node:assert/strict";
import { mock, test } from "node:test";
import { startDeadline } from "./deadline.ts";

test("the deadline aborts both signals with a TimeoutError when the time is up", (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const parent = new AbortController();
  const d = startDeadline(parent.signal, 1000);
  t.mock.timers.tick(999);
  assert.equal(d.signal.aborted, false);
  t.mock.timers.tick(1);
  assert.equal(d.timeout.aborted, true);
  assert.equal(d.signal.aborted, true);
  assert.equal((d.signal.reason as DOMException).name, "TimeoutError");
  assert.equal(parent.signal.aborted, false);
  d.dispose();
});

test("the deadline follows the caller's signal, with its reason, but the timeout stays clear", (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const parent = new AbortController();
  const d = startDeadline(parent.signal, 1000);
  const reason = new Error("client gone");
  parent.abort(reason);
  assert.equal(d.signal.aborted, true);
  assert.equal(d.signal.reason, reason);
  assert.equal(d.timeout.aborted, false);
  d.dispose();
});

test("an already aborted caller aborts the deadline at once", () => {
  const parent = new AbortController();
  parent.abort(new Error("gone"));
  const d = startDeadline(parent.signal, 1000);
  assert.equal(d.signal.aborted, true);
  d.dispose();
});

test("after dispose nothing fires and the caller's signal has no listener left", (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const parent = new AbortController();
  const add = mock.method(parent.signal, "addEventListener");
  const remove = mock.method(parent.signal, "removeEventListener");
  const d = startDeadline(parent.signal, 1000);
  d.dispose();
  t.mock.timers.tick(5000);
  parent.abort();
  assert.equal(d.signal.aborted, false);
  assert.equal(d.timeout.aborted, false);
  assert.equal(add.mock.callCount(), 1);
  assert.equal(remove.mock.callCount(), 1);
  assert.equal(remove.mock.calls[0]?.arguments[1], add.mock.calls[0]?.arguments[1]);
});
