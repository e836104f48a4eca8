// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${1}` is Go's template syntax, not JavaScript's.
/**
 * Go regexp syntax and matching on JavaScript's engine: what matches in Go matches here, what Go refuses is
 * refused with Go's message, and `expand` follows `Regexp.Expand`.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { GoRegexp } from "./go-regexp.ts";

/** Whether the anchored expression (as relabel anchors it) matches all of `s`. */
function full(expr: string, s: string): boolean {
  return GoRegexp.compile(`^(?:${expr})$`).matchString(s);
}

function error(expr: string): string {
  try {
    GoRegexp.compile(expr);
  } catch (err) {
    return (err as Error).message;
  }
  return "compiled";
}

describe("matching as Go matches", () => {
  const cases: [string, string, boolean][] = [
    // `.` is any character but \n (JavaScript's also stops at \r and U+2028).
    [".", "\r", true],
    [".", "\u2028", true],
    [".", "\n", false],
    ["(?s).", "\n", true],
    [".", "😀", true],
    // ASCII classes.
    ["\\s", "\u00a0", false],
    ["\\s", "\v", false],
    ["\\s", "\f", true],
    ["\\w+", "héllo", false],
    ["\\d", "٣", false],
    ["[[:alpha:]]+", "abcXYZ", true],
    ["[[:^digit:]]", "5", false],
    ["[[:space:]]", "\v", true],
    ["[\\d\\s]+", "1 2", true],
    ["[^\\S]", " ", true],
    ["[\\S]", " ", false],
    // Unicode classes.
    ["\\pL+", "héllo", true],
    ["\\p{Greek}+", "αβγ", true],
    ["\\p{^Greek}", "α", false],
    ["\\PL", "a", false],
    ["[\\p{Lu}\\d]+", "A1B2", true],
    // Flags anywhere, to the end of the group, across alternatives.
    ["(?i)abc", "ABC", true],
    ["a(?i)b|c", "C", true],
    ["a(?i)b|c", "AB", false],
    ["a(?i)b|c", "aB", true],
    ["(?i:a)b", "AB", false],
    ["(?i)a(?-i)b", "Ab", true],
    ["(?i)a(?-i)b", "AB", false],
    ["(?i)[a-c]+", "AbC", true],
    ["(?i)\\Qa.b\\E", "A.B", true],
    // Multi-line anchors only at \n.
    ["(?m)a$\\nb", "a\nb", true],
    ["(?m)(?:.|\\n)*^b$", "a\nb", true],
    ["(?m)a$.b", "a\rb", false],
    // Literal text.
    ["\\Qa.b*\\E", "a.b*", true],
    ["\\Qa.b*\\E", "axbbb", false],
    ["a{,2}", "a{,2}", true],
    ["a{2}", "aa", true],
    ["[]a]+", "]a]", true],
    ["[^]a]", "b", true],
    ["[a-]+", "a-a", true],
    ["\\x41\\x{1F600}\\101\\.", "A😀A.", true],
    ["\\141", "a", true],
    ["[\\x00-\\x1f]", "\u001b", true],
    // Greedy and lazy, and (?U) swapping them.
    ["(a+?)(a*)", "aaa", true],
    ["\\Aab\\z", "ab", true],
    // Empty alternatives and groups.
    ["a|", "", true],
    ["()", "", true],
  ];
  for (const [expr, input, want] of cases) {
    test(`${JSON.stringify(expr)} on ${JSON.stringify(input)}: ${want}`, () => {
      assert.equal(full(expr, input), want);
    });
  }

  test("submatches: leftmost-first, as Go; (?U) swaps greediness", () => {
    const re = GoRegexp.compile("^(?:(a+?)(a*))$");
    assert.deepEqual([...(re.findStringSubmatch("aaa") ?? [])], ["aaa", "a", "aa"]);
    const un = GoRegexp.compile("^(?:(?U)(a+)(a*))$");
    assert.deepEqual([...(un.findStringSubmatch("aaa") ?? [])], ["aaa", "a", "aa"]);
    const both = GoRegexp.compile("^(?:(?U)(a+?)(a*))$");
    assert.deepEqual([...(both.findStringSubmatch("aaa") ?? [])], ["aaa", "aaa", ""]);
  });

  test("unanchored MatchString finds a match anywhere", () => {
    assert.equal(GoRegexp.compile("b").matchString("abc"), true);
    assert.equal(GoRegexp.compile("^b").matchString("abc"), false);
  });
});

