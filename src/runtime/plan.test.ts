import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { diagnosticOneLine } from "../syntax/diagnostics.ts";
import { parseFile } from "../syntax/parser.ts";
import type { Stability } from "./component.ts";
import { planConfig } from "./plan.ts";
import { createRegistry } from "./registry.ts";
import { testComponents } from "./testcomponents/index.ts";

const registry = createRegistry(testComponents);
const STDLIB = new Set(["sys", "string", "env", "encoding", "array"]);

function plan(
  sources: Record<string, string>,
  mode: "run" | "validate" = "run",
  minStability: Stability = "generally-available",
) {
  const files = Object.entries(sources).map(([name, text]) => {
    const parsed = parseFile(text, name);
    assert.deepEqual(parsed.diagnostics, [], `parse ${name}`);
    return parsed.file;
  });
  return planConfig(files, { registry, minStability, mode, isStdlibName: (n) => STDLIB.has(n) });
}

function messages(p: ReturnType<typeof plan>): string[] {
  return p.diagnostics.map(diagnosticOneLine);
}

describe("planConfig", () => {
  it("builds the graph from references, dependencies first", () => {
    const p = plan({
      "main.alloy": `
testcomponents.sender "s" {
  forward_to = [testcomponents.receiver.r.receiver]
}
testcomponents.receiver "r" { }
logging {
  level = "debug"
}
`,
    });
    assert.deepEqual(messages(p), []);
    assert.deepEqual(p.order, ["testcomponents.receiver.r", "testcomponents.sender.s"]);
    assert.deepEqual(p.graph.dependencies("testcomponents.sender.s"), ["testcomponents.receiver.r"]);
    assert.equal(p.logging?.block.name.join("."), "logging");
  });

  it("reports every classification problem at once, with Alloy's words and positions", () => {
    const p = plan({
      "a.alloy": `x = 1
testcomponents.receiver "r" { }
testcomponents.receivr "q" { }
testcomponents.receiver { }
tracing { }
testcomponents.experimental "e" { }
`,
      "b.alloy": `testcomponents.receiver "r" { }
logging { }
logging { }
`,
    });
    // Alloy's order: attributes, then config blocks, then components (files in the order given).
    assert.deepEqual(messages(p), [
      "a.alloy:1:1: unrecognized attribute x",
      'a.alloy:5:1: the "tracing" block is not supported by profile-relay (only "logging", "livedebugging" and components are)',
      "b.alloy:3:1: block logging already declared at b.alloy:2:1",
      'a.alloy:3:1: cannot find the definition of component name "testcomponents.receivr" (known components: testcomponents.counter, testcomponents.experimental, testcomponents.failing, testcomponents.passthrough, testcomponents.receiver, testcomponents.sender)',
      'a.alloy:4:1: component "testcomponents.receiver" must have a label',
      'a.alloy:6:1: component "testcomponents.experimental" is at stability level "experimental", which is below the minimum allowed stability level "generally-available". Use --stability.level command-line flag to enable "experimental" features',
      "b.alloy:1:1: block testcomponents.receiver.r already declared at a.alloy:2:1",
    ]);
    const dup = p.diagnostics[6]!;
    assert.equal(dup.end?.column, "testcomponents.receiver.r".length, "range covers the whole ID");
  });

  it("allows experimental components at --stability.level=experimental", () => {
    assert.deepEqual(
      messages(plan({ "m.alloy": `testcomponents.experimental "e" { }` }, "run", "experimental")),
      [],
    );
  });

  it("rejects references to missing components on the traversal range", () => {
    const p = plan({
      "m.alloy": `testcomponents.passthrough "p" {
  input = [testcomponents.passthrough.missing.output, sys.env("HOME"), string.join([], ""), module_path]
}`,
    });
    assert.deepEqual(messages(p), [
      'm.alloy:2:12: component "testcomponents.passthrough.missing.output" does not exist or is out of scope',
    ]);
    const d = p.diagnostics[0]!;
    assert.equal(
      d.end?.column,
      2 + 10 + "testcomponents.passthrough.missing.".length,
      "ends at the last name",
    );
  });

  it("reports cycles and self references as `run` words them", () => {
    const p = plan({
      "m.alloy": `testcomponents.passthrough "a" { input = testcomponents.passthrough.b.output }
testcomponents.passthrough "b" { input = testcomponents.passthrough.a.output }
testcomponents.passthrough "c" { input = testcomponents.passthrough.c.output }
`,
    });
    assert.deepEqual(messages(p), [
      "-: cycle: testcomponents.passthrough.a, testcomponents.passthrough.b",
      "-: self reference: testcomponents.passthrough.c",
    ]);
  });

  it("reports cycles on every block, as `validate` words them", () => {
    const p = plan(
      {
        "m.alloy": `testcomponents.passthrough "b" { input = testcomponents.passthrough.a.output }
testcomponents.passthrough "a" { input = testcomponents.passthrough.b.output }
testcomponents.passthrough "c" { input = testcomponents.passthrough.c.output }
x = 1
`,
      },
      "validate",
    );
    assert.deepEqual(messages(p), [
      "m.alloy:4:1: unsupported statement type *ast.AttributeStmt",
      "m.alloy:2:1: cycle detected: testcomponents.passthrough.a, testcomponents.passthrough.b",
      "m.alloy:1:1: cycle detected: testcomponents.passthrough.a, testcomponents.passthrough.b",
      "m.alloy:3:1: cannot reference self",
    ]);
  });

  it("warns when a component shadows a stdlib name", () => {
    // No test component is named after a stdlib namespace, so use a stdlib set that contains one.
    const files = [
      parseFile(
        `testcomponents.passthrough "p" { input = testcomponents.receiver.r.receiver }
testcomponents.receiver "r" { }`,
        "m.alloy",
      ).file,
    ];
    const run = planConfig(files, {
      registry,
      minStability: "generally-available",
      mode: "run",
      isStdlibName: (n) => n === "testcomponents",
    });
    assert.deepEqual(run.diagnostics, []);
    assert.equal(run.warnings[0]?.message, "a component is shadowing an existing stdlib name");
    const validate = planConfig(files, {
      registry,
      minStability: "generally-available",
      mode: "validate",
      isStdlibName: (n) => n === "testcomponents",
    });
    assert.equal(validate.diagnostics[0]?.severity, "warning");
  });

  it("checks stdlib references while building the graph, as Alloy's reference check does", () => {
    const sources = {
      "m.alloy": `testcomponents.passthrough "p" {
  input = [env("HOME"), array.group_by([], "k", true), string.join([], "")]
}`,
    };
    const run = plan(sources, "run");
    // `run` logs a deprecated alias and refuses an experimental function below the experimental level.
    assert.deepEqual(run.warnings, [
      {
        message:
          "this stdlib function is deprecated; please refer to the documentation for updated usage and alternatives",
        fields: { function: "env" },
      },
    ]);
    assert.deepEqual(messages(run), [
      'm.alloy:2:25: array.group_by is at stability level "experimental", which is below the minimum allowed stability level "generally-available". Use --stability.level command-line flag to enable "experimental" features',
    ]);
    assert.equal(run.diagnostics[0]?.end?.column, 25 + "array.".length, "ends where the last name starts");
    // `validate` reports the deprecated alias as a warning; the experimental level allows the function.
    const validate = plan(sources, "validate", "experimental");
    assert.deepEqual(
      validate.diagnostics.map((d) => [d.severity, d.start?.column, d.end?.column]),
      [["warning", 12, 12]],
    );
    assert.deepEqual(validate.nodes[0]?.unresolved, []);
  });

  it("in validate, checks the references of duplicate and unlabelled blocks, not of unknown ones", () => {
    const p = plan(
      {
        "m.alloy": `testcomponents.receiver "r" { }
testcomponents.receiver "r" { }
testcomponents.sender "s" { forward_to = [testcomponents.receiver.gone.receiver] }
testcomponents.sender "s" { forward_to = [testcomponents.receiver.lost.receiver] }
testcomponents.sender { forward_to = [testcomponents.receiver.none.receiver] }
testcomponents.sendr "t" { forward_to = [testcomponents.receiver.nope.receiver] }
testcomponents.sender "u" { forward_to = [testcomponents.sendr.t.receiver] }
`,
      },
      "validate",
    );
    assert.deepEqual(
      messages(p).map((m) => m.replace(/ \(known components: .*\)$/, "")),
      [
        "m.alloy:2:1: block testcomponents.receiver.r already declared at m.alloy:1:1",
        'm.alloy:3:43: component "testcomponents.receiver.gone.receiver" does not exist or is out of scope',
        "m.alloy:4:1: block testcomponents.sender.s already declared at m.alloy:3:1",
        'm.alloy:4:43: component "testcomponents.receiver.lost.receiver" does not exist or is out of scope',
        'm.alloy:5:1: component "testcomponents.sender" must have a label',
        'm.alloy:5:39: component "testcomponents.receiver.none.receiver" does not exist or is out of scope',
        'm.alloy:6:1: cannot find the definition of component name "testcomponents.sendr"',
      ],
    );
    assert.deepEqual(
      [...p.components.keys()],
      ["testcomponents.receiver.r", "testcomponents.sender.s", "testcomponents.sender.u"],
    );
    assert.deepEqual(p.graph.dependencies("testcomponents.sender.u"), []);
    // `run` stops at the block's own error, and reports a reference to an unknown component.
    assert.deepEqual(
      messages(
        plan({ "m.alloy": `testcomponents.sender "u" { forward_to = [testcomponents.sendr.t.receiver] }` }),
      ),
      ['m.alloy:1:43: component "testcomponents.sendr.t.receiver" does not exist or is out of scope'],
    );
  });
});
