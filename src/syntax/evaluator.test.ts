import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import type { Expr } from "./ast.ts";
import { type Diagnostic, DiagnosticsError, diagnosticOneLine } from "./diagnostics.ts";
import { evaluate, traversals, valueDiagnostic } from "./evaluator.ts";
import { ArgumentError, FunctionError } from "./function-errors.ts";
import { parseExpression } from "./parser.ts";
import {
  AlloyFunction,
  AlloyNumber,
  Capsule,
  type ObjectValue,
  OptionalSecret,
  Secret,
  type Value,
} from "./value.ts";

interface Case {
  readonly name: string;
  readonly expr: string;
  readonly value?: unknown;
  readonly error?: string;
  readonly end?: string;
  readonly warnings?: readonly string[];
  readonly scope?: Record<string, unknown>;
  readonly allowExperimental?: boolean;
}

const table = JSON.parse(readFileSync(new URL("./testdata/expressions.json", import.meta.url), "utf8")) as {
  cases: Case[];
};

/** The table's tagged JSON form of an Alloy value, so number kinds and secrets can be written down. */
function fromTagged(x: unknown): Value {
  if (x === null || typeof x === "boolean" || typeof x === "string") return x;
  if (Array.isArray(x)) return x.map(fromTagged);
  const o = x as Record<string, unknown>;
  if ("int" in o) return AlloyNumber.int(BigInt(o["int"] as string));
  if ("uint" in o) return AlloyNumber.uint(BigInt(o["uint"] as string));
  if ("float" in o) return AlloyNumber.float(Number(o["float"]));
  if ("secret" in o) return new Secret(o["secret"] as string);
  if ("optionalSecret" in o) return new OptionalSecret(o["optionalSecret"] as string, o["isSecret"] === true);
  if ("capsule" in o) return new Capsule(o["capsule"] as string, { id: o["id"] });
  if ("object" in o) {
    return new Map(
      Object.entries(o["object"] as Record<string, unknown>).map(([k, v]) => [k, fromTagged(v)]),
    );
  }
  throw new Error(`bad tagged value ${JSON.stringify(x)}`);
}

function toTagged(v: Value): unknown {
  if (v === null || typeof v === "boolean" || typeof v === "string") return v;
  if (v instanceof AlloyNumber) {
    if (v.kind !== "float") return { [v.kind]: String(v.value) };
    const f = v.value as number;
    return { float: Number.isFinite(f) ? f : String(f) };
  }
  if (Array.isArray(v)) return v.map(toTagged);
  if (v instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of v as ObjectValue) out[k] = toTagged(x);
    return { object: out };
  }
  if (v instanceof Secret) return { secret: v.reveal() };
  if (v instanceof OptionalSecret) return { optionalSecret: v.reveal(), isSecret: v.isSecret };
  if (v instanceof Capsule) return { capsule: v.hostType, id: (v.value as { id: unknown }).id };
  if (v instanceof AlloyFunction) return { function: true };
  throw new Error("unknown value");
}

function parse(source: string): Expr {
  const { expr, diagnostics } = parseExpression(source);
  assert.deepEqual(diagnostics.map(diagnosticOneLine), []);
  assert.ok(expr);
  return expr;
}

function errorOf(fn: () => unknown): DiagnosticsError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DiagnosticsError) return e;
    throw e;
  }
  assert.fail("expected a DiagnosticsError");
}

const where = (d: Diagnostic) => `${d.end?.line}:${d.end?.column}`;

process.env["TEST_VAR"] = "Hello!";

describe("expressions.json", () => {
  for (const c of table.cases) {
    test(c.name, () => {
      const expr = parse(c.expr);
      const scope = new Map(Object.entries(c.scope ?? {}).map(([k, v]) => [k, fromTagged(v)]));
      const warnings: Diagnostic[] = [];
      const run = () => evaluate(expr, scope, { allowExperimental: c.allowExperimental, warnings });
      if (c.error !== undefined) {
        const e = errorOf(run);
        assert.deepEqual(e.diagnostics.map(diagnosticOneLine), [c.error]);
        const d = e.diagnostics[0] as Diagnostic;
        assert.ok(d.start && d.end, "the diagnostic has a range");
        assert.ok(d.end.offset >= d.start.offset);
        if (c.end !== undefined) assert.equal(where(d), c.end);
      } else {
        assert.deepEqual(toTagged(run()), c.value);
      }
      assert.deepEqual(warnings.map(diagnosticOneLine), c.warnings ?? []);
    });
  }
});

