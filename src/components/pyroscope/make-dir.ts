/**
 * `mkdir -p` that always ends. Node's `mkdir(path, { recursive: true })` loops forever when creating a
 * folder keeps failing with ENOENT although its parent exists, as under `/proc` or `/sys`: a component
 * given such a `path` would hang the whole config load, silently (logs are held back until it is done).
 */
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";

/** Creates `dir` and any missing parents; rejects with the first error that is not "already exists". */
export async function makeDir(dir: string): Promise<void> {
  try {
    await mkdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST") {
      await mkdir(dir, { recursive: true }); // exists: fails unless it is a folder (recursive never loops here)
      return;
    }
    const parent = dirname(dir);
    if (code !== "ENOENT" || parent === dir) throw err;
    await makeDir(parent);
    try {
      await mkdir(dir);
    } catch (again) {
      if ((again as NodeJS.ErrnoException).code !== "EEXIST") throw again;
    }
  }
}
