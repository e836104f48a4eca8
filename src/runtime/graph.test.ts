import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Graph } from "./graph.ts";

function graph(nodes: string[], edges: [string, string][]): Graph {
  const g = new Graph();
  for (const n of nodes) g.add(n);
  for (const [a, b] of edges) g.addEdge(a, b);
  return g;
}

describe("Graph", () => {
  it("orders dependencies first, preferring earlier-inserted nodes among those ready", () => {
    const g = graph(
      ["recv", "relabel", "write", "other"],
      [
        ["recv", "relabel"],
        ["relabel", "write"],
      ],
    );
    assert.deepEqual(g.topologicalOrder(), ["write", "relabel", "recv", "other"]);
  });

  it("finds every strongly connected component larger than one node", () => {
    const g = graph(
      ["a", "b", "c", "d", "e"],
      [
        ["a", "b"],
        ["b", "c"],
        ["c", "a"],
        ["d", "e"],
        ["e", "d"],
      ],
    );
    const cycles = g.cycles().map((c) => [...c].sort());
    assert.deepEqual(cycles, [
      ["a", "b", "c"],
      ["d", "e"],
    ]);
  });

  it("reports self references separately from cycles", () => {
    const g = graph(
      ["a", "b"],
      [
        ["a", "a"],
        ["b", "a"],
      ],
    );
    assert.deepEqual(g.cycles(), []);
    assert.deepEqual(g.selfReferences(), ["a"]);
  });

  it("knows dependants transitively", () => {
    const g = graph(
      ["a", "b", "c", "d"],
      [
        ["b", "a"],
        ["c", "b"],
        ["d", "a"],
      ],
    );
    assert.deepEqual([...g.transitiveDependants("a")].sort(), ["b", "c", "d"]);
    assert.deepEqual(g.dependants("a").sort(), ["b", "d"]);
    assert.deepEqual(g.dependencies("c"), ["b"]);
  });
});
