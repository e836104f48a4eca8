import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Code } from "@connectrpc/connect";
import { codeFromString } from "@connectrpc/connect/protocol-connect";
import { codeForHttpStatus, type Failure, type Outcome } from "../../../pyroscope/receiver.ts";
import { deliver } from "./deliver.ts";
import { Backoff, backoffRanges, delayBeforeRetry, retryAfterMs, shouldRetry } from "./retry.ts";

describe("shouldRetry (Alloy Test_shouldRetry_On429 and §2.6)", () => {
  const statuses: [number, boolean, boolean][] = [
    // ingest status, with retry_on_http_429, without
    [429, true, false],
    [408, true, true],
    [500, true, true],
    [501, true, true],
    [503, true, true],
    [504, true, true],
    [400, false, false],
    [404, false, false],
    [202, false, false],
    [307, false, false],
  ];
  for (const [status, on, off] of statuses) {
    test(`ingest status ${status}`, () => {
      assert.equal(shouldRetry(codeForHttpStatus(status), true), on);
      assert.equal(shouldRetry(codeForHttpStatus(status), false), off);
    });
  }
  test("deadline, canceled, and an ingest transport error (unknown)", () => {
    assert.equal(shouldRetry(Code.DeadlineExceeded, false), true);
    assert.equal(shouldRetry(Code.Canceled, true), false);
    assert.equal(shouldRetry(Code.Unknown, false), true);
  });

  const codes: [string, boolean, boolean][] = [
    ["deadline_exceeded", true, true],
    ["unknown", true, true],
    ["internal", true, true],
    ["unavailable", true, true],
    ["data_loss", true, true],
    ["aborted", true, true],
    ["resource_exhausted", true, false],
    ["canceled", false, false],
    ["invalid_argument", false, false],
    ["not_found", false, false],
    ["already_exists", false, false],
    ["permission_denied", false, false],
    ["failed_precondition", false, false],
    ["out_of_range", false, false],
    ["unimplemented", false, false],
    ["unauthenticated", false, false],
  ];
  for (const [code, on, off] of codes) {
    test(`connect ${code}`, () => {
      assert.equal(shouldRetry(codeFromString(code)!, true), on);
      assert.equal(shouldRetry(codeFromString(code)!, false), off);
    });
  }
});

describe("Backoff (dskit)", () => {
  test("default ranges: [0.5,1), [1,2) ... [128,256), then [256,300) repeating", () => {
    const s = 1000;
    assert.deepEqual(backoffRanges({ minBackoffMs: 500, maxBackoffMs: 300_000, maxRetries: 10 }, 12), [
      [0.5 * s, 1 * s],
      [1 * s, 2 * s],
      [2 * s, 4 * s],
      [4 * s, 8 * s],
      [8 * s, 16 * s],
      [16 * s, 32 * s],
      [32 * s, 64 * s],
      [64 * s, 128 * s],
      [128 * s, 256 * s],
      [256 * s, 300 * s],
      [256 * s, 300 * s],
      [256 * s, 300 * s],
    ]);
  });

  test("delays stay inside their ranges; jitter is uniform over [lo, hi)", () => {
    const cfg = { minBackoffMs: 500, maxBackoffMs: 300_000, maxRetries: 0 };
    const ranges = backoffRanges(cfg, 12);
    for (const r of [0, 0.5, 0.999999]) {
      const b = new Backoff(cfg, () => r);
      for (const [lo, hi] of ranges) {
        const d = b.nextDelay();
        assert.ok(d >= lo && (d < hi || lo === hi), `${d} in [${lo},${hi})`);
      }
    }
    const low = new Backoff(cfg, () => 0);
    assert.equal(low.nextDelay(), 500);
  });

  test("a collapsed range gives exactly min; min=0 gives 0", () => {
    assert.equal(new Backoff({ minBackoffMs: 100, maxBackoffMs: 100, maxRetries: 3 }).nextDelay(), 100);
    assert.equal(new Backoff({ minBackoffMs: 200, maxBackoffMs: 100, maxRetries: 3 }).nextDelay(), 200);
    assert.equal(new Backoff({ minBackoffMs: 0, maxBackoffMs: 0, maxRetries: 3 }).nextDelay(), 0);
  });

  test("max_backoff_retries counts attempts: N → N attempts; 1 → no retry; 0 → unlimited; negative → one", () => {
    const attempts = (maxRetries: number, cap = 50) => {
      const b = new Backoff({ minBackoffMs: 0, maxBackoffMs: 0, maxRetries });
      let n = 1;
      while (n < cap) {
        b.nextDelay();
        if (!b.ongoing()) break;
        n++;
      }
      return { attempts: n, retries: b.numRetries };
    };
    assert.deepEqual(attempts(10), { attempts: 10, retries: 10 });
    assert.deepEqual(attempts(3), { attempts: 3, retries: 3 });
    assert.deepEqual(attempts(1), { attempts: 1, retries: 1 });
    assert.equal(attempts(0).attempts, 50);
    assert.deepEqual(attempts(-1), { attempts: 1, retries: 1 });
  });
});

