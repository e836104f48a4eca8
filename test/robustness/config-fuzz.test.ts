/**
 * Property tests of the configuration language over thousands of random and mutated inputs (seeded, so a
 * failure reproduces): parsing, validating (evaluation and decoding against the real component schemas),
 * printing diagnostics and evaluating expressions only ever report diagnostics, never throw anything else;
 * and `format` is idempotent on whatever parses, and its output parses again.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { cliRegistry } from "../../src/runtime/cli-registry.ts";
import { defaultDecoder, isStdlibName } from "../../src/runtime/decoder.ts";
import { validateSources } from "../../src/runtime/validate-config.ts";
import { printDiagnostics } from "../../src/syntax/diagnostic-printer.ts";
import { DiagnosticsError, hasErrors } from "../../src/syntax/diagnostics.ts";
import { evaluateExpression } from "../../src/syntax/index.ts";
import { parseFile } from "../../src/syntax/parser.ts";
import { format } from "../../src/syntax/printer.ts";

/** mulberry32: a small seeded PRNG, so every run sees the same inputs. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The seed configs: the project's examples and the configs in the validator cases (the `.alloy` sections of the
 * `.txtar` files under `src/runtime/testdata/validator/`), so the inputs are the same with or without `../shared`.
 */
function corpus(): string[] {
  const out: string[] = [];
  const examples = new URL("../../examples/", import.meta.url);
  for (const name of readdirSync(examples).sort()) {
    if (name.endsWith(".alloy")) out.push(readFileSync(new URL(name, examples), "utf8"));
  }
  const validator = fileURLToPath(new URL("../../src/runtime/testdata/validator/", import.meta.url));
  for (const name of (readdirSync(validator, { recursive: true }) as string[]).sort()) {
    if (!name.endsWith(".txtar")) continue;
    const sections = readFileSync(join(validator, name), "utf8").split(/^-- (.+) --$/m);
    for (let i = 1; i + 1 < sections.length; i += 2) {
      if (sections[i]!.endsWith(".alloy")) out.push(sections[i + 1]!);
    }
  }
  return out;
}

/** Pieces of the language (and of things that are not), spliced into inputs. */
const TOKENS = [
  "{",
  "}",
  "[",
  "]",
  "(",
  ")",
  "=",
  ",",
  ".",
  "\n",
  " ",
  "\t",
  "\r",
  '"',
  "`",
  "//",
  "/*",
  "*/",
  "#",
  "a",
  "b.c",
  "1",
  "1.5e3",
  "0x1",
  "-0",
  "9223372036854775808",
  "1e400",
  "true",
  "null",
  "+",
  "-",
  "*",
  "/",
  "%",
  "^",
  "==",
  "!=",
  "<",
  ">=",
  "&&",
  "||",
  "!",
  '"\\u00e9"',
  '"\\x"',
  "\\",
  "é",
  "\uFEFF",
  "😀",
  "\0",
  'sys.env("HOME")',
  'env("HOME")',
  "concat",
  "array.concat([1], [2])",
  'string.format("%s %d", 1)',
  'encoding.from_json("{}")',
  'encoding.from_yaml("a: [1")',
  "convert.nonsensitive",
  "constants.os",
  "pyroscope.write",
  "pyroscope.receive_http",
  "pyroscope.capture",
  "endpoint",
  "url",
  "forward_to",
  "external_labels",
  "http",
  "listen_port",
  "basic_auth",
  "password",
  '"x"',
  "logging",
  "level",
  '"1d"',
  '"256MiB"',
  "queue",
  "receiver",
  "pyroscope.write.a.receiver",
];

function pick<T>(rnd: () => number, items: readonly T[]): T {
  return items[Math.floor(rnd() * items.length)] as T;
}

function mutate(rnd: () => number, source: string): string {
  const chars = [...source];
  const edits = 1 + Math.floor(rnd() * 6);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(rnd() * (chars.length + 1));
    const op = rnd();
    if (op < 0.3) {
      chars.splice(at, 1 + Math.floor(rnd() * 5));
    } else if (op < 0.7) {
      chars.splice(at, 0, pick(rnd, TOKENS));
    } else if (op < 0.85) {
      const from = Math.floor(rnd() * chars.length);
      chars.splice(at, 0, ...chars.slice(from, from + Math.floor(rnd() * 50)));
    } else {
      chars.splice(at, 1, String.fromCharCode(Math.floor(rnd() * 0x3000)));
    }
  }
  return chars.join("");
}

function soup(rnd: () => number): string {
  let s = "";
  const n = Math.floor(rnd() * 40);
  for (let i = 0; i < n; i++) s += pick(rnd, TOKENS);
  return s;
}

