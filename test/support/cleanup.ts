/**
 * Clean-up for tests that make temporary folders, servers and components: a file-wide stack of steps run by
 * one `after` hook (last added first, so folders made before the components in them go last; every step
 * runs even when one fails, and the first failure fails the hook), and temporary folders removed with
 * everything in them, also when the test failed.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";

/** What runs a step once the tests are done: a test's context `t`, or the stack of `fileCleanup()`. */
export interface Cleanup {
  after(step: () => Promise<unknown>): void;
}

/**
 * A clean-up stack for the calling test file: `after(step)` adds a step, run once every test of the file is
 * done, before the steps added earlier.
 */
export function fileCleanup(): Cleanup {
  const steps: (() => Promise<unknown>)[] = [];
  after(async () => {
    const failed: unknown[] = [];
    for (const step of steps.reverse()) await step().catch((err: unknown) => failed.push(err));
    if (failed.length > 0) throw failed[0];
  });
  return { after: (step) => steps.push(step) };
}

/** A new empty folder `<os tmpdir>/<prefix>XXXXXX`, removed with its contents by `owner`'s clean-up. */
export async function makeTempDir(owner: Cleanup, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  owner.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
