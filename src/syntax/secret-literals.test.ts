import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { printDiagnostics } from "./diagnostic-printer.ts";
import type { Diagnostic } from "./diagnostics.ts";
import { parseFile } from "./parser.ts";
import { attr, block, body, t } from "./schema.ts";
import {
  findSecretLiterals,
  maskedRaw,
  maskLine,
  maskSecretMessages,
  secretAttributeNames,
} from "./secret-literals.ts";

const SOURCE = `w "a" {
	basic_auth {
		username = "me"
		password = "hunter2"
	}
	http_headers = { "X-Key" = ["k3y", sys.env("KEY_VAR")] }
	bearer_token = coalesce(sys.env("TOKEN_VAR"), "fallback-tok")
	url = "http://x"
	key_pem = \`multi
line\`
}
`;

describe("secret literals", () => {
  const doc = { doc: "" };
  const schema = body({
    url: attr(t.string(), doc),
    bearer_token: attr(t.secret(), doc),
    http_headers: attr(t.map(t.list(t.secret())), doc),
    basic_auth: block(body({ username: attr(t.string(), doc), password: attr(t.secret(), doc) }), doc),
    tls: block(body({ key_pem: attr(t.secret(), doc) }), doc),
  });
  const names = secretAttributeNames([schema]);
  const { file } = parseFile(SOURCE, "s.alloy");
  const secrets = findSecretLiterals([file], names);

  test("names come from secret-typed attributes at any depth, lists and maps included", () => {
    assert.deepEqual([...names].sort(), ["bearer_token", "http_headers", "key_pem", "password"]);
  });

  test("every string in such an attribute's value is found, but not the names given to sys.env", () => {
    const raws = secrets.get("s.alloy")?.map((l) => l.raw);
    assert.deepEqual(raws, ['"hunter2"', '"k3y"', '"fallback-tok"', "`multi\nline`"]);
  });

  test("messages quoting a secret quote it masked; others are untouched", () => {
    const diags: Diagnostic[] = [
      { severity: "error", file: "s.alloy", message: '["hunter2"] should be capsule, got array' },
      { severity: "error", file: "s.alloy", message: 'unrecognized attribute name "bogus"' },
      { severity: "error", file: "other.alloy", message: '"hunter2" is fine in another file' },
    ];
    assert.deepEqual(
      maskSecretMessages(diags, secrets).map((d) => d.message),
      ['["*******"] should be capsule, got array', 'unrecognized attribute name "bogus"', diags[2]?.message],
    );
    assert.equal(maskedRaw('"é€"'), '"**"');
  });

  test("excerpts mask the secrets (quotes and tabs kept, so carets still line up)", () => {
    const lines = SOURCE.split("\n");
    const literals = secrets.get("s.alloy") ?? [];
    assert.equal(maskLine(lines[3]!, 4, literals), '\t\tpassword = "*******"');
    assert.equal(maskLine(lines[8]!, 9, literals), "\tkey_pem = `*****");
    assert.equal(maskLine(lines[9]!, 10, literals), "****`");
    assert.equal(maskLine(lines[7]!, 8, literals), lines[7]);

    const diag: Diagnostic = {
      severity: "error",
      file: "s.alloy",
      start: { offset: 0, line: 2, column: 2 },
      end: { offset: 0, line: 5, column: 2 },
      message: "a problem in the block",
    };
    const printed = printDiagnostics([diag], new Map([["s.alloy", SOURCE]]), { secrets });
    assert.ok(!printed.includes("hunter2"));
    assert.match(printed, /\n4 \| \|\s+password = "\*{7}"\n/);
    // without secrets the excerpt is Alloy's, as written
    assert.match(printDiagnostics([diag], new Map([["s.alloy", SOURCE]])), /password = "hunter2"/);
  });
});
