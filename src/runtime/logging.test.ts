import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Secret } from "../syntax/value.ts";
import { createLogging, renderLogfmt } from "./logging.ts";

// biome-ignore lint/suspicious/noControlCharactersInRegex: checking that none is left.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function capture(deferred = false) {
  const lines: string[] = [];
  const logging = createLogging({ out: (t) => lines.push(t), deferred });
  return { ...logging, lines };
}

describe("logging", () => {
  it("renders logfmt as Alloy does: ts, level, msg, then the fields", () => {
    const { logger, lines } = capture();
    logger.child({ component_path: "/", component_id: "a.b" }).info({ addr: "127.0.0.1:1" }, "now listening");
    assert.equal(lines.length, 1);
    assert.match(
      lines[0]!,
      /^ts=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z level=info msg="now listening" component_path=\/ component_id=a\.b addr=127\.0\.0\.1:1\n$/,
    );
  });

  it("quotes and escapes logfmt values that need it", () => {
    assert.equal(
      renderLogfmt({ level: "info", msg: "x", a: "", b: 'q"=\n', c: 3, d: true }),
      'level=info msg=x a="" b="q\\"=\\n" c=3 d=true\n',
    );
  });

  it("escapes control characters in logfmt and JSON lines, as go-logfmt does", () => {
    const evil = "svc\u001b]0;pwned\u0007\u001b[2J\u009b31m\r\nts=forged level=error";
    assert.equal(
      renderLogfmt({ level: "info", msg: evil, "k\u001b y=": "v" }),
      'level=info msg="svc\\u001b]0;pwned\\u0007\\u001b[2J\\u009b31m\\r\\nts=forged level=error" ky=v\n',
    );
    for (const format of ["logfmt", "json"] as const) {
      const { logger, lines, configure } = capture();
      configure({ level: "info", format });
      logger.warn({ service_name: evil }, evil);
      assert.equal(lines.length, 1);
      const line = lines[0]!;
      assert.equal(line.indexOf("\n"), line.length - 1, `${format}: one line`);
      assert.doesNotMatch(line.slice(0, -1), CONTROL, `${format}: no control character`);
    }
  });

  it("prints errors as their message and secrets as (secret)", () => {
    const { logger, lines } = capture();
    logger.error({ err: new Error("boom"), token: new Secret("hunter2") }, "failed");
    assert.match(lines[0]!, / msg=failed err=boom token=\(secret\)\n$/);
    assert.doesNotMatch(lines[0]!, /hunter2/);
  });

  it("holds lines back until configured, then applies the level and format", () => {
    const { logger, lines, configure } = capture(true);
    logger.info("first");
    logger.debug("hidden at info");
    assert.equal(lines.length, 0);
    configure({ level: "info", format: "json" });
    assert.equal(lines.length, 1);
    const record = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.deepEqual(Object.keys(record), ["ts", "level", "msg"]);
    assert.equal(record["msg"], "first");

    configure({ level: "debug", format: "logfmt" });
    logger.child({ component_id: "x" }).debug("now shown");
    assert.match(lines[1]!, /level=debug msg="now shown" component_id=x/);

    configure({ level: "error", format: "logfmt" });
    logger.warn("dropped");
    assert.equal(lines.length, 2);
  });
});
