/**
 * Runs the bench backend as its own process (so its CPU is not the runner's), on 127.0.0.1:
 *
 *   node bench/backend-main.ts [--delay-ms N]
 *
 * Prints `{"port":N}` on one line once listening; exits on SIGTERM/SIGINT.
 */
import { startBackend } from "./backend.ts";

const i = process.argv.indexOf("--delay-ms");
const delayMs = i >= 0 ? Number(process.argv[i + 1]) : 0;
if (!Number.isFinite(delayMs) || delayMs < 0) {
  process.stderr.write("--delay-ms needs a number of milliseconds\n");
  process.exit(2);
}
const backend = await startBackend({ delayMs });
process.stdout.write(`${JSON.stringify({ port: backend.port })}\n`);
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    void backend.close().then(() => process.exit(0));
  });
}