describe("refused as Go refuses", () => {
  const cases: [string, string][] = [
    ["(abc", "error parsing regexp: missing closing ): `(abc`"],
    ["abc)", "error parsing regexp: unexpected ): `abc)`"],
    ["[abc", "error parsing regexp: missing closing ]: `[abc`"],
    ["[z-a]", "error parsing regexp: invalid character class range: `z-a`"],
    ["a**", "error parsing regexp: invalid nested repetition operator: `**`"],
    ["a+*", "error parsing regexp: invalid nested repetition operator: `+*`"],
    ["*a", "error parsing regexp: missing argument to repetition operator: `*`"],
    ["a|*", "error parsing regexp: missing argument to repetition operator: `*`"],
    ["a{1001}", "error parsing regexp: invalid repeat count: `{1001}`"],
    ["a{2,1}", "error parsing regexp: invalid repeat count: `{2,1}`"],
    ["(?=a)", "error parsing regexp: invalid or unsupported Perl syntax: `(?=`"],
    ["(?!a)", "error parsing regexp: invalid or unsupported Perl syntax: `(?!`"],
    ["(?<=a)", "error parsing regexp: invalid or unsupported Perl syntax: `(?<`"],
    ["(?x)a", "error parsing regexp: invalid or unsupported Perl syntax: `(?x`"],
    ["(?i-)a", "error parsing regexp: invalid or unsupported Perl syntax: `(?i-)`"],
    ["(a)\\1", "error parsing regexp: invalid escape sequence: `\\1`"],
    ["\\C", "error parsing regexp: invalid escape sequence: `\\C`"],
    ["\\e", "error parsing regexp: invalid escape sequence: `\\e`"],
    ["\\xZZ", "error parsing regexp: invalid escape sequence: `\\xZZ`"],
    ["a\\", "error parsing regexp: trailing backslash at end of expression: ``"],
    ["(?P<n!>a)", "error parsing regexp: invalid named capture: `(?P<n!>`"],
    ["(?P<>a)", "error parsing regexp: invalid named capture: `(?P<>`"],
    ["\\p{Klingon}", "error parsing regexp: invalid character class range: `\\p{Klingon}`"],
    ["[[:foo:]]", "error parsing regexp: invalid character class range: `[:foo:]`"],
  ];
  for (const [expr, want] of cases) {
    test(JSON.stringify(expr), () => {
      assert.equal(error(expr), want);
    });
  }

  test("relabel's anchoring shows in the message, as in Alloy", () => {
    assert.equal(error("^(?:(abc)$"), "error parsing regexp: missing closing ): `^(?:(abc)$`");
  });
});

describe("expand (Go's Regexp.Expand)", () => {
  const re = GoRegexp.compile("^(?:(?P<first>a)(b)?(?P<1x>c)?)$");
  const m = re.findStringSubmatch("ac")!;
  const cases: [string, string][] = [
    ["$1", "a"],
    ["${1}", "a"],
    ["$first", "a"],
    ["${first}", "a"],
    ["$2", ""], // did not take part
    ["$9", ""], // no such group
    ["$1x", "c"], // the group *named* 1x
    ["${1}x", "ax"],
    ["$$1", "$1"],
    ["$", "$"],
    ["${", "${"],
    ["${1", "${1"],
    ["$-", "$-"],
    ["x${01}y", "xy"], // leading zero: a name, not a number
    ["x$1y", "x"], // the group named 1y
    ["$first_", ""], // the longest name wins: first_ does not exist
    ["[$0]", "[ac]"],
  ];
  for (const [template, want] of cases) {
    test(JSON.stringify(template), () => {
      assert.equal(re.expand(template, m), want);
    });
  }

  test("a repeated name takes the first group that matched; names JavaScript refuses work", () => {
    const dup = GoRegexp.compile("^(?:(?P<x>a)?(?P<x>b))$");
    assert.equal(dup.expand("$x", dup.findStringSubmatch("b")!), "b");
    assert.equal(dup.expand("$x", dup.findStringSubmatch("ab")!), "a");
    assert.deepEqual(dup.subexpNames, ["", "x", "x"]);
  });
});
