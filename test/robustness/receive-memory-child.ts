/**
 * The child process of receive-memory.test.ts: a `pyroscope.receive_http` on 127.0.0.1 with a receiver that
 * accepts and drops everything, so the process's memory is the receiving side's alone. Prints its port and
 * resting RSS as one JSON line once started; on each `peak` line on stdin, answers with its peak RSS since
 * then (VmHWM, reset through /proc/self/clear_refs) as one JSON line. Arguments: the in-flight budget in bytes.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { pino } from "pino";
import { Registry } from "prom-client";
import { receiveHttpSchema } from "../../src/components/pyroscope/receive_http/arguments.ts";
import { ReceiveHttp } from "../../src/components/pyroscope/receive_http/receive-http.ts";
import { defaultsOf } from "../../src/components/pyroscope/receive_http/testkit.ts";
import { OK, type Receiver } from "../../src/pyroscope/receiver.ts";
import { SINGLE_PROCESS } from "../../src/runtime/component.ts";

function status(field: "VmRSS" | "VmHWM"): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(readFileSync("/proc/self/status", "utf8"));
  return Number(m?.[1]) * 1024;
}

const budget = Number(process.argv[2]);
const discard: Receiver = { push: async () => OK, ingest: async () => OK };
const defaults = defaultsOf(receiveHttpSchema);
const component = await ReceiveHttp.create(
  {
    id: "pyroscope.receive_http.memory",
    logger: pino({ level: "silent" }),
    registry: new Registry(),
    dataPath: "",
    worker: SINGLE_PROCESS,
    onStateChange: () => {},
  },
  {
    ...defaults,
    forward_to: [discard],
    max_inflight_body_size: budget,
    http: { ...defaults.http, listen_address: "127.0.0.1", listen_port: 0 },
  },
);
void component.run(new AbortController().signal);

writeFileSync("/proc/self/clear_refs", "5");
process.stdout.write(`${JSON.stringify({ port: component.port, rss: status("VmRSS") })}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  if (line !== "peak") continue;
  process.stdout.write(`${JSON.stringify({ peak: status("VmHWM"), rss: status("VmRSS") })}\n`);
  writeFileSync("/proc/self/clear_refs", "5");
}
process.exit(0);
