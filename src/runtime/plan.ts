/**
 * From parsed files to a validated component graph, before anything is evaluated or built: what Alloy's
 * `ParseSources` + `Loader.loadNewGraph` (for `run`) and `internal/validator` (for `validate`) check.
 *
 * Every top-level statement is classified (§3.6 of the spec): attributes are errors; `logging` configures
 * the logs; the other config and service blocks profile-relay does not implement are errors that name the
 * block; everything else is a component, looked up in the registry at the minimum stability level. Then
 * references are resolved to edges (checking stdlib references on the way: deprecated aliases, experimental
 * functions) and the graph is checked for cycles. All problems are collected, in the order Alloy's
 * validator reports them.
 */
import { type BlockStmt, blockName, type File, statementEnd, statementStart } from "../syntax/ast.ts";
import type { Diagnostic } from "../syntax/diagnostics.ts";
import { DEPRECATED_MESSAGE } from "../syntax/evaluator.ts";
import type { Position } from "../syntax/position.ts";
import { DEPRECATED_FUNCTIONS, EXPERIMENTAL_FUNCTIONS } from "../syntax/stdlib/index.ts";
import type { AnyRegistration, Stability } from "./component.ts";
import { Graph } from "./graph.ts";
import type { ComponentRegistry } from "./registry.ts";
import { checkStability } from "./stability.ts";
import { collectTraversals, resolveTraversal, type Traversal, traversalText } from "./traversals.ts";

/** A component block that passed the graph checks. */
export interface PlannedComponent {
  /** `name.label`, e.g. `pyroscope.write.default`. */
  readonly id: string;
  readonly name: string;
  readonly label: string;
  readonly block: BlockStmt;
  readonly file: string;
  readonly registration: AnyRegistration;
}

/** A config or service block the relay supports: `logging` or `livedebugging`. */
export interface PlannedBlock {
  readonly block: BlockStmt;
  readonly file: string;
}

/** Something `run` logs as a warning rather than reporting as a diagnostic. */
export interface PlanWarning {
  readonly message: string;
  readonly fields: Readonly<Record<string, string>>;
}

/**
 * What a top-level block is, in the order Alloy's validator visits them: `declare` blocks, then config
 * blocks (`logging`, `tracing`, `import.*`, ...), then components, then service blocks (`http`, ...).
 */
export type NodeKind = "declare" | "config" | "component" | "service";

/** One top-level block and what the graph checks found in it. */
export interface PlannedNode {
  readonly kind: NodeKind;
  /** The block's name, then its label if it has one (`pyroscope.write.default`, `logging`). */
  readonly id: string;
  readonly block: BlockStmt;
  readonly file: string;
  /** Problems with the block itself: label, duplicate ID, unknown or unsupported name, stability. */
  readonly diagnostics: readonly Diagnostic[];
  /** Problems found in its references (and, for `validate`, stdlib warnings). */
  readonly referenceDiagnostics: readonly Diagnostic[];
  /**
   * The schema to check the body against, when Alloy would type-check it: a known component (even one
   * without a label or with a duplicate ID, for `validate`) or a supported block (`logging`,
   * `livedebugging`). `undefined` otherwise.
   */
  readonly registration: AnyRegistration | SupportedBlock | undefined;
  /**
   * The references that resolved to nothing, or to a function refused at this stability level; evaluating
   * the body would only repeat their errors.
   */
  readonly unresolved: readonly Traversal[];
}

/** The checked graph of a config. */
export interface ConfigPlan {
  /** Components by ID, in source order (files in the order given). */
  readonly components: ReadonlyMap<string, PlannedComponent>;
  readonly logging: PlannedBlock | undefined;
  readonly livedebugging: PlannedBlock | undefined;
  /** Edges `a → b` when `a` references `b`'s exports. */
  readonly graph: Graph;
  /** Component IDs, dependencies first. */
  readonly order: readonly string[];
  /** Every top-level block, in Alloy's validation order (see `NodeKind`), files in the order given. */
  readonly nodes: readonly PlannedNode[];
  /**
   * Every error (and, for `validate`, warning) in Alloy's order: top-level attributes, then each node's
   * own diagnostics followed by its reference diagnostics, then cycles and self references.
   */
  readonly diagnostics: readonly Diagnostic[];
  /** Top-level attributes (also at the start of `diagnostics`). */
  readonly attributeDiagnostics: readonly Diagnostic[];
  /** Cycles and self references (also at the end of `diagnostics`). */
  readonly graphDiagnostics: readonly Diagnostic[];
  /** `run` only: things Alloy logs as warnings (shadowed or deprecated stdlib names). */
  readonly warnings: readonly PlanWarning[];
}

/** How to plan: `run` and `validate` word a few errors differently, as Alloy's two code paths do. */
export interface PlanOptions {
  readonly registry: ComponentRegistry;
  readonly minStability: Stability;
  readonly mode: "run" | "validate";
  /** Whether a top-level identifier is a stdlib name (`sys`, `string`, `env`, ...). */
  readonly isStdlibName: (name: string) => boolean;
}

