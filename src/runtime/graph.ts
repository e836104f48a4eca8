/**
 * A small directed graph of string IDs, as Alloy's `internal/dag`: an edge `from → to` means `from`
 * depends on `to` (it references `to`'s exports). Tarjan's algorithm finds cycles; the topological order
 * puts dependencies first and keeps insertion order among independent nodes, so evaluation and start-up
 * are deterministic.
 */
export class Graph {
  readonly #nodes: string[] = [];
  readonly #out = new Map<string, Set<string>>();
  readonly #in = new Map<string, Set<string>>();

  /** Adds a node (no-op when present). Insertion order is the tie-breaker of `topologicalOrder`. */
  add(id: string): void {
    if (this.#out.has(id)) return;
    this.#nodes.push(id);
    this.#out.set(id, new Set());
    this.#in.set(id, new Set());
  }

  has(id: string): boolean {
    return this.#out.has(id);
  }

  /** Adds `from → to` (`from` depends on `to`). Both nodes must exist. */
  addEdge(from: string, to: string): void {
    this.#out.get(from)?.add(to);
    this.#in.get(to)?.add(from);
  }

  nodes(): readonly string[] {
    return this.#nodes;
  }

  /** The nodes `id` depends on, in the order the edges were added. */
  dependencies(id: string): string[] {
    return [...(this.#out.get(id) ?? [])];
  }

  /** The nodes that depend on `id`. */
  dependants(id: string): string[] {
    return [...(this.#in.get(id) ?? [])];
  }

  /** Every edge whose two ends are the same node. */
  selfReferences(): string[] {
    return this.#nodes.filter((id) => this.#out.get(id)?.has(id) === true);
  }

  /** Strongly connected components with more than one node (cycles), each in discovery order (Tarjan). */
  cycles(): string[][] {
    let index = 0;
    const indices = new Map<string, number>();
    const lowlink = new Map<string, number>();
    const onStack = new Set<string>();
    const stack: string[] = [];
    const result: string[][] = [];

    const visit = (v: string): void => {
      indices.set(v, index);
      lowlink.set(v, index);
      index++;
      stack.push(v);
      onStack.add(v);
      for (const w of this.#out.get(v) ?? []) {
        if (!indices.has(w)) {
          visit(w);
          lowlink.set(v, Math.min(lowlink.get(v)!, lowlink.get(w)!));
        } else if (onStack.has(w)) {
          lowlink.set(v, Math.min(lowlink.get(v)!, indices.get(w)!));
        }
      }
      if (lowlink.get(v) === indices.get(v)) {
        const component: string[] = [];
        let w: string | undefined;
        do {
          w = stack.pop();
          if (w === undefined) break;
          onStack.delete(w);
          component.push(w);
        } while (w !== v);
        if (component.length > 1) {
          result.push(component.reverse());
        }
      }
    };

    for (const v of this.#nodes) {
      if (!indices.has(v)) visit(v);
    }
    return result;
  }

  /**
   * Every node, dependencies before dependants; among nodes that are ready together, insertion order.
   * Nodes on a cycle are left out (the graph is validated before it is walked).
   */
  topologicalOrder(): string[] {
    const remaining = new Map<string, number>();
    for (const id of this.#nodes) {
      const deps = this.#out.get(id)!;
      remaining.set(id, deps.has(id) ? deps.size - 1 : deps.size);
    }
    const position = new Map(this.#nodes.map((id, i) => [id, i]));
    const ready = this.#nodes.filter((id) => remaining.get(id) === 0);
    const order: string[] = [];
    while (ready.length > 0) {
      ready.sort((a, b) => position.get(a)! - position.get(b)!);
      const id = ready.shift()!;
      order.push(id);
      for (const dependant of this.#in.get(id) ?? []) {
        if (dependant === id) continue;
        const left = remaining.get(dependant)! - 1;
        remaining.set(dependant, left);
        if (left === 0) ready.push(dependant);
      }
    }
    return order;
  }

  /** Every node that depends on `id`, directly or not (not `id` itself unless it is on a cycle). */
  transitiveDependants(id: string): Set<string> {
    const seen = new Set<string>();
    const queue = [...(this.#in.get(id) ?? [])];
    while (queue.length > 0) {
      const next = queue.shift()!;
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push(...(this.#in.get(next) ?? []));
    }
    return seen;
  }
}
