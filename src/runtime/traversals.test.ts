import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseFile } from "../syntax/parser.ts";
import { collectTraversals, resolveTraversal, traversalText } from "./traversals.ts";

function traversals(text: string): string[] {
  const { file, diagnostics } = parseFile(text, "t.alloy");
  assert.deepEqual(diagnostics, []);
  return collectTraversals(file.body).map(traversalText);
}

describe("collectTraversals", () => {
  it("ends a traversal at an index or a call and scans their parts separately (Alloy's walker, quirks included)", () => {
    assert.deepEqual(
      traversals(`b {
  x = a.b.c[d.e].f
  y = f.g(h.i, [j.k], { l = m.n }).o
  z = -p.q + (r.s).t
  nested { w = u.v }
}`),
      // As in Alloy, an access after `[...]` or `(...)` extends the traversal still being built inside them.
      ["a.b.c", "d.e.f", "f.g", "h.i", "j.k", "m.n.o", "p.q", "r.s.t", "u.v"],
    );
  });
});

describe("resolveTraversal", () => {
  it("matches the shortest prefix that is a node ID", () => {
    const { file } = parseFile("x = pyroscope.write.default.receiver", "t.alloy");
    const [t] = collectTraversals(file.body);
    const ids = new Set(["pyroscope.write.default", "pyroscope.write.default.receiver"]);
    const r = resolveTraversal(t!, (id) => ids.has(id));
    assert.equal(r?.target, "pyroscope.write.default");
    assert.deepEqual(
      r?.rest.map((i) => i.name),
      ["receiver"],
    );
    assert.equal(
      resolveTraversal(t!, () => false),
      undefined,
    );
  });
});
