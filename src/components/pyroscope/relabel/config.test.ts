/**
 * `pyroscope.relabel` from config text through the runtime: decoded, built, wired by its exported receiver,
 * updated on reload, and its rule errors reported at the attribute with Alloy's words.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import {
  metricValue,
  type TestController,
  testController,
  waitFor,
} from "../../../runtime/testcomponents/harness.ts";
import { diagnosticOneLine } from "../../../syntax/diagnostics.ts";
import { relabelRegistration } from "./index.ts";

let current: TestController | undefined;
afterEach(async () => {
  await current?.controller.shutdown();
  current = undefined;
});

function harness(): TestController {
  current = testController({ extra: [relabelRegistration] });
  return current;
}

/** testcomponents.sender pushes `{service_name="test"}` once through the relabel component. */
function pipeline(rules: string): string {
  return `
testcomponents.sender "s" {
  forward_to = [pyroscope.relabel.r.receiver]
}
pyroscope.relabel "r" {
  forward_to = [testcomponents.receiver.out.receiver]
${rules}
}
testcomponents.receiver "out" { }
`;
}

async function settle(h: TestController): Promise<{ received: number; dropped: number; processed: number }> {
  const out = h.controller.node("testcomponents.receiver.out")!;
  const relabel = h.controller.node("pyroscope.relabel.r")!;
  await waitFor(() => h.controller.node("testcomponents.sender.s")!.running, "sender running");
  let processed = 0;
  for (let i = 0; i < 400 && processed < 1; i++) {
    processed = await metricValue(relabel.registry, "pyroscope_relabel_profiles_processed");
    if (processed < 1) await new Promise((res) => setTimeout(res, 5));
  }
  return {
    processed,
    received: await metricValue(out.registry, "testcomponents_received_total"),
    dropped: await metricValue(relabel.registry, "pyroscope_relabel_profiles_dropped"),
  };
}

describe("pyroscope.relabel in a config", () => {
  it("forwards what the rules keep along the references", async () => {
    const h = harness();
    assert.deepEqual(
      await h.load(
        pipeline(
          '  rule {\n    source_labels = ["service_name"]\n    regex = "test"\n    action = "keep"\n  }',
        ),
      ),
      [],
    );
    assert.deepEqual(await settle(h), { processed: 1, received: 1, dropped: 0 });
    assert.deepEqual(h.controller.referencesTo("pyroscope.relabel.r"), ["testcomponents.receiver.out"]);
  });

  it("drops what the rules drop", async () => {
    const h = harness();
    assert.deepEqual(
      await h.load(
        pipeline(
          '  rule {\n    source_labels = ["service_name"]\n    regex = "t.*"\n    action = "drop"\n  }',
        ),
      ),
      [],
    );
    assert.deepEqual(await settle(h), { processed: 1, received: 0, dropped: 1 });
  });

  it("a reload with new rules updates the running component and purges its cache", async () => {
    const h = harness();
    assert.deepEqual(await h.load(pipeline("")), []);
    await settle(h);
    const node = h.controller.node("pyroscope.relabel.r")!;
    assert.equal(await metricValue(node.registry, "pyroscope_relabel_cache_size"), 1);
    assert.deepEqual(
      await h.load(pipeline('  rule {\n    target_label = "x"\n    replacement = "y"\n  }')),
      [],
    );
    assert.equal(await metricValue(node.registry, "pyroscope_relabel_cache_size"), 0);
  });

  it("rule errors point at the block or attribute, with Alloy's messages", async () => {
    const h = harness();
    const diags = await h.load(
      pipeline(
        '  rule {\n    action = "hashmod"\n    target_label = "x"\n  }\n  rule {\n    regex = "(a"\n  }',
      ),
    );
    assert.deepEqual(diags.map(diagnosticOneLine), [
      "main.alloy:7:3: relabel configuration for hashmod requires non-zero modulus",
      "main.alloy:12:5: error parsing regexp: missing closing ): `^(?:(a)$`",
      // The component is not built, so the sender's reference to its receiver fails too.
      'main.alloy:3:37: field "receiver" does not exist',
    ]);
  });
});
