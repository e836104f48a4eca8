/**
 * Configs a user would plausibly get wrong, through `validate` (in-process) and `run` (a child process, for
 * what only `run` finds): every error names `file:line:col`, shows the place, and says what is wrong in the
 * config's own words (Alloy's wording where Alloy has a message; ours says what to write instead). `run`
 * exits 1 on them, never hangs or prints a stack trace, and never prints a secret written next to an error.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { main } from "../../src/cli/main.ts";
import { runCommand } from "../support/cli-io.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const NODE = join(ROOT, "node_modules/.bin/node");
const MAIN = join(ROOT, "src/cli/main.ts");

const WRITE = `pyroscope.write "backend" {
  endpoint {
    url = "http://localhost:4040"
  }
}
`;

/** [what the user did, config, the first error line after `Error: <file>:`] */
const CASES: readonly (readonly [string, string, string])[] = [
  [
    "misspelt component name",
    `pyroscope.recieve_http "default" {\n  forward_to = [pyroscope.write.backend.receiver]\n}\n${WRITE}`,
    '1:1: cannot find the definition of component name "pyroscope.recieve_http" (known components: pyroscope.capture, pyroscope.receive_http, pyroscope.relabel, pyroscope.write)',
  ],
  [
    "misspelt attribute",
    `pyroscope.write "backend" {\n  endpoint {\n    url = "http://localhost:4040"\n    remote_timout = "10s"\n  }\n}\n`,
    '4:5: unrecognized attribute name "remote_timout"',
  ],
  [
    "misspelt block",
    `pyroscope.write "backend" {\n  endpont {\n    url = "http://localhost:4040"\n  }\n}\n`,
    '2:3: unrecognized block name "endpont"',
  ],
  [
    "component without a label",
    `pyroscope.write {\n  endpoint {\n    url = "http://x"\n  }\n}\n`,
    '1:1: component "pyroscope.write" must have a label',
  ],
  [
    "label with a dash",
    `pyroscope.write "my-backend" {\n}\n`,
    '1:17: expected block label to be a valid identifier, but got "my-backend"',
  ],
  [
    "reference to a component that is not declared",
    `pyroscope.receive_http "default" {\n  forward_to = [pyroscope.write.backnd.receiver]\n}\n${WRITE}`,
    '2:17: component "pyroscope.write.backnd.receiver" does not exist or is out of scope',
  ],
  [
    "forward_to a write without .receiver",
    `pyroscope.receive_http "default" {\n  forward_to = [pyroscope.write.backend]\n}\n${WRITE}`,
    "2:17: pyroscope.write.backend should be capsule, got object",
  ],
  [
    "a receiver where a list is expected",
    `pyroscope.receive_http "default" {\n  forward_to = pyroscope.write.backend.receiver\n}\n${WRITE}`,
    "2:16: pyroscope.write.backend.receiver should be array, got capsule",
  ],
  [
    "misspelt export",
    `pyroscope.receive_http "r" {\n  forward_to = [pyroscope.capture.local.reciever]\n}\npyroscope.capture "local" { }\n`,
    '2:41: field "reciever" does not exist',
  ],
  [
    "missing forward_to",
    `pyroscope.receive_http "default" {\n  http {\n    listen_port = 4040\n  }\n}\n`,
    '1:1: missing required attribute "forward_to"',
  ],
  [
    "labels written as a list of strings",
    `pyroscope.write "backend" {\n  external_labels = ["env=prod"]\n}\n`,
    '2:21: ["env=prod"] should be object, got array',
  ],
  [
    "a duration without a unit",
    `pyroscope.write "backend" {\n  endpoint {\n    url = "http://x"\n    remote_timeout = "10"\n  }\n}\n`,
    '4:22: "10" time: missing unit in duration "10"',
  ],
  [
    "a port out of range",
    `pyroscope.receive_http "r" {\n  http {\n    listen_port = 99999\n  }\n  forward_to = []\n}\n`,
    "3:5: listen_port must be between 0 and 65535, got 99999",
  ],
  [
    "a URL without a scheme",
    `pyroscope.write "backend" {\n  endpoint {\n    url = "localhost:4040"\n  }\n}\n`,
    '3:5: url "localhost:4040" must start with http:// or https://, e.g. "http://pyroscope:4040"',
  ],
  [
    "two kinds of auth",
    `pyroscope.write "backend" {\n  endpoint {\n    url = "http://x"\n    bearer_token = "t"\n    basic_auth {\n      username = "u"\n      password = "p"\n    }\n  }\n}\n`,
    "2:3: at most one of basic_auth, authorization, oauth2, bearer_token & bearer_token_file must be configured",
  ],
  [
    "a block written as an attribute",
    `pyroscope.write "backend" {\n  endpoint = {\n    url = "http://x",\n  }\n}\n`,
    '2:3: "endpoint" must be a block, but is used as an attribute',
  ],
  ["the same component twice", `${WRITE}${WRITE}`, "6:1: block pyroscope.write.backend already declared at"],
  [
    "YAML-style colon",
    `pyroscope.write "backend" {\n  endpoint {\n    url: "http://x"\n  }\n}\n`,
    "3:8: illegal character U+003A ':'",
  ],
  [
    "a missing closing brace",
    `pyroscope.write "backend" {\n  endpoint {\n    url = "http://x"\n}\n`,
    "5:1: expected }, got EOF",
  ],
  [
    "single quotes",
    `pyroscope.write "backend" {\n  endpoint {\n    url = 'http://x'\n  }\n}\n`,
    "3:11: illegal single-quoted string; use double quotes",
  ],
  [
    "a TLS certificate without its key",
    `pyroscope.receive_http "r" {\n  http {\n    tls {\n      cert_file = "/etc/cert.pem"\n    }\n  }\n  forward_to = []\n}\n`,
    "3:5: a private key is required to serve TLS: set key_pem or key_file",
  ],
  [
    "a function that does not exist",
    `pyroscope.write "backend" {\n  endpoint {\n    url = env.get("X")\n  }\n}\n`,
    '3:11: env cannot access field "get" on value of type function',
  ],
];

