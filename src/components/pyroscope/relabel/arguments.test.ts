// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${1}` is Go's template syntax, not JavaScript's.
/**
 * `pyroscope.relabel` arguments decoded from config text, as the runtime decodes them: defaults, and Alloy's
 * validation messages for rule blocks (`common/relabel/relabel.go` `Validate`, Prometheus' `TestRelabelValidate`
 * and `TestTargetLabelValidity`).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { BlockStmt } from "../../../syntax/ast.ts";
import { decodeBody } from "../../../syntax/decode.ts";
import { diagnosticOneLine } from "../../../syntax/diagnostics.ts";
import { parseFile } from "../../../syntax/parser.ts";
import { relabelArguments } from "./arguments.ts";
import { ruleProblems } from "./rules.ts";
import { ruleArgs } from "./test-rules.ts";

/** Decodes the body of `pyroscope.relabel "x" { ... }` (with `forward_to = []`) from config text. */
function decode(inner: string) {
  const source = `pyroscope.relabel "default" {\nforward_to = []\n${inner}\n}\n`;
  const { file, diagnostics } = parseFile(source, "config.alloy");
  assert.deepEqual(diagnostics.map(diagnosticOneLine), []);
  const block = file.body[0] as BlockStmt;
  const r = decodeBody(relabelArguments, block.body, { scope: new Map(), file: "config.alloy", block });
  return { value: r.value, messages: r.diagnostics.map((d) => d.message) };
}

describe("pyroscope.relabel arguments", () => {
  test("defaults: max_cache_size 10000, no rules; a rule block gets Prometheus' defaults", () => {
    const none = decode("");
    assert.deepEqual(none.messages, []);
    assert.equal(none.value?.max_cache_size, 10_000);
    assert.deepEqual(none.value?.rule, []);
    const one = decode('rule {\n target_label = "x"\n}');
    assert.deepEqual(one.messages, []);
    assert.deepEqual(one.value?.rule, [
      {
        source_labels: undefined,
        separator: ";",
        regex: "(.*)",
        modulus: 0,
        target_label: "x",
        replacement: "$1",
        action: "replace",
      },
    ]);
  });

  test("forward_to is required", () => {
    const source = 'pyroscope.relabel "default" {\n}\n';
    const { file } = parseFile(source, "config.alloy");
    const block = file.body[0] as BlockStmt;
    const r = decodeBody(relabelArguments, block.body, { scope: new Map(), file: "config.alloy", block });
    assert.deepEqual(
      r.diagnostics.map((d) => d.message),
      ['missing required attribute "forward_to"'],
    );
  });

  test("max_cache_size must be positive", () => {
    assert.deepEqual(decode("max_cache_size = 0").messages, ["max_cache_size must be greater than 0"]);
    assert.deepEqual(decode("max_cache_size = -5").messages, ["max_cache_size must be greater than 0"]);
    assert.deepEqual(decode("max_cache_size = 1").messages, []);
  });

  test("Alloy's rule validation messages", () => {
    const cases: [string, string][] = [
      ['action = "bogus"\n target_label = "x"', 'unrecognized action type "bogus"'],
      ['action = ""', "relabel action cannot be empty"],
      [
        'action = "hashmod"\n target_label = "x"',
        "relabel configuration for hashmod requires non-zero modulus",
      ],
      ['action = "replace"', "relabel configuration for replace action requires 'target_label' value"],
      ['action = "lowercase"', "relabel configuration for lowercase action requires 'target_label' value"],
      ['action = "keepequal"', "relabel configuration for keepequal action requires 'target_label' value"],
      [
        'action = "hashmod"\n modulus = 2',
        "relabel configuration for hashmod action requires 'target_label' value",
      ],
      ['target_label = "-${3}"', `"-\${3}" is invalid 'target_label' for replace action`],
      ['target_label = "0${3}"', `"0\${3}" is invalid 'target_label' for replace action`],
      [
        'action = "lowercase"\n target_label = "x"\n replacement = "y"',
        "'replacement' can not be set for lowercase action",
      ],
      ['action = "uppercase"\n target_label = "x-y"', `"x-y" is invalid 'target_label' for uppercase action`],
      ['action = "labelmap"\n replacement = "-x"', `"-x" is invalid 'replacement' for labelmap action`],
      [
        'action = "hashmod"\n modulus = 2\n target_label = "a.b"',
        `"a.b" is invalid 'target_label' for hashmod action`,
      ],
      [
        'action = "labeldrop"\n source_labels = ["a"]',
        "labeldrop action requires only 'regex', and no other fields",
      ],
      [
        'action = "labelkeep"\n separator = ","',
        "labelkeep action requires only 'regex', and no other fields",
      ],
      [
        'action = "labeldrop"\n source_labels = []',
        "labeldrop action requires only 'regex', and no other fields",
      ],
      [
        'action = "dropequal"\n target_label = "x"\n regex = "a"',
        "dropequal action requires only 'source_labels' and 'target_label', and no other fields",
      ],
      ['regex = "(abc"\n target_label = "x"', "error parsing regexp: missing closing ): `^(?:(abc)$`"],
      [
        'regex = "(?=x)"\n target_label = "x"',
        "error parsing regexp: invalid or unsupported Perl syntax: `(?=`",
      ],
    ];
    for (const [body, message] of cases) {
      assert.deepEqual(decode(`rule {\n ${body}\n}`).messages, [message], body);
    }
  });

  test("valid rules of every action", () => {
    const ok = [
      'source_labels = ["a"]\n regex = "some-([^-]+)-([^,]+)"\n target_label = "${3}"\n replacement = "${1}"',
      'action = "keep"\n source_labels = ["env"]\n regex = "prod"',
      'action = "drop"\n source_labels = ["env"]\n regex = "dev"',
      'action = "hashmod"\n source_labels = ["env"]\n modulus = 4\n target_label = "__tmp_hash"',
      'action = "labelmap"\n regex = "__meta_(.+)"',
      'action = "labeldrop"\n regex = "tmp_.*"',
      'action = "labelkeep"\n regex = "service_name|env"',
      'action = "lowercase"\n source_labels = ["env"]\n target_label = "env"',
      'action = "uppercase"\n source_labels = ["env"]\n target_label = "ENV"',
      'action = "keepequal"\n source_labels = ["a"]\n target_label = "b"',
      'action = "dropequal"\n source_labels = ["a"]\n target_label = "b"\n regex = "(.*)"',
    ];
    for (const body of ok) {
      assert.deepEqual(decode(`rule {\n ${body}\n}`).messages, [], body);
    }
  });

  test("the target_label grammar of Prometheus' TestTargetLabelValidity (replace)", () => {
    const cases: [string, boolean][] = [
      ["-label", false],
      ["label", true],
      ["label${1}", true],
      ["${1}label", true],
      ["${1}", true],
      ["${", false],
      ["$", false],
      ["${}", false],
      ["foo${", false],
      ["$1", true],
      ["asd$2asd", true],
      ["-foo${1}bar-", false],
      ["_${1}_", true],
      ["foo${bar}foo", true],
    ];
    for (const [target, valid] of cases) {
      assert.equal(ruleProblems(ruleArgs({ target_label: target })).length === 0, valid, target);
    }
  });

  test("a long invalid target is refused quickly (no backtracking blow-up)", () => {
    const target = `${"$a".repeat(5000)}-`;
    assert.equal(ruleProblems(ruleArgs({ target_label: target })).length, 1);
  });
});
