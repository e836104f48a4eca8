#!/usr/bin/env node
/**
 * The `profile-relay` command. The published package runs the compiled `dist/`. A clone of the repository
 * runs its TypeScript sources (Node.js strips the types), so `npx profile-relay` works right after `npm ci`,
 * with no build step, and always runs the code checked out; `src/` is not in the published package.
 */
import { existsSync } from "node:fs";

const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `Error: profile-relay needs Node.js 22.18 or later (24 recommended); this is Node.js ${process.version}\n`,
  );
  process.exit(1);
}
const source = new URL("../src/cli/main.ts", import.meta.url);
const entry = existsSync(source) ? source : new URL("../dist/cli/main.js", import.meta.url);
const { runMain } = await import(entry.href);
runMain();
