/**
 * A small example service instrumented with the Pyroscope Node SDK (`@pyroscope/nodejs`), exactly as an
 * application would be: `init` with where to send and under which name, then `start`. It serves made-up
 * requests in a loop (see workload.ts) until it is stopped, then flushes its last profiles.
 *
 * Configured by the SDK's own environment variables:
 * - `PYROSCOPE_SERVER_ADDRESS` (default `http://127.0.0.1:4040`, where `npm start` listens),
 * - `PYROSCOPE_APPLICATION_NAME` (default `demo-service`),
 * - `PYROSCOPE_FLUSH_INTERVAL_MS`, how often profiles are uploaded (default here 10000; the SDK's is 60000).
 *
 *   node examples/demo/service.ts        # runs until Ctrl-C
 *
 * `npm run demo` starts it (examples/demo/demo.ts) and stops it by closing the IPC channel.
 */
import Pyroscope from "@pyroscope/nodejs";
import { catalog, checkout } from "./workload.ts";

const serverAddress = process.env["PYROSCOPE_SERVER_ADDRESS"] ?? "http://127.0.0.1:4040";
const appName = process.env["PYROSCOPE_APPLICATION_NAME"] ?? "demo-service";
const flushIntervalMs = Number(process.env["PYROSCOPE_FLUSH_INTERVAL_MS"] ?? "10000");

Pyroscope.init({
  serverAddress,
  appName,
  flushIntervalMs,
  // Static labels on every profile; Pyroscope lets you filter and group by them.
  tags: { version: "1.0.0" },
});
Pyroscope.start();
process.stdout.write(
  `${appName}: profiling with @pyroscope/nodejs, uploading to ${serverAddress} every ${flushIntervalMs / 1000}s\n`,
);

let running = true;
let served = 0;

/** One "request" every few milliseconds, labelled by endpoint, leaving the event loop free for the uploads. */
function serve(): void {
  if (!running) return;
  const endpoint = served % 3 === 0 ? "/catalog" : "/checkout";
  // Samples taken inside the callback carry the label, so a flame graph can be split by endpoint.
  Pyroscope.wrapWithLabels({ endpoint }, () => {
    if (endpoint === "/catalog") catalog(2_000);
    else checkout(50);
  });
  served++;
  setTimeout(serve, 5);
}
serve();

let stopping = false;
/** Stops serving, uploads what was profiled since the last upload, and exits (within 10 s whatever happens). */
async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  running = false;
  setTimeout(() => process.exit(0), 10_000).unref();
  await Pyroscope.stop();
  process.stdout.write(`${appName}: served ${served} requests, stopped\n`);
  process.exit(0);
}

process.on("SIGINT", () => void shutdown());
process.on("SIGTERM", () => void shutdown());
// Started by the demo with an IPC channel: stop when it closes, including when the demo itself dies.
if (process.send !== undefined) process.on("disconnect", () => void shutdown());