describe("Retry-After", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  test("seconds, HTTP dates, caps and junk", () => {
    assert.equal(retryAfterMs("3", 60_000, now), 3000);
    assert.equal(retryAfterMs(" 0 ", 60_000, now), 0);
    assert.equal(retryAfterMs("3600", 60_000, now), 60_000);
    assert.equal(retryAfterMs("Thu, 01 Jan 2026 00:00:10 GMT", 60_000, now), 10_000);
    assert.equal(retryAfterMs("Wed, 31 Dec 2025 23:59:00 GMT", 60_000, now), 0);
    assert.equal(retryAfterMs(undefined, 60_000, now), undefined);
    assert.equal(retryAfterMs("soon", 60_000, now), undefined);
    assert.equal(retryAfterMs("-5", 60_000, now), undefined);
    assert.equal(retryAfterMs("1.5", 60_000, now), undefined);
  });
  test("the wait is the backoff delay, but never shorter than Retry-After", () => {
    assert.equal(delayBeforeRetry(500, undefined), 500);
    assert.equal(delayBeforeRetry(500, 2000), 2000);
    assert.equal(delayBeforeRetry(4000, 2000), 4000);
  });
});

describe("deliver: the per-endpoint loop", () => {
  const fail = (code: Code, extra: Partial<Failure> = {}): Failure => ({
    ok: false,
    code,
    message: "boom",
    ...extra,
  });
  const run = async (results: Outcome[], maxRetries: number, retryOnHttp429 = true) => {
    let calls = 0;
    let retries = 0;
    const result = await deliver(async () => results[Math.min(calls++, results.length - 1)]!, {
      backoff: { minBackoffMs: 0, maxBackoffMs: 0, maxRetries },
      retryOnHttp429,
      signal: new AbortController().signal,
      onRetry: () => retries++,
    });
    return { result, calls, retries };
  };

  test("success on the first attempt", async () => {
    const { result, calls } = await run([{ ok: true }], 10);
    assert.deepEqual(result, { ok: true, retries: 0 });
    assert.equal(calls, 1);
  });

  test("retryable failures until exhausted: N attempts, N-1 retries counted, (N retries) reported", async () => {
    const { result, calls, retries } = await run([fail(Code.Unavailable, { httpStatus: 503 })], 4);
    assert.equal(calls, 4);
    assert.equal(retries, 3);
    assert.equal(result.retries, 4);
  });

  test("non-retryable failure stops at once with 0 retries", async () => {
    const { result, calls } = await run([fail(Code.InvalidArgument, { httpStatus: 400 })], 10);
    assert.equal(calls, 1);
    assert.equal(result.retries, 0);
  });

  test("recovers after failures", async () => {
    const { result, calls, retries } = await run(
      [fail(Code.DeadlineExceeded), fail(Code.Unknown), { ok: true }],
      10,
    );
    assert.deepEqual(result, { ok: true, retries: 2 });
    assert.equal(calls, 3);
    assert.equal(retries, 2);
  });

  test("an aborted signal stops the loop without another attempt", async () => {
    const controller = new AbortController();
    let calls = 0;
    const result = await deliver(
      async () => {
        calls++;
        controller.abort();
        return fail(Code.Unknown);
      },
      {
        backoff: { minBackoffMs: 10_000, maxBackoffMs: 10_000, maxRetries: 0 },
        retryOnHttp429: true,
        signal: controller.signal,
      },
    );
    assert.equal(calls, 1);
    assert.equal(result.ok, false);
  });

  test("the last failure, with its Retry-After, is reported", async () => {
    const controller = new AbortController();
    const result = await deliver(
      async () => fail(Code.ResourceExhausted, { httpStatus: 429, retryAfterMs: 5_000 }),
      {
        backoff: { minBackoffMs: 0, maxBackoffMs: 5_000, maxRetries: 1 },
        retryOnHttp429: false,
        signal: controller.signal,
      },
    );
    assert.equal(result.ok ? 0 : result.last.retryAfterMs, 5_000);
  });
});
