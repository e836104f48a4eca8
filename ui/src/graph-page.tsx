/**
 * `/graph`: the pipeline as a graph laid out with dagre (left to right) and drawn with React Flow, as
 * Alloy's graph page; each edge is labelled with the rate of profiles its source passed over the last
 * window, read from the `graph` stream (live debugging must be enabled for the rates).
 */
import { Graph, layout } from "@dagrejs/dagre";
import { Background, type Edge, MarkerType, type Node, ReactFlow } from "@xyflow/react";
import { useEffect, useMemo, useState } from "react";
import { type ComponentInfo, readStream } from "./api.ts";
import { componentRoute, navigate } from "./router.tsx";
import { usePoll } from "./use-poll.ts";

const NODE_WIDTH = 260;
const NODE_HEIGHT = 56;
const WINDOW_SECONDS = 5;

/** Positions from dagre for every component. */
function laidOut(components: readonly ComponentInfo[]): { nodes: Node[]; edges: Edge[] } {
  const ids = new Set(components.map((c) => c.localID));
  const g = new Graph();
  g.setGraph({ rankdir: "LR", nodesep: 40, ranksep: 120 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const c of components) g.setNode(c.localID, { width: NODE_WIDTH, height: NODE_HEIGHT });
  const edges: Edge[] = [];
  for (const c of components) {
    for (const to of c.dataFlowEdgesTo) {
      if (!ids.has(to)) continue;
      g.setEdge(c.localID, to);
      edges.push({
        id: `${c.localID}->${to}`,
        source: c.localID,
        target: to,
        markerEnd: { type: MarkerType.ArrowClosed },
      });
    }
  }
  layout(g);
  const nodes: Node[] = components.map((c) => {
    const p = g.node(c.localID) as { x: number; y: number };
    return {
      id: c.localID,
      position: { x: p.x - NODE_WIDTH / 2, y: p.y - NODE_HEIGHT / 2 },
      data: {
        label: (
          <div className="graph-node" data-component={c.localID}>
            <span className={`dot health-${c.health.state}`} />
            <span className="mono">{c.localID}</span>
          </div>
        ),
      },
      style: { width: NODE_WIDTH },
      sourcePosition: "right" as Node["sourcePosition"],
      targetPosition: "left" as Node["targetPosition"],
    };
  });
  return { nodes, edges };
}

/**
 * The rate of profiles each component passed in the last window, from the `graph` stream: each window
 * brings one chunk per component that passed profiles (an empty chunk when none did); a rate older than
 * two windows counts as 0.
 */
function useRates(): { rates: ReadonlyMap<string, number>; error: string | undefined } {
  const [rates, setRates] = useState<ReadonlyMap<string, number>>(new Map());
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    const abort = new AbortController();
    const seen = new Map<string, { rate: number; at: number }>();
    const publish = () => {
      const now = Date.now();
      const next = new Map<string, number>();
      for (const [id, r] of seen) if (now - r.at < 2 * WINDOW_SECONDS * 1000) next.set(id, r.rate);
      setRates(next);
    };
    readStream(`graph?window=${WINDOW_SECONDS}`, abort.signal, (chunk) => {
      const feed = chunk as { componentID?: string; rate?: number } | undefined;
      if (feed?.componentID !== undefined)
        seen.set(feed.componentID, { rate: feed.rate ?? 0, at: Date.now() });
      publish();
    }).catch((err: unknown) => setError(err instanceof Error ? err.message : String(err)));
    return () => abort.abort();
  }, []);
  return { rates, error };
}

export function GraphPage() {
  const { value, error } = usePoll<ComponentInfo[]>("components", 5000);
  const { rates, error: rateError } = useRates();
  const graph = useMemo(() => (value === undefined ? undefined : laidOut(value)), [value]);
  const edges = useMemo(
    () =>
      graph?.edges.map((e) => {
        const rate = rates.get(e.source) ?? 0;
        return {
          ...e,
          label: `${rate.toFixed(2)} profiles/s`,
          animated: rate > 0,
        };
      }) ?? [],
    [graph, rates],
  );
  return (
    <section className="graph-page">
      <h1>Graph</h1>
      {error !== undefined && <p className="error">{error}</p>}
      {rateError !== undefined && (
        <p className="notice">
          Edge rates need live debugging ({rateError}). Add <code>livedebugging {"{ enabled = true }"}</code>{" "}
          to the config and reload.
        </p>
      )}
      {graph === undefined ? (
        <p>Loading…</p>
      ) : (
        <div className="graph">
          <ReactFlow
            nodes={graph.nodes}
            edges={edges}
            fitView
            nodesConnectable={false}
            onNodeClick={(_, node) => navigate(componentRoute(node.id))}
            proOptions={{ hideAttribution: true }}
          >
            <Background />
          </ReactFlow>
        </div>
      )}
    </section>
  );
}
