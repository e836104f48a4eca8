import assert from "node:assert/strict";
import { test } from "node:test";
import { parseWrkOutput, wrkScript } from "./wrk.ts";

test("the Lua script sends the request as given and reports JSON", () => {
  const script = wrkScript(
    {
      path: "/ingest?name=a%7Bb%3Dc%7D",
      headers: { "Content-Type": "multipart/form-data; boundary=x" },
      body: Buffer.alloc(1),
    },
    "/tmp/body.bin",
    0,
  );
  assert.match(script, /wrk\.method = "POST"/);
  assert.match(script, /wrk\.path = "\/ingest\?name=a%7Bb%3Dc%7D"/);
  assert.match(script, /wrk\.headers\["Content-Type"\] = "multipart\/form-data; boundary=x"/);
  assert.match(script, /io\.open\("\/tmp\/body\.bin", "rb"\)/);
  assert.doesNotMatch(script, /function delay/);
  assert.match(
    wrkScript({ path: "/", headers: {}, body: Buffer.alloc(0) }, "/b", 7.4),
    /function delay\(\) return 7 end/,
  );
});

test("wrk's report line becomes the run's figures", () => {
  const out = [
    "Running 4s test @ http://127.0.0.1:1/ingest",
    "  1 threads and 16 connections",
    'WRK_RESULT {"duration_us":4000000,"requests":1000,"status":10,"timeout":2,"connect":0,"read":1,"write":0,"p50_us":1500,"p99_us":9000,"max_us":20000,"mean_us":2000.5}',
  ].join("\n");
  assert.deepEqual(parseWrkOutput(out), {
    durationSeconds: 4,
    requests: 1000,
    non2xx: 10,
    timeouts: 2,
    socketErrors: 1,
    latencyMs: { p50: 1.5, p99: 9, max: 20, mean: 2.0005 },
  });
  assert.throws(() => parseWrkOutput("unable to connect"), /wrk printed no result/);
});
