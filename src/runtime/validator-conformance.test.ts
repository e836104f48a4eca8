/**
 * `validate` against Alloy's own validator cases (grafana/alloy `internal/validator/testdata/**`), ported to
 * the components profile-relay has. Each `testdata/validator/<dir>/NAME.txtar` holds a config (one or more
 * files; the comment before the first file names the case and says how it was ported and where the
 * expected output differs from Alloy's on purpose), and `NAME.diags` is exactly what `validate` prints for it
 * before `Error: validation failed` (empty when the config is valid). As upstream, `default/` is validated at
 * `--stability.level=experimental` and `ga/` at `generally-available`.
 *
 * `UPDATE_VALIDATOR_DIAGS=1` rewrites the `.diags` files from the current output (review the diff).
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { allComponents } from "../components/all.ts";
import { printDiagnostics } from "../syntax/diagnostic-printer.ts";
import type { Stability } from "./component.ts";
import { defaultDecoder, isStdlibName } from "./decoder.ts";
import { createRegistry } from "./registry.ts";
import { validateSources } from "./validate-config.ts";

const ROOT = fileURLToPath(new URL("./testdata/validator/", import.meta.url));
const LEVELS: Readonly<Record<string, Stability>> = {
  default: "experimental",
  ga: "generally-available",
};
const registry = createRegistry(allComponents);

/** A txtar archive: the comment, then `-- name --` sections. */
function parseTxtar(text: string): { comment: string; files: { filename: string; text: string }[] } {
  const files: { filename: string; text: string }[] = [];
  let comment = "";
  let current: { filename: string; text: string } | undefined;
  for (const line of text.split(/(?<=\n)/)) {
    const marker = /^-- (.+) --\n?$/.exec(line);
    if (marker !== null) {
      current = { filename: marker[1]!, text: "" };
      files.push(current);
    } else if (current === undefined) {
      comment += line;
    } else {
      current.text += line;
    }
  }
  return { comment, files };
}

for (const [dir, minStability] of Object.entries(LEVELS)) {
  describe(`validator conformance: ${dir} (--stability.level=${minStability})`, () => {
    for (const name of readdirSync(join(ROOT, dir)).filter((f) => f.endsWith(".txtar"))) {
      const path = join(ROOT, dir, name);
      const { comment, files } = parseTxtar(readFileSync(path, "utf8"));
      it(comment.split("\n")[0] ?? name, () => {
        // Alloy validates the files of a config sorted by name.
        files.sort((a, b) => (a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0));
        const diagnostics = validateSources(files, {
          registry,
          minStability,
          decode: defaultDecoder,
          isStdlibName,
        });
        const text = new Map(files.map((f) => [f.filename, f.text]));
        const actual = diagnostics.length === 0 ? "" : printDiagnostics(diagnostics, text);
        const diagsPath = path.replace(/\.txtar$/, ".diags");
        if (process.env["UPDATE_VALIDATOR_DIAGS"] === "1") writeFileSync(diagsPath, actual);
        assert.equal(actual, readFileSync(diagsPath, "utf8"));
      });
    }
  });
}
