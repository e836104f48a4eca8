/**
 * The entry point node:cluster starts for each worker of `profile-relay run --workers=N`: its settings come
 * from the primary in an environment variable (see `src/workers/protocol.ts`).
 */
import { WORKER_SETTINGS_ENV, type WorkerSettings } from "./protocol.ts";
import { runWorker } from "./worker.ts";

const text = process.env[WORKER_SETTINGS_ENV];
if (text === undefined || process.send === undefined) {
  process.stderr.write("Error: this file is started by `profile-relay run --workers=N`, not by hand\n");
  process.exit(1);
}
runWorker(JSON.parse(text) as WorkerSettings);
