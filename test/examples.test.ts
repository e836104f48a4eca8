/**
 * Every config in examples/ is ready to use: it validates (`profile-relay validate`, with none of the
 * environment variables it reads set), it is formatted the way `profile-relay fmt` prints it, and it opens
 * with a comment saying what it is for.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { fmtCommand } from "../src/cli/fmt.ts";
import { validateCommand } from "../src/cli/validate.ts";
import { runCommandMerged } from "./support/cli-io.ts";

const EXAMPLES = fileURLToPath(new URL("../examples/", import.meta.url));

/** The `.alloy` files under examples/, at any depth. */
function alloyFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".alloy"))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** The variables the examples read, unset so they validate with their fallbacks, as on a fresh machine. */
const EXAMPLE_ENV = [
  "PYROSCOPE_URL",
  "PYROSCOPE_USERNAME",
  "PYROSCOPE_PASSWORD",
  "TLS_CERT_FILE",
  "TLS_KEY_FILE",
];

describe("examples/", () => {
  const files = alloyFiles(EXAMPLES);

  it("holds the default config and the common setups", () => {
    const names = files.map((f) => f.slice(EXAMPLES.length));
    for (const expected of [
      "default.alloy",
      "forward-to-pyroscope.alloy",
      "multiple-destinations.alloy",
      "basic-auth.alloy",
      "external-labels.alloy",
      "tenant.alloy",
      "tls-receiver.alloy",
    ]) {
      assert.ok(names.includes(expected), `examples/${expected} exists (have ${names.join(", ")})`);
    }
  });

  for (const file of files) {
    const name = file.slice(EXAMPLES.length);
    describe(name, () => {
      it("validates", async () => {
        const saved = EXAMPLE_ENV.map((k) => [k, process.env[k]] as const);
        for (const k of EXAMPLE_ENV) delete process.env[k];
        try {
          assert.deepEqual(await runCommandMerged(validateCommand, [file]), { code: 0, output: "" });
        } finally {
          for (const [k, v] of saved) if (v !== undefined) process.env[k] = v;
        }
      });

      it("is formatted (fmt --test)", async () => {
        assert.deepEqual(await runCommandMerged(fmtCommand, ["--test", file]), { code: 0, output: "" });
      });

      it("starts with a comment saying what it is for", () => {
        assert.match(readFileSync(file, "utf8"), /^\/\/ \S/);
      });
    });
  }
});
