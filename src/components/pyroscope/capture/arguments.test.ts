import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { BlockStmt } from "../../../syntax/ast.ts";
import { decodeBody } from "../../../syntax/decode.ts";
import { diagnosticOneLine } from "../../../syntax/diagnostics.ts";
import { parseFile } from "../../../syntax/parser.ts";
import type { CaptureArguments } from "./arguments.ts";
import { captureRegistration } from "./index.ts";

const FILE = "config.alloy";

function decode(source: string): { value: CaptureArguments | undefined; errors: string[] } {
  const { file, diagnostics } = parseFile(source, FILE);
  assert.deepEqual(diagnostics.map(diagnosticOneLine), []);
  const block = file.body[0] as BlockStmt;
  const r = decodeBody(captureRegistration.args, block.body, { scope: new Map(), file: FILE, block });
  return {
    value: r.value,
    errors: r.diagnostics.filter((d) => d.severity === "error").map((d) => d.message),
  };
}

describe("pyroscope.capture arguments from config text", () => {
  test("defaults: the component's data folder, 1GiB, 24h", () => {
    const r = decode(`pyroscope.capture "local" {}`);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.value, { path: undefined, max_size: 1024 ** 3, retention: 86_400_000 });
  });

  test("sizes and durations as Alloy writes them", () => {
    const r = decode(
      `pyroscope.capture "local" {\n  path = "/tmp/profiles"\n  max_size = "256MiB"\n  retention = "1h30m"\n}`,
    );
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.value, { path: "/tmp/profiles", max_size: 256 * 1024 ** 2, retention: 5_400_000 });
  });

  test("validation", () => {
    assert.deepEqual(
      decode(`pyroscope.capture "x" {\n  max_size = 0\n  retention = "0s"\n  path = " "\n}`).errors,
      ["path must not be empty", "max_size must be greater than 0", "retention must be greater than 0"],
    );
    assert.ok(decode(`pyroscope.capture "x" {\n  retention = "1d"\n}`).errors.length > 0);
    assert.ok(decode(`pyroscope.capture "x" {\n  unknown = 1\n}`).errors.length > 0);
  });

  test("the registration", () => {
    assert.equal(captureRegistration.name, "pyroscope.capture");
    assert.equal(captureRegistration.stability, "generally-available");
    assert.deepEqual(
      captureRegistration.exports.map((e) => [e.name, e.type]),
      [["receiver", "capsule(pyroscope.Appendable)"]],
    );
  });
});
