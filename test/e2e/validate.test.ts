/**
 * `profile-relay validate` in-process, with the test components (test-only `PROFILE_RELAY_TEST_COMPONENTS=1`;
 * each test file runs in its own process).
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { validateCommand } from "../../src/cli/validate.ts";
import { TEST_COMPONENTS_ENV } from "../../src/runtime/testcomponents/index.ts";
import { type CommandRun, runCommand } from "../support/cli-io.ts";

process.env[TEST_COMPONENTS_ENV] = "1";

function validate(...args: string[]): Promise<CommandRun> {
  return runCommand(validateCommand, args);
}

describe("profile-relay validate", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "profile-relay-validate-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("accepts a valid config silently, without building anything", async () => {
    const path = join(dir, "ok.alloy");
    await writeFile(
      path,
      `logging { level = "warn" }
testcomponents.receiver "r" { }
testcomponents.sender "s" { forward_to = [testcomponents.receiver.r.receiver] }
testcomponents.failing "f" { build_error = "would fail if it were built" }
testcomponents.passthrough "p" { input = string.join(["a", sys.env("HOME")], "") }
`,
    );
    assert.deepEqual(await validate(path), { code: 0, stdout: "", stderr: "" });
  });

  it("reports every problem of a directory of files, then fails", async () => {
    const sub = join(dir, "many");
    await mkdir(sub);
    await writeFile(
      join(sub, "a.alloy"),
      `testcomponents.sender "s" { forward_to = "oops" }
testcomponents.passthrough "x" { input = testcomponents.passthrough.y.output }
testcomponents.passthrough "y" { input = testcomponents.passthrough.x.output }
`,
    );
    await writeFile(
      join(sub, "b.alloy"),
      `testcomponents.sendr "t" { }
testcomponents.receiver "r" { nope = 1 }
testcomponents.sender "u" { forward_to = [testcomponents.receiver.gone.receiver] }
`,
    );
    const { code, stderr } = await validate(sub);
    assert.equal(code, 1);
    const headers = stderr
      .split("\n")
      .filter((l) => l.startsWith("Error: "))
      .map((l) => l.replace(/\(known components: .*\)$/, "(known components: …)"));
    const a = join(sub, "a.alloy");
    const b = join(sub, "b.alloy");
    assert.deepEqual(headers, [
      `Error: ${a}:1:42: "oops" should be array, got string`,
      `Error: ${b}:1:1: cannot find the definition of component name "testcomponents.sendr" (known components: …)`,
      `Error: ${b}:2:31: unrecognized attribute name "nope"`,
      `Error: ${b}:3:43: component "testcomponents.receiver.gone.receiver" does not exist or is out of scope`,
      // Cycles come last, as in Alloy.
      `Error: ${a}:2:1: cycle detected: testcomponents.passthrough.x, testcomponents.passthrough.y`,
      `Error: ${a}:3:1: cycle detected: testcomponents.passthrough.x, testcomponents.passthrough.y`,
      "Error: validation failed",
    ]);
    assert.match(stderr, /known components: [^)]*testcomponents\.sender\)/);
    assert.match(stderr, /\n1 \| testcomponents\.sender "s" \{ forward_to = "oops" \}\n {2}\| {42}\^{6}\n/);
  });

  it("reports only syntax errors when a file does not parse", async () => {
    const path = join(dir, "syntax.alloy");
    await writeFile(path, `testcomponents.receiver "r {\n`);
    const { code, stderr } = await validate(path);
    assert.equal(code, 1);
    assert.match(stderr, /^Error: .*syntax\.alloy:1:25: string literal not terminated\n/);
    assert.match(stderr, /Error: validation failed\n$/);
  });

  it("gates stability with --stability.level", async () => {
    const path = join(dir, "exp.alloy");
    await writeFile(path, `testcomponents.experimental "e" { }\n`);
    const ga = await validate(path);
    assert.equal(ga.code, 1);
    assert.match(ga.stderr, /component "testcomponents\.experimental" is at stability level "experimental"/);
    assert.deepEqual(await validate("--stability.level=experimental", path), {
      code: 0,
      stdout: "",
      stderr: "",
    });
    assert.deepEqual(await validate("--stability.level", "nope", path), {
      code: 1,
      stdout: "",
      stderr: 'Error: invalid argument "nope" for "--stability.level" flag: invalid stability level "nope"\n',
    });
  });

  it("fails on warnings as Alloy does, saying so and naming the replacement of a deprecated function", async () => {
    const path = join(dir, "env.alloy");
    await writeFile(path, `testcomponents.passthrough "p" { input = env("HOME") }\n`);
    const { code, stdout, stderr } = await validate(path);
    assert.equal(code, 1);
    assert.equal(stdout, "");
    assert.match(stderr, /^Warning: .*env\.alloy:1:42: this stdlib function is deprecated;/);
    assert.match(
      stderr,
      /\nNote: env is deprecated: write sys\.env\(\.\.\.\) instead of env\(\.\.\.\)\.\nNote: warnings fail validation, as with `alloy validate` \(`run` logs them and runs the config\)\.\n\nError: validation failed\n$/,
    );
    await writeFile(path, `testcomponents.passthrough "p" { input = sys.env("HOME") }\n`);
    assert.deepEqual(await validate(path), { code: 0, stdout: "", stderr: "" });
  });

  it("reports an unreadable path in one line", async () => {
    const { code, stderr } = await validate(join(dir, "missing.alloy"));
    assert.equal(code, 1);
    assert.match(
      stderr,
      /^Error: reading config path ".*missing\.alloy": stat .*: no such file or directory\n\nError: validation failed\n$/,
    );
  });
});
