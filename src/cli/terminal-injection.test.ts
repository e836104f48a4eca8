import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { captureIO } from "../../test/support/cli-io.ts";
import { startFakePyroscope } from "../../test/support/fake-pyroscope.ts";
import { startCapture } from "../components/pyroscope/capture/test-harness.ts";
import { Labels } from "../pyroscope/labels.ts";
import { terminalCell, terminalText } from "../runtime/terminal-text.ts";
import { main } from "./main.ts";

/** ESC/BEL sequences: set the window title, clear the screen, an 8-bit CSI, a bidi override. */
const EVIL = "svc\u001b]0;pwned\u0007\u001b[2J\u009b31m\u202etxt";

// biome-ignore lint/suspicious/noControlCharactersInRegex: checking that none reaches the terminal.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe("terminal injection", () => {
  test("terminalText and terminalCell escape control characters as Go's %q does", () => {
    assert.equal(terminalCell(EVIL), "svc\\x1b]0;pwned\\a\\x1b[2J\\x9b31m\\u202etxt");
    assert.equal(terminalText("a\tb\nc\rd\u007f"), "a\tb\nc\\rd\\x7f");
    assert.equal(terminalCell("a\tb\nc"), "a\\tb\\nc");
    assert.equal(terminalCell("plain ünïcode ✓"), "plain ünïcode ✓");
  });

  test("ls and replay show label values and backend errors with their control characters escaped", async (t) => {
    const c = await startCapture();
    t.after(() => c.stop());
    const labels = Labels.from({ __name__: `cpu${EVIL}`, service_name: EVIL });
    assert.equal(
      (
        await c.component.push({
          labels,
          samples: [{ id: "", rawProfile: new Uint8Array([1, 2, 3]) }],
          headers: {},
        })
      ).ok,
      true,
    );

    const ls = captureIO(false);
    assert.equal(await main(["ls", c.dataPath], ls.io), 0);
    assert.doesNotMatch(ls.out() + ls.err(), CONTROL);
    assert.match(ls.out(), /svc\\x1b\]0;pwned\\a\\x1b\[2J\\x9b31m\\u202etxt/);

    const fake = await startFakePyroscope({
      respond: () => ({ connectCode: "invalid_argument", message: `bad \u001b[31mred\u0007 ${EVIL}` }),
    });
    t.after(() => fake.close());
    const replay = captureIO(true);
    assert.equal(await main(["replay", c.dataPath, "--to", fake.url], replay.io), 1);
    assert.match(replay.err(), /failed: svc\\x1b/);
    assert.match(replay.err(), /bad \\x1b\[31mred\\a/);
    // The progress bar's own `\r\x1b[2K` is the only escape sequence on stderr.
    assert.doesNotMatch(replay.err().replaceAll("\r\u001b[2K", "") + replay.out(), CONTROL);
  });
});