/** An expression nested absurdly deep in one of many ways (the parser and evaluator recurse over the AST). */
function deepExpression(rnd: () => number): string {
  const n = 200 + Math.floor(rnd() * 3000);
  const [open, middle, close] = pick(rnd, [
    ["[", "", "]"],
    ["(", "1", ")"],
    ["{a = ", "1", "}"],
    ["!", "true", ""],
    ["-", "1", ""],
    ["1 + ", "1", ""],
    ["2 ^ ", "1", ""],
    ["concat(", "", ")"],
    ["", "x", ".y"],
    ["", "[1]", "[0]"],
  ] as const);
  return open.repeat(n) + middle + close.repeat(n);
}

/** A config nested absurdly deep: in an attribute of a component, or blocks in blocks. */
function deepConfig(rnd: () => number): string {
  if (rnd() < 0.2) {
    const n = 200 + Math.floor(rnd() * 3000);
    return "b {\n".repeat(n) + "}\n".repeat(n);
  }
  return `pyroscope.write "w" {\n  external_labels = ${deepExpression(rnd)}\n}\n`;
}

function bytes(rnd: () => number): Uint8Array {
  const b = new Uint8Array(Math.floor(rnd() * 200));
  for (let i = 0; i < b.length; i++) b[i] = Math.floor(rnd() * 256);
  return b;
}

const EXPRESSIONS = [
  'string.format("%d %s %v", 1, "a", [1])',
  "[1, 2, 3][1]",
  "{a = 1}.a",
  "concat([1], [2])",
  'encoding.from_yaml("a: [1, 2]")',
  'array.combine_maps([{a = 1}], [{a = 2}], ["a"])',
  "1 + 2 * 3 ^ 2 / 0",
  '"a" + 1',
  'coalesce(null, "", 1)',
  'string.join(["a"], 1)',
  'encoding.from_json("[1e999]")',
  'array.group_by([{a = 1}], "a", true)',
  "9223372036854775807 + 1",
  "-9223372036854775808 % -1",
];

describe("configuration language property tests", () => {
  const registry = cliRegistry();
  const inputs = corpus();

  test("parse, validate, print and format: only diagnostics, and format is idempotent", () => {
    const rnd = prng(0x5eed);
    const failures: string[] = [];
    let formatted = 0;
    for (let i = 0; i < 2500; i++) {
      const r = rnd();
      const input =
        r < 0.6
          ? mutate(rnd, pick(rnd, inputs))
          : r < 0.8
            ? soup(rnd)
            : r < 0.95
              ? bytes(rnd)
              : deepConfig(rnd);
      const shown =
        typeof input === "string" ? JSON.stringify(input) : `bytes ${Buffer.from(input).toString("hex")}`;
      try {
        const { diagnostics } = parseFile(input, "fuzz.alloy");
        const text = typeof input === "string" ? input : new TextDecoder().decode(input);
        printDiagnostics(diagnostics, new Map([["fuzz.alloy", text]]));
        if (hasErrors(diagnostics)) continue;
        const once = format(input);
        const twice = format(once);
        if (once !== twice) failures.push(`format is not idempotent on ${shown}`);
        if (hasErrors(parseFile(once, "formatted.alloy").diagnostics)) {
          failures.push(`formatted output does not parse: ${shown}`);
        }
        formatted++;
        if (typeof input === "string") {
          const found = validateSources([{ filename: "fuzz.alloy", text: input }], {
            registry,
            minStability: "experimental",
            decode: defaultDecoder,
            isStdlibName,
          });
          printDiagnostics(found, new Map([["fuzz.alloy", input]]));
        }
      } catch (err) {
        failures.push(`threw on ${shown}: ${(err as Error).stack}`);
      }
    }
    assert.deepEqual(failures.slice(0, 5), []);
    assert.ok(
      formatted > 200,
      `only ${formatted} inputs parsed: the mutations are too destructive to test format`,
    );
  });

  test("evaluateExpression throws nothing but DiagnosticsError", () => {
    const rnd = prng(0xe7a1);
    const failures: string[] = [];
    for (let i = 0; i < 2500; i++) {
      const r = rnd();
      const source =
        r < 0.45 ? soup(rnd) : r < 0.95 ? mutate(rnd, pick(rnd, EXPRESSIONS)) : deepExpression(rnd);
      try {
        evaluateExpression(source, { x: 1, s: "text" }, { allowExperimental: true });
      } catch (err) {
        if (!(err instanceof DiagnosticsError)) {
          failures.push(`${JSON.stringify(source)}: ${(err as Error).stack}`);
        }
      }
    }
    assert.deepEqual(failures.slice(0, 5), []);
  });
});
