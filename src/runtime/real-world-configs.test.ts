/**
 * Alloy configs written by others, for the profile pipeline: every snippet that uses `pyroscope.*` components
 * in the Alloy and Pyroscope docs and in Pyroscope's examples, kept outside the repository in
 * `../shared/conformance/real-world-configs/` (skipped when absent: see `test/support/shared.ts`).
 * Each file starts with `// SOURCE: <where it came from>` and `// CHECK: <what validate says>`, then the
 * config as published (placeholders such as `<LABEL>` filled in with sensible values).
 *
 * Every file parses, `fmt` is idempotent on it and keeps its syntax tree and comments, and `validate` says
 * what its CHECK line expects:
 * - `valid`: nothing; `valid with warnings (...)`: no errors;
 * - `uses A, B`: only "cannot find the definition of component name" errors, exactly for the components
 *   listed (they are not profile-relay's), so everything else in the config validates;
 * - `invalid: MESSAGE`: an error with that message (several `;`-separated clauses may follow `uses`).
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { sharedMissing, sharedUrl } from "../../test/support/shared.ts";
import { allComponents } from "../components/all.ts";
import { parseFile } from "../syntax/parser.ts";
import { format } from "../syntax/printer.ts";
import { defaultDecoder, isStdlibName } from "./decoder.ts";
import { createRegistry } from "./registry.ts";
import { validateSources } from "./validate-config.ts";

const UPSTREAM = "conformance/real-world-configs/";
const DIR = sharedUrl(UPSTREAM);
const registry = createRegistry(allComponents);
const UNKNOWN = /^cannot find the definition of component name "([^"]+)"/;

/** The syntax tree without positions, to compare a file with its formatted text. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => !(v !== null && typeof v === "object" && "offset" in v && "line" in v))
        .map(([k, v]) => [k, shape(v)]),
    );
  }
  return value;
}

interface Check {
  readonly valid: boolean;
  readonly warnings: boolean;
  readonly uses: readonly string[];
  readonly invalid: readonly string[];
}

function parseCheck(line: string): Check {
  const text = /^\/\/ CHECK: (.*)$/.exec(line)?.[1];
  assert.ok(text !== undefined, `the second line is a CHECK line: ${line}`);
  if (text === "valid") return { valid: true, warnings: false, uses: [], invalid: [] };
  if (text.startsWith("valid with warnings")) return { valid: true, warnings: true, uses: [], invalid: [] };
  const uses: string[] = [];
  const invalid: string[] = [];
  for (const clause of text.split("; ")) {
    if (clause.startsWith("uses ")) uses.push(...clause.slice("uses ".length).split(", "));
    else if (clause.startsWith("invalid: ")) invalid.push(clause.slice("invalid: ".length));
    else assert.fail(`unknown CHECK clause: ${clause}`);
  }
  return { valid: false, warnings: true, uses, invalid };
}

/**
 * The CHECK lines were written when fewer components were ours: a component listed under `uses` that is
 * registered now (e.g. `pyroscope.relabel`) is expected to validate like the rest.
 */
function knownNow(check: Check): Check {
  if (check.valid) return check;
  const uses = check.uses.filter((name) => registry.get(name) === undefined);
  if (uses.length === check.uses.length) return check;
  if (uses.length === 0 && check.invalid.length === 0)
    return { valid: true, warnings: false, uses, invalid: [] };
  return { ...check, uses };
}

describe("real-world configs", { skip: sharedMissing(UPSTREAM) }, () => {
  const names = readdirSync(DIR).filter((f) => f.endsWith(".alloy"));

  it("finds them", () => {
    assert.ok(names.length >= 30, `found ${names.length}`);
  });

  for (const name of names) {
    const text = readFileSync(new URL(name, DIR), "utf8");
    const [source = "", checkLine = ""] = text.split("\n");

    it(name, () => {
      assert.match(source, /^\/\/ SOURCE: \S/);
      const check = knownNow(parseCheck(checkLine));

      const parsed = parseFile(text, name);
      assert.deepEqual(parsed.diagnostics, [], "parses");
      const formatted = format(text, name);
      assert.equal(format(formatted, name), formatted, "fmt is idempotent");
      const reparsed = parseFile(formatted, name);
      assert.deepEqual(shape(reparsed.file.body), shape(parsed.file.body), "fmt keeps the syntax tree");
      assert.deepEqual(
        reparsed.file.comments.flatMap((g) => g.comments.map((c) => c.text)),
        parsed.file.comments.flatMap((g) => g.comments.map((c) => c.text)),
        "fmt keeps the comments",
      );

      const diagnostics = validateSources([{ filename: name, text }], {
        registry,
        minStability: "generally-available",
        decode: defaultDecoder,
        isStdlibName,
      });
      const errors = diagnostics.filter((d) => d.severity === "error").map((d) => d.message);
      const warnings = diagnostics.filter((d) => d.severity === "warning").map((d) => d.message);
      if (check.valid) {
        assert.deepEqual(errors, [], "validates");
        if (!check.warnings) assert.deepEqual(warnings, [], "without warnings");
        else assert.notDeepEqual(warnings, [], "with warnings");
        return;
      }
      const unknown = new Set(errors.map((m) => UNKNOWN.exec(m)?.[1]).filter((n) => n !== undefined));
      assert.deepEqual([...unknown].sort(), [...check.uses].sort(), "the components that are not ours");
      const others = errors.filter((m) => !UNKNOWN.test(m));
      assert.deepEqual([...new Set(others)].sort(), [...check.invalid].sort(), "the other errors");
    });
  }
});