describe("evaluate", () => {
  test("carries the file name into diagnostics", () => {
    const e = errorOf(() => evaluate(parse("nope"), new Map(), { file: "main.alloy" }));
    assert.equal(e.message, 'main.alloy:1:1: identifier "nope" does not exist');
  });

  test("stops at the first error", () => {
    const e = errorOf(() => evaluate(parse("[a, b]"), new Map()));
    assert.deepEqual(e.diagnostics.map(diagnosticOneLine), ['1:2: identifier "a" does not exist']);
  });

  test("reports every experimental reference at once", () => {
    const e = errorOf(() => evaluate(parse("[array.group_by, array.combine_maps]"), new Map()));
    assert.equal(e.diagnostics.length, 2);
    assert.match(e.diagnostics[0]?.message ?? "", /^array\.group_by is at stability level "experimental"/);
  });

  test("names the configured stability level", () => {
    const e = errorOf(() => evaluate(parse("array.group_by"), new Map(), { minStability: "public-preview" }));
    assert.match(e.message, /minimum allowed stability level "public-preview"/);
  });

  test("the deprecated warning covers the whole reference", () => {
    const warnings: Diagnostic[] = [];
    evaluate(parse('  to_upper("a")'), new Map(), { warnings, file: "f.alloy" });
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]?.severity, "warning");
    assert.equal(warnings[0]?.file, "f.alloy");
    assert.equal(where(warnings[0] as Diagnostic), "1:10");
  });

  test("an argument error follows its path into array and object literals", () => {
    const fail = new AlloyFunction("f", () => {
      throw new ArgumentError(1, "should be string, got bool", "[0].app.name[1]");
    });
    const scope = new Map<string, Value>([["f", fail]]);
    const e = errorOf(() => evaluate(parse('f(1, [{ "app.name" = ["x", true] }])'), scope));
    assert.deepEqual(e.diagnostics.map(diagnosticOneLine), ["1:28: true should be string, got bool"]);
    const e2 = errorOf(() => evaluate(parse("f(1, [x])"), new Map([...scope, ["x", new Map()]])));
    assert.deepEqual(e2.diagnostics.map(diagnosticOneLine), [
      "1:7: x.app.name[1] should be string, got bool",
    ]);
  });

  test("a function error is prefixed with the callee and covers it", () => {
    const scope = new Map<string, Value>([
      [
        "lib",
        new Map<string, Value>([
          [
            "boom",
            new AlloyFunction("boom", () => {
              throw new FunctionError("went wrong");
            }),
          ],
        ]),
      ],
    ]);
    const e = errorOf(() => evaluate(parse("lib.boom(1)"), scope));
    assert.deepEqual(e.diagnostics.map(diagnosticOneLine), ["1:1: lib.boom went wrong"]);
    assert.equal(where(e.diagnostics[0] as Diagnostic), "1:8");
  });

  test("other exceptions from functions are not swallowed", () => {
    const scope = new Map<string, Value>([
      [
        "bug",
        new AlloyFunction("bug", () => {
          throw new RangeError("a bug");
        }),
      ],
    ]);
    assert.throws(() => evaluate(parse("bug()"), scope), RangeError);
  });

  test("arguments are evaluated after the callee is checked", () => {
    const e = errorOf(() => evaluate(parse("1(nope)"), new Map()));
    assert.equal(e.message, "1:1: 1 should be function, got number");
  });
});

describe("valueDiagnostic", () => {
  test("stops descending at a reference and prints the rest of the path", () => {
    const d = valueDiagnostic(parse("[a.b, 2]"), [{ index: 0 }, { field: "c" }, { index: 3 }], "bad");
    assert.equal(diagnosticOneLine(d), "1:2: a.b.c[3] bad");
  });

  test("looks through parentheses around literals", () => {
    const d = valueDiagnostic(parse('({ x = ["a"] })'), [{ field: "x" }, { index: 0 }], "bad");
    assert.equal(diagnosticOneLine(d), '1:9: "a" bad');
  });

  test("keeps parentheses around a reference", () => {
    const d = valueDiagnostic(parse("(a)"), [{ index: 0 }], "bad");
    assert.equal(diagnosticOneLine(d), "1:1: (a)[0] bad");
  });

  test("an index past the literal's end stays on the literal", () => {
    const d = valueDiagnostic(parse("[1]"), [{ index: 5 }], "bad");
    assert.equal(diagnosticOneLine(d), "1:1: [1][5] bad");
  });
});

test("traversals end at an index or a call", () => {
  const names = traversals(parse("a.b[c.d].e + f(g.h).i")).map((t) => t.names.join("."));
  assert.deepEqual(names, ["a.b", "c.d", "f", "g.h"]);
});
