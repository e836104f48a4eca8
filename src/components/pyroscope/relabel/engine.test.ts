// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${1}` is Go's template syntax, not JavaScript's.
/**
 * The relabel engine against Prometheus' documented semantics, every action, with the cases of Prometheus'
 * `model/relabel/relabel_test.go` (`TestRelabel`) among them.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Labels } from "../../../pyroscope/labels.ts";
import type { RuleArguments } from "./arguments.ts";
import { goToLower, goToUpper, hashmod, relabel } from "./engine.ts";
import { compiled } from "./test-rules.ts";

function run(
  input: Record<string, string>,
  ...rules: Partial<RuleArguments>[]
): Record<string, string> | "dropped" {
  const out = relabel(Labels.from(input), compiled(...rules));
  return out === undefined ? "dropped" : out.toRecord();
}

describe("replace", () => {
  test("${1} references, several source labels joined with the separator", () => {
    assert.deepEqual(
      run(
        { a: "foo", b: "bar", c: "baz" },
        { source_labels: ["a"], regex: "f(.*)", target_label: "d", replacement: "ch${1}-ch${1}" },
      ),
      { a: "foo", b: "bar", c: "baz", d: "choo-choo" },
    );
    assert.deepEqual(
      run(
        { a: "foo", b: "bar", c: "baz" },
        { source_labels: ["a", "b"], regex: "f(.*);(.*)r", target_label: "a", replacement: "b${1}${2}m" },
        { source_labels: ["c", "a"], regex: "(b).*b(.*)ba(.*)", target_label: "d", replacement: "$1$2$2$3" },
      ),
      { a: "boobam", b: "bar", c: "baz", d: "boooom" },
    );
  });

  test("the regex is anchored: no match, no replacement", () => {
    assert.deepEqual(
      run({ a: "boo" }, { source_labels: ["a"], regex: "f", target_label: "b", replacement: "bar" }),
      {
        a: "boo",
      },
    );
    assert.deepEqual(run({ a: "abc" }, { source_labels: ["a"], regex: ".*(b).*", target_label: "d" }), {
      a: "abc",
      d: "b",
    });
  });

  test("defaults: the whole value ($1 of (.*)) is copied; a missing source label is an empty value", () => {
    assert.deepEqual(run({ a: "x" }, { source_labels: ["a"], target_label: "b" }), { a: "x", b: "x" });
    // (.*) matches "", the replacement is "", so the target is deleted.
    assert.deepEqual(run({ a: "x", b: "y" }, { source_labels: ["missing"], target_label: "b" }), { a: "x" });
    // A literal replacement is set even when the sources are empty.
    assert.deepEqual(run({ a: "x" }, { target_label: "c", replacement: "fixed" }), { a: "x", c: "fixed" });
  });

  test("the target may use groups; an invalid expanded target skips the rule", () => {
    const regex = "some-([^-]+)-([^,]+)";
    assert.deepEqual(
      run(
        { a: "some-name-value" },
        { source_labels: ["a"], regex, target_label: "${1}", replacement: "${2}" },
      ),
      { a: "some-name-value", name: "value" },
    );
    // ${3} does not exist: the value is empty, the label is deleted (it did not exist).
    assert.deepEqual(
      run(
        { a: "some-name-value" },
        { source_labels: ["a"], regex, target_label: "${1}", replacement: "${3}" },
      ),
      { a: "some-name-value" },
    );
    // An empty target, or one that is not a legacy label name (digits first, a dot), does nothing.
    assert.deepEqual(
      run(
        { a: "some-name-0" },
        { source_labels: ["a"], regex, target_label: "${3}", replacement: "${1}" },
        { source_labels: ["a"], regex: "some-([^-]+)(-[^,]+)", target_label: "${2}", replacement: "${1}" },
        { source_labels: ["a"], regex: "some-(.*)", target_label: "x${1}", replacement: "v" },
      ),
      { a: "some-name-0" },
    );
    assert.deepEqual(
      run(
        { a: "otel.scope" },
        { source_labels: ["a"], regex: "(.*)", target_label: "${1}", replacement: "v" },
      ),
      { a: "otel.scope" },
    );
  });

  test("a real-life tag string", () => {
    const tags = "path:/secret,job:some-job,label:foo=bar";
    assert.deepEqual(
      run(
        { __meta_sd_tags: tags },
        {
          source_labels: ["__meta_sd_tags"],
          regex: "(?:.+,|^)path:(/[^,]+).*",
          target_label: "__metrics_path__",
          replacement: "${1}",
        },
        {
          source_labels: ["__meta_sd_tags"],
          regex: "(?:.+,|^)job:([^,]+).*",
          target_label: "job",
          replacement: "${1}",
        },
        {
          source_labels: ["__meta_sd_tags"],
          regex: "(?:.+,|^)label:([^=]+)=([^,]+).*",
          target_label: "${1}",
          replacement: "${2}",
        },
      ),
      { __meta_sd_tags: tags, __metrics_path__: "/secret", job: "some-job", foo: "bar" },
    );
  });

  test("Go's expansion: $1x is the group named 1x (empty), $$ is $, named groups work", () => {
    assert.deepEqual(
      run(
        { a: "ab" },
        {
          source_labels: ["a"],
          regex: "(a)(?P<second>b)",
          target_label: "t",
          replacement: "$1x|$$|${second}|$second",
        },
      ),
      { a: "ab", t: "|$|b|b" },
    );
  });

  test("(.*) does not cross a newline, as in Go; (?s) does", () => {
    assert.deepEqual(run({ a: "x\ny" }, { source_labels: ["a"], target_label: "b" }), { a: "x\ny" });
    assert.deepEqual(run({ a: "x\ny" }, { source_labels: ["a"], regex: "(?s)(.*)", target_label: "b" }), {
      a: "x\ny",
      b: "x\ny",
    });
  });
});

describe("keep and drop", () => {
  test("drop when the regex matches, keep only when it does", () => {
    assert.equal(run({ a: "foo" }, { source_labels: ["a"], regex: ".*o.*", action: "drop" }), "dropped");
    assert.equal(
      run(
        { a: "foo" },
        { source_labels: ["a"], regex: ".*o.*", action: "drop" },
        { source_labels: ["a"], regex: "f(.*)", target_label: "d" },
      ),
      "dropped",
    );
    assert.deepEqual(run({ a: "foo" }, { source_labels: ["a"], regex: "no-match", action: "drop" }), {
      a: "foo",
    });
    // Anchored: "f|o" matches neither "foo" as a whole.
    assert.deepEqual(run({ a: "foo" }, { source_labels: ["a"], regex: "f|o", action: "drop" }), { a: "foo" });
    assert.equal(run({ a: "foo" }, { source_labels: ["a"], regex: "no-match", action: "keep" }), "dropped");
    assert.deepEqual(run({ a: "foo" }, { source_labels: ["a"], regex: "f.*", action: "keep" }), { a: "foo" });
  });

  test("a keep on a missing label matches the empty value", () => {
    assert.equal(run({ a: "x" }, { source_labels: ["env"], regex: "prod", action: "keep" }), "dropped");
    assert.deepEqual(run({ a: "x" }, { source_labels: ["env"], regex: "", action: "keep" }), { a: "x" });
  });
});

describe("keepequal and dropequal", () => {
  const input = { __tmp_port: "1234", __port1: "1234", __port2: "5678" };
  test("compare the joined sources with the target label's value", () => {
    assert.deepEqual(
      run(input, { source_labels: ["__tmp_port"], action: "keepequal", target_label: "__port1" }),
      input,
    );
    assert.equal(
      run(input, { source_labels: ["__tmp_port"], action: "dropequal", target_label: "__port1" }),
      "dropped",
    );
    assert.deepEqual(
      run(input, { source_labels: ["__tmp_port"], action: "dropequal", target_label: "__port2" }),
      input,
    );
    assert.equal(
      run(input, { source_labels: ["__tmp_port"], action: "keepequal", target_label: "__port2" }),
      "dropped",
    );
  });
});

describe("hashmod", () => {
  test("md5 of the joined value, last 8 bytes big-endian, modulo", () => {
    assert.deepEqual(
      run(
        { a: "foo", b: "bar", c: "baz" },
        { source_labels: ["c"], target_label: "d", action: "hashmod", modulus: 1000 },
      ),
      { a: "foo", b: "bar", c: "baz", d: "976" },
    );
    assert.deepEqual(
      run({ a: "foo\nbar" }, { source_labels: ["a"], target_label: "b", action: "hashmod", modulus: 1000 }),
      { a: "foo\nbar", b: "734" },
    );
    assert.equal(hashmod("prod", 2), "1");
    assert.equal(hashmod("dev", 2), "0");
  });

  test("a modulus beyond 32 bits", () => {
    assert.match(hashmod("x", 2 ** 40), /^\d+$/);
    assert.ok(BigInt(hashmod("x", 2 ** 40)) < 2n ** 40n);
  });
});

describe("labelmap, labeldrop, labelkeep", () => {
  test("labelmap copies matching labels to the expanded name", () => {
    assert.deepEqual(
      run(
        { a: "foo", b1: "bar", b2: "baz" },
        { regex: "(b.*)", replacement: "bar_${1}", action: "labelmap" },
      ),
      { a: "foo", b1: "bar", b2: "baz", bar_b1: "bar", bar_b2: "baz" },
    );
    assert.deepEqual(
      run(
        { a: "foo", __meta_my_bar: "aaa", __meta_my_baz: "bbb", __meta_other: "ccc" },
        { regex: "__meta_(my.*)", replacement: "${1}", action: "labelmap" },
      ),
      {
        a: "foo",
        __meta_my_bar: "aaa",
        __meta_my_baz: "bbb",
        __meta_other: "ccc",
        my_bar: "aaa",
        my_baz: "bbb",
      },
    );
  });

  test("labelmap: when two labels map to one name, the later one in name order wins", () => {
    assert.deepEqual(run({ a_x: "1", b_x: "2" }, { regex: "[ab]_(.*)", action: "labelmap" }), {
      a_x: "1",
      b_x: "2",
      x: "2",
    });
  });

  test("labelkeep keeps matching names; labeldrop drops them", () => {
    assert.deepEqual(run({ a: "foo", b1: "bar", b2: "baz" }, { regex: "(b.*)", action: "labelkeep" }), {
      b1: "bar",
      b2: "baz",
    });
    assert.deepEqual(run({ a: "foo", b1: "bar", b2: "baz" }, { regex: "(b.*)", action: "labeldrop" }), {
      a: "foo",
    });
  });

  test("labeldrop, then a replace recreating the label, then keep (prometheus#12283)", () => {
    assert.deepEqual(
      run(
        {
          __meta_kubernetes_pod_container_port_name: "foo",
          __meta_kubernetes_pod_annotation_XXX_metrics_port: "9091",
        },
        { regex: "^__meta_kubernetes_pod_container_port_name$", action: "labeldrop" },
        {
          source_labels: ["__meta_kubernetes_pod_annotation_XXX_metrics_port"],
          regex: "(.+)",
          replacement: "metrics",
          target_label: "__meta_kubernetes_pod_container_port_name",
        },
        { source_labels: ["__meta_kubernetes_pod_container_port_name"], regex: "^metrics$", action: "keep" },
      ),
      {
        __meta_kubernetes_pod_annotation_XXX_metrics_port: "9091",
        __meta_kubernetes_pod_container_port_name: "metrics",
      },
    );
  });

  test("labeldrop sees labels added by earlier rules", () => {
    assert.deepEqual(
      run(
        { a: "x" },
        { source_labels: ["a"], target_label: "__tmp" },
        { regex: "__tmp", action: "labeldrop" },
      ),
      { a: "x" },
    );
  });
});

describe("lowercase and uppercase", () => {
  test("ASCII", () => {
    assert.deepEqual(
      run(
        { foo: "bAr123Foo" },
        { source_labels: ["foo"], action: "uppercase", target_label: "foo_uppercase" },
        { source_labels: ["foo"], action: "lowercase", target_label: "foo_lowercase" },
      ),
      { foo: "bAr123Foo", foo_lowercase: "bar123foo", foo_uppercase: "BAR123FOO" },
    );
  });

  test("per code point, as Go's strings.ToLower/ToUpper (simple mappings)", () => {
    assert.equal(goToLower("ÀΣΑΣ"), "àσασ");
    assert.equal(goToLower("İ"), "i");
    assert.equal(goToUpper("straße"), "STRAßE");
    assert.equal(goToUpper("ǆ"), "Ǆ");
  });
});

describe("the builder", () => {
  test("rules see the changes of earlier rules; the result is sorted", () => {
    assert.deepEqual(
      run(
        { z: "1" },
        { source_labels: ["z"], target_label: "a" },
        { source_labels: ["a"], target_label: "m", replacement: "from-$1" },
      ),
      { a: "1", m: "from-1", z: "1" },
    );
    const out = relabel(Labels.from({ z: "1" }), compiled({ source_labels: ["z"], target_label: "a" }));
    assert.deepEqual(
      out?.toArray().map((l) => l.name),
      ["a", "z"],
    );
  });

  test("no rules: the same labels", () => {
    const input = Labels.from({ a: "1" });
    assert.ok(relabel(input, [])?.equals(input));
  });
});
