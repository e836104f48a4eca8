import assert from "node:assert/strict";
import { test } from "node:test";

// The package as users import it: `profile-relay/syntax` resolves through package.json "exports" to the
// compiled build (made by `npm ci`/`npm run build`).
test("profile-relay/syntax works as a library", async () => {
  const syntax = await import("profile-relay/syntax");
  const { file, diagnostics } = syntax.parse(
    'pyroscope.write "a" {\n  endpoint { url = "http://x" }\n}\n',
    "a.alloy",
  );
  assert.deepEqual(diagnostics, []);
  assert.equal(file.body.length, 1);
  assert.equal(syntax.format("a   =   1\n"), "a = 1\n");
  assert.deepEqual(syntax.evaluateExpression('string.join(["a", "b"], sep)', { sep: "-" }), "a-b");
  assert.equal(syntax.evaluateExpression("7 / 2"), 3);
  const secret = syntax.evaluateExpression('convert.nonsensitive("x") + ""');
  assert.equal(secret, "x");
  assert.throws(
    () => syntax.evaluateExpression("1 + "),
    (err: unknown) => err instanceof syntax.DiagnosticsError && err.diagnostics.length > 0,
  );
});