/** The config and service blocks profile-relay supports besides components. */
export type SupportedBlock = "logging" | "livedebugging";

/** Config blocks Alloy has; only `logging` is supported. */
const CONFIG_BLOCKS: ReadonlySet<string> = new Set([
  "logging",
  "tracing",
  "argument",
  "export",
  "foreach",
  "import.file",
  "import.string",
  "import.http",
  "import.git",
]);

/** Alloy's services (configurable or not); only `livedebugging` is supported. */
const SERVICE_BLOCKS: ReadonlySet<string> = new Set([
  "http",
  "remotecfg",
  "livedebugging",
  "labelstore",
  "cluster",
  "otel",
  "ui",
]);

/** Names always in scope besides component exports and the stdlib. */
const SCOPE_NAMES: ReadonlySet<string> = new Set(["module_path"]);

const KIND_ORDER: readonly NodeKind[] = ["declare", "config", "component", "service"];

interface MutableNode extends PlannedNode {
  readonly diagnostics: Diagnostic[];
  readonly referenceDiagnostics: Diagnostic[];
  registration: AnyRegistration | SupportedBlock | undefined;
  readonly unresolved: Traversal[];
  /** Whether this block's references are checked (and, for a component in the graph, wired). */
  checkReferences: boolean;
}

/** Classifies the statements of `files`, builds the graph and checks it. */
export function planConfig(files: readonly File[], options: PlanOptions): ConfigPlan {
  const validate = options.mode === "validate";
  const attributeDiagnostics: Diagnostic[] = [];
  const warnings: PlanWarning[] = [];
  const components = new Map<string, PlannedComponent>();
  const seen = new Map<string, { block: BlockStmt; file: string }>();
  const byKind = new Map<NodeKind, MutableNode[]>(KIND_ORDER.map((k) => [k, []]));
  let logging: PlannedBlock | undefined;
  let livedebugging: PlannedBlock | undefined;

  for (const file of files) {
    for (const stmt of file.body) {
      if (stmt.kind === "Attribute") {
        attributeDiagnostics.push(
          validate
            ? error(
                file.filename,
                statementStart(stmt),
                statementEnd(stmt),
                "unsupported statement type *ast.AttributeStmt",
              )
            : error(
                file.filename,
                stmt.name.start,
                stmt.name.end,
                `unrecognized attribute ${stmt.name.name}`,
              ),
        );
        continue;
      }
      const name = blockName(stmt);
      const id = stmt.label === undefined || stmt.label === "" ? name : `${name}.${stmt.label}`;
      const kind: NodeKind =
        name === "declare"
          ? "declare"
          : CONFIG_BLOCKS.has(name)
            ? "config"
            : SERVICE_BLOCKS.has(name)
              ? "service"
              : "component";
      const node: MutableNode = {
        kind,
        id,
        block: stmt,
        file: file.filename,
        diagnostics: [],
        referenceDiagnostics: [],
        registration: undefined,
        unresolved: [],
        checkReferences: false,
      };
      byKind.get(kind)!.push(node);
      const here = (message: string): Diagnostic =>
        error(file.filename, stmt.nameStart, stmt.nameEnd, message);

      const first = seen.get(id);
      const duplicate = first !== undefined;
      if (duplicate) {
        node.diagnostics.push(
          error(
            file.filename,
            stmt.nameStart,
            advance(stmt.nameStart, byteLength(id) - 1),
            `block ${id} already declared at ${positionText(first.file, first.block.nameStart)}`,
          ),
        );
      } else {
        seen.set(id, { block: stmt, file: file.filename });
      }

      if (name === "logging" || name === "livedebugging") {
        if (!duplicate) {
          if (name === "logging") logging = { block: stmt, file: file.filename };
          else livedebugging = { block: stmt, file: file.filename };
        }
        node.registration = name;
        node.checkReferences = !duplicate || validate;
        continue;
      }
      if (kind !== "component") {
        if (!duplicate) {
          node.diagnostics.push(
            here(
              `the "${name}" block is not supported by profile-relay (only "logging", "livedebugging" and components are)`,
            ),
          );
        }
        continue;
      }
      const unlabelled = stmt.label === undefined || stmt.label === "";
      if (unlabelled) node.diagnostics.push(here(`component "${name}" must have a label`));
      const found = options.registry.lookup(name, options.minStability);
      if (found.error !== undefined) {
        node.diagnostics.push(here(found.error));
        continue;
      }
      node.registration = found.registration;
      if (duplicate || unlabelled) {
        // Alloy's validator still type-checks these blocks and their references; `run` stops at the error.
        node.checkReferences = validate;
        continue;
      }
      node.checkReferences = true;
      components.set(id, {
        id,
        name,
        label: stmt.label!,
        block: stmt,
        file: file.filename,
        registration: found.registration,
      });
    }
  }

  const nodes = KIND_ORDER.flatMap((k) => byKind.get(k)!);
  // In `validate`, a reference to a block that names an unknown component is not reported again: the
  // block already has its error (Alloy's validator keeps such blocks in its graph).
  const named = new Set(
    validate
      ? nodes
          .filter((n) => n.kind === "component" && n.registration === undefined && n.block.label)
          .map((n) => n.id)
      : [],
  );
  const graph = new Graph();
  for (const id of components.keys()) graph.add(id);
  for (const node of nodes) {
    if (!node.checkReferences) continue;
    const wired = components.get(node.id)?.block === node.block;
    for (const t of collectTraversals(node.block.body)) {
      const target = resolve(node, t, graph, named, options, warnings);
      if (target !== undefined && wired) graph.addEdge(node.id, target);
    }
  }
  const graphDiagnostics = checkGraph(graph, components, options.mode);

  return {
    components,
    logging,
    livedebugging,
    graph,
    order: graph.topologicalOrder(),
    nodes,
    diagnostics: [
      ...attributeDiagnostics,
      ...nodes.flatMap((n) => [...n.diagnostics, ...n.referenceDiagnostics]),
      ...graphDiagnostics,
    ],
    attributeDiagnostics,
    graphDiagnostics,
    warnings,
  };
}