describe("configs people get wrong", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "profile-relay-bad-configs-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  async function validate(name: string, source: string): Promise<{ code: number; stderr: string }> {
    const path = join(dir, `${name.replace(/\W+/g, "-")}.alloy`);
    await writeFile(path, source);
    const { code, stderr } = await runCommand(main, ["validate", path]);
    return { code, stderr: stderr.replaceAll(`${path}:`, "FILE:") };
  }

  for (const [what, source, expected] of CASES) {
    test(`validate: ${what}`, async () => {
      const { code, stderr } = await validate(what, source);
      assert.equal(code, 1);
      const first = stderr.split("\n")[0] ?? "";
      assert.ok(first.startsWith(`Error: FILE:${expected}`), `got: ${first}`);
      // the place is shown: the line named, with a caret line under it (nothing to underline at the end)
      const line = Number(expected.split(":")[0]);
      const caret = expected.includes("EOF") ? "" : "[ _|]*\\^";
      assert.match(stderr, new RegExp(`\\n ?${line} \\| .*\\n +\\| ${caret}`));
      assert.match(stderr, /\nError: validation failed\n$/);
    });
  }

  test("validate: a secret next to an error is masked in the excerpt and the message", async () => {
    const { stderr } = await validate(
      "secret",
      `pyroscope.write "backend" {\n  endpoint {\n    url = "http://x"\n    basic_auth {\n      username = "me"\n      password = "hunter2-secret"\n      passwrd = "x"\n    }\n    bearer_token = ["tok3n-secret"]\n  }\n}\n`,
    );
    assert.ok(!stderr.includes("hunter2-secret"), stderr);
    assert.ok(!stderr.includes("tok3n-secret"), stderr);
    assert.match(stderr, /Error: FILE:7:7: unrecognized attribute name "passwrd"\n/);
    assert.match(stderr, /\n6 \| {7}password = "\*{14}"\n/);
    assert.match(stderr, /Error: FILE:9:20: \["\*{12}"\] should be /);
  });
});

/** Runs `profile-relay run` on a config; resolves with its exit code and output (killed after 20 s). */
function run(path: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      NODE,
      [
        MAIN,
        "run",
        "--server.http.listen-addr=127.0.0.1:0",
        `--storage.path=${join(path, "..", "data")}`,
        path,
      ],
      { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("exit", (code) => {
      clearTimeout(killer);
      resolve({ code, stderr });
    });
  });
}

describe("run on configs only run can judge", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "profile-relay-bad-run-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test("a config nested 100 000 deep exits 1 with a positioned error (it used to hang)", async () => {
    const path = join(dir, "deep.alloy");
    const n = 100_000;
    await writeFile(
      path,
      `pyroscope.write "w" {\n  external_labels = ${"{a = ".repeat(n)}"1"${"}".repeat(n)}\n}\n`,
    );
    const { code, stderr } = await run(path);
    assert.equal(code, 1);
    assert.match(stderr, /Error: .*deep\.alloy:2:\d+: nesting is too deep: more than 500 levels/);
    assert.match(stderr, /Error: could not perform the initial load successfully\n/);
    assert.doesNotMatch(stderr, /RangeError|\n {4}at /);
  });

  test("an endpoint URL from an unset variable says so; the secret beside it is not printed", async () => {
    const path = join(dir, "env.alloy");
    await writeFile(
      path,
      `pyroscope.write "backend" {
  endpoint {
    url = sys.env("PROFILE_RELAY_TEST_UNSET_URL")
    basic_auth {
      username = "me"
      password = "hunter2-secret"
    }
  }
}
`,
    );
    const { code, stderr } = await run(path, { PROFILE_RELAY_TEST_UNSET_URL: "" });
    assert.equal(code, 1);
    assert.match(
      stderr,
      /Error: .*env\.alloy:1:1: Failed to build component: building component: the url of endpoint 1 is empty: set it to the base URL of the Pyroscope server, e\.g\. "http:\/\/pyroscope:4040" \(sys\.env returns "" for a variable that is not set\)\n/,
    );
    assert.match(stderr, /\n 6 \| \| {7}password = "\*{14}"\n/);
    assert.ok(!stderr.includes("hunter2-secret"));
  });
});
