/**
 * One worker process of `profile-relay run --workers=N`, for tests of what worker processes share on disk (the
 * queue's shards, the capture store) without the cluster: `node worker-agent.ts CONFIG STORAGE INDEX COUNT`
 * runs the agent with that worker slot, logs `profile-relay is running` once the config is loaded, and stops
 * cleanly on SIGTERM. Its agent server listens on a free port of 127.0.0.1.
 */
import { Agent } from "../../src/runtime/agent.ts";
import { cliRegistry } from "../../src/runtime/cli-registry.ts";

const [configPath, storagePath, index, count] = process.argv.slice(2);
if (configPath === undefined || storagePath === undefined || index === undefined || count === undefined) {
  process.stderr.write("usage: worker-agent.ts CONFIG STORAGE INDEX COUNT\n");
  process.exit(2);
}
const agent = await Agent.start({
  configPath,
  listenAddr: "127.0.0.1:0",
  storagePath,
  worker: { index: Number(index), count: Number(count) },
  minStability: "generally-available",
  stopDeadlineMs: 5_000,
  registry: cliRegistry(),
});
const loaded = await agent.reload();
if (loaded.error !== undefined) {
  agent.flushLogs();
  process.stderr.write(`Error: ${loaded.error}\n`);
  await agent.close();
  process.exit(1);
}
agent.logger.info("profile-relay is running");
process.once("SIGTERM", () => {
  void agent.shutdown().then(() => process.exit(0));
});