/**
 * Resolves one traversal of `node`'s body as Alloy's `ComponentReferences` does: to the component it names
 * (the returned ID), or to a name in scope (stdlib or `module_path`), or to nothing, which is an error.
 * Stdlib names get their checks here: a component shadowing one and a deprecated alias are warnings
 * (logged by `run`), an experimental function below `--stability.level=experimental` is an error.
 */
function resolve(
  node: MutableNode,
  t: Traversal,
  graph: Graph,
  named: ReadonlySet<string>,
  options: PlanOptions,
  warnings: PlanWarning[],
): string | undefined {
  const head = t[0]!;
  const last = t[t.length - 1]!;
  const diagnostic = (severity: "error" | "warning", message: string): Diagnostic => ({
    severity,
    file: node.file,
    start: head.start,
    end: last.start,
    message,
  });
  const resolved = resolveTraversal(t, (id) => graph.has(id) || named.has(id));
  const stdlibName = options.isStdlibName(head.name);
  if (resolved === undefined && !stdlibName && !SCOPE_NAMES.has(head.name)) {
    node.referenceDiagnostics.push(
      diagnostic("error", `component "${traversalText(t)}" does not exist or is out of scope`),
    );
    node.unresolved.push(t);
    return undefined;
  }
  if (resolved !== undefined) {
    if (stdlibName) {
      const message = "a component is shadowing an existing stdlib name";
      if (options.mode === "validate") node.referenceDiagnostics.push(diagnostic("warning", message));
      else warnings.push({ message, fields: { component: blockName(node.block), "stdlib name": head.name } });
    }
    if (graph.has(resolved.target)) return resolved.target;
    // A block that names an unknown component (`validate` only): its error is reported on the block.
    node.unresolved.push(t);
    return undefined;
  }
  if (DEPRECATED_FUNCTIONS.has(head.name)) {
    if (options.mode === "validate")
      node.referenceDiagnostics.push(diagnostic("warning", DEPRECATED_MESSAGE));
    else warnings.push({ message: DEPRECATED_MESSAGE, fields: { function: head.name } });
    return undefined;
  }
  const dotted = traversalText(t);
  if (EXPERIMENTAL_FUNCTIONS.has(dotted)) {
    const denied = checkStability("experimental", options.minStability, dotted);
    if (denied !== undefined) {
      node.referenceDiagnostics.push(diagnostic("error", denied));
      node.unresolved.push(t);
    }
  }
  return undefined;
}

/** Cycles and self references, worded as `run` or `validate` words them. */
function checkGraph(
  graph: Graph,
  components: ReadonlyMap<string, PlannedComponent>,
  mode: "run" | "validate",
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const cycle of graph.cycles()) {
    if (mode === "run") {
      out.push({ severity: "error", message: `cycle: ${cycle.join(", ")}` });
      continue;
    }
    const sorted = [...cycle].sort();
    for (const id of sorted) {
      const c = components.get(id)!;
      out.push(error(c.file, c.block.nameStart, c.block.lcurly, `cycle detected: ${sorted.join(", ")}`));
    }
  }
  for (const id of graph.selfReferences()) {
    if (mode === "run") {
      out.push({ severity: "error", message: `self reference: ${id}` });
    } else {
      const c = components.get(id)!;
      out.push(error(c.file, c.block.nameStart, c.block.lcurly, "cannot reference self"));
    }
  }
  return out;
}

function error(file: string, start: Position, end: Position, message: string): Diagnostic {
  return { severity: "error", file, start, end, message };
}

/** A position `n` bytes further on the same line. */
function advance(p: Position, n: number): Position {
  return { offset: p.offset + n, line: p.line, column: p.column + n };
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/** `file:line:col`, as Alloy prints a position. */
export function positionText(file: string, p: Position): string {
  return file === "" ? `${p.line}:${p.column}` : `${file}:${p.line}:${p.column}`;
}
