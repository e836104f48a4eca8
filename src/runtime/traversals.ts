/**
 * References between components, found the way Alloy's runtime finds them
 * (`internal/runtime/internal/controller/component_references.go`): a traversal is an identifier followed by
 * an unbroken chain of `.name` accesses; an index or a call ends it, and its index, callee and arguments are
 * scanned on their own. A traversal is resolved by trying ever longer prefixes until one is a node ID.
 */
import type { Expr, Ident, Statement } from "../syntax/ast.ts";

/** `a.b.c` as its identifiers. Never empty. */
export type Traversal = readonly Ident[];

/** The dotted text of a traversal, e.g. `pyroscope.write.default.receiver`. */
export function traversalText(t: Traversal): string {
  return t.map((i) => i.name).join(".");
}

/** Every traversal in a block body (attributes and nested blocks), in source order. */
export function collectTraversals(body: readonly Statement[]): Traversal[] {
  const walker = new TraversalWalker();
  walker.body(body);
  walker.flush();
  return walker.traversals;
}

/**
 * The node a traversal refers to: the shortest prefix that is a node ID, and the rest of the path.
 * `undefined` when no prefix matches.
 */
export function resolveTraversal(
  t: Traversal,
  isNode: (id: string) => boolean,
): { readonly target: string; readonly rest: readonly Ident[] } | undefined {
  let partial = "";
  for (let i = 0; i < t.length; i++) {
    partial = i === 0 ? t[i]!.name : `${partial}.${t[i]!.name}`;
    if (isNode(partial)) {
      return { target: partial, rest: t.slice(i + 1) };
    }
  }
  return undefined;
}

class TraversalWalker {
  readonly traversals: Traversal[] = [];
  #building = false;
  #current: Ident[] = [];

  body(stmts: readonly Statement[]): void {
    for (const s of stmts) {
      if (s.kind === "Attribute") {
        this.expr(s.value);
      } else {
        this.body(s.body);
      }
    }
  }

  expr(e: Expr): void {
    switch (e.kind) {
      case "Identifier":
        this.flush();
        this.#building = true;
        this.#current.push(e.ident);
        return;
      case "Access":
        this.expr(e.value);
        if (this.#building) this.#current.push(e.name);
        return;
      case "Index":
        this.expr(e.value);
        this.flush();
        this.expr(e.index);
        return;
      case "Call":
        this.expr(e.value);
        this.flush();
        for (const a of e.args) this.expr(a);
        return;
      case "Array":
        for (const el of e.elements) this.expr(el);
        return;
      case "Object":
        for (const f of e.fields) this.expr(f.value);
        return;
      case "Unary":
        this.expr(e.value);
        return;
      case "Binary":
        this.expr(e.left);
        this.expr(e.right);
        return;
      case "Paren":
        this.expr(e.inner);
        return;
      case "Literal":
        return;
    }
  }

  flush(): void {
    if (this.#building && this.#current.length > 0) {
      this.traversals.push(this.#current);
    }
    this.#building = false;
    this.#current = [];
  }
}
