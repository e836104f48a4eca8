import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { heapSettingsCommand } from "./heap-settings.ts";

test("run re-executes with a capped young generation unless told or given one", () => {
  assert.deepEqual(heapSettingsCommand("/n", ["--inspect"], ["/n", "main.ts", "run", "c.alloy"], {}), [
    "/n",
    "--max-semi-space-size=16",
    "--inspect",
    "main.ts",
    "run",
    "c.alloy",
  ]);
  assert.equal(heapSettingsCommand("/n", ["--max-semi-space-size=64"], ["/n", "m", "run"], {}), undefined);
  assert.equal(
    heapSettingsCommand("/n", [], ["/n", "m", "run"], { NODE_OPTIONS: "--max-semi-space-size=8" }),
    undefined,
  );
  assert.equal(
    heapSettingsCommand("/n", [], ["/n", "m", "run"], { PROFILE_RELAY_NODE_DEFAULTS: "0" }),
    undefined,
  );
});

test("the re-executed process runs with the flag, in the same process", () => {
  const script = `
    import { applyHeapSettings } from ${JSON.stringify(new URL("./heap-settings.ts", import.meta.url).href)};
    if (process.env.FIRST_PID === undefined) process.env.FIRST_PID = String(process.pid);
    applyHeapSettings();
    console.log(JSON.stringify({ first: process.env.FIRST_PID, pid: process.pid, execArgv: process.execArgv }));
  `;
  const out = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  assert.equal(out.status, 0, out.stderr);
  const seen = JSON.parse(out.stdout) as { first: string; pid: number; execArgv: string[] };
  assert.equal(Number(seen.first), seen.pid);
  assert.ok(seen.execArgv.includes("--max-semi-space-size=16"), out.stdout);
});
