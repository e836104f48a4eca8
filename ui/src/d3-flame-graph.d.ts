/** The part of d3-flame-graph's API the UI uses (the package ships no types). */
declare module "d3-flame-graph" {
  /** A frame: `value` is its total (itself and its callees). */
  export interface FlameNode {
    name: string;
    value: number;
    children: FlameNode[];
  }
  export interface FlameGraph {
    (selection: unknown): void;
    width(w: number): FlameGraph;
    cellHeight(h: number): FlameGraph;
    minFrameSize(px: number): FlameGraph;
    transitionDuration(ms: number): FlameGraph;
    sort(sort: boolean): FlameGraph;
    title(title: string): FlameGraph;
    label(label: (node: { data: FlameNode; value: number }) => string): FlameGraph;
    destroy(): void;
  }
  export default function flamegraph(): FlameGraph;
}
