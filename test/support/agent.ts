/**
 * The agent of `profile-relay run`, started in this process on a config a test writes, for tests that look at
 * what it shows (logs, `/metrics`, the UI and its API): its server on a free port of 127.0.0.1, its storage
 * in the test's folder, its log lines kept, and the initial load checked to succeed. The caller shuts it
 * down (`agent.shutdown()`), before removing the folder.
 */
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Agent } from "../../src/runtime/agent.ts";
import { cliRegistry } from "../../src/runtime/cli-registry.ts";
import type { ComponentRegistry } from "../../src/runtime/registry.ts";

export interface LoadedAgentOptions {
  /** The test's folder: the config is written to `<dir>/<file>`, the storage is `<dir>/data`. */
  readonly dir: string;
  readonly config: string;
  /** The config's file name (`config.alloy` by default). */
  readonly file?: string;
  /** The components (`run`'s by default). */
  readonly registry?: ComponentRegistry;
  readonly uiPathPrefix?: string;
}

/** A started agent, its config file, and every log line it wrote so far. */
export interface LoadedAgent {
  readonly agent: Agent;
  readonly path: string;
  readonly logs: string[];
}

/** Writes the config, starts the agent on it and loads it; fails the test when the load fails. */
export async function startLoadedAgent(options: LoadedAgentOptions): Promise<LoadedAgent> {
  const path = join(options.dir, options.file ?? "config.alloy");
  await writeFile(path, options.config);
  const logs: string[] = [];
  const agent = await Agent.start({
    configPath: path,
    listenAddr: "127.0.0.1:0",
    storagePath: join(options.dir, "data"),
    uiPathPrefix: options.uiPathPrefix,
    minStability: "generally-available",
    stopDeadlineMs: 5_000,
    registry: options.registry ?? cliRegistry(),
    logOut: (t) => logs.push(t),
  });
  const loaded = await agent.reload();
  if (loaded.error !== undefined) await agent.close();
  assert.equal(loaded.error, undefined);
  return { agent, path, logs };
}
