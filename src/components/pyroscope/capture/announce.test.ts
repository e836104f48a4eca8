/**
 * `capturing profiles` is logged only by a component that runs: a load that builds the component and then
 * fails (another component's error) must not tell the user profiles are being captured.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { pino } from "pino";
import { Registry } from "prom-client";
import { SINGLE_PROCESS } from "../../../runtime/component.ts";
import { DEFAULT_MAX_SIZE, DEFAULT_RETENTION_MS } from "./arguments.ts";
import { CaptureComponent } from "./capture.ts";

test("the capture folder is logged once the component runs, not when it is only built", async (t) => {
  const base = await mkdtemp(join(tmpdir(), "capture-announce-test-"));
  let stop = async () => {};
  // The component first, so nothing is written into the folder after it is removed.
  t.after(async () => {
    await stop();
    await rm(base, { recursive: true, force: true });
  });
  const lines: { msg: string; path?: string }[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const dataPath = join(base, "pyroscope.capture.test");
  const component = new CaptureComponent(
    {
      id: "pyroscope.capture.test",
      logger,
      registry: new Registry(),
      dataPath,
      worker: SINGLE_PROCESS,
      onStateChange: () => {},
    },
    { path: undefined, max_size: DEFAULT_MAX_SIZE, retention: DEFAULT_RETENTION_MS },
  );
  await component.store.ready();
  await new Promise((resolve) => setImmediate(resolve));
  const announced = () => lines.filter((l) => l.msg === "capturing profiles");
  assert.deepEqual(announced(), [], "built but not running: nothing said");

  const controller = new AbortController();
  const running = component.run(controller.signal);
  stop = async () => {
    controller.abort();
    await running;
  };
  for (let i = 0; i < 100 && announced().length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(
    announced().map((l) => l.path),
    [dataPath],
  );

  const moved = join(base, "elsewhere");
  component.update({ path: moved, max_size: DEFAULT_MAX_SIZE, retention: DEFAULT_RETENTION_MS });
  await component.store.ready();
  for (let i = 0; i < 100 && announced().length < 2; i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(
    announced().map((l) => l.path),
    [dataPath, moved],
    "a new path is announced once",
  );
});
