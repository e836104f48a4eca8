/**
 * From parsed files to a validated component graph, before anything is evaluated or built: what Alloy's
 * `ParseSources` + `Loader.loadNewGraph` (for `run`) and `internal/validator` (for `validate`) check.
 *
 * Every top-level statement is classified (§3.6 of the spec): attributes are errors; `logging` configures
 * the logs; the other config and service blocks profile-relay does not implement are errors that name the
 * block; everything else is a component, looked up in the registry at the minimum stability level. Then
 * references are resolved to edges and the graph is checked for cycles. All problems are collected.
 */
import { type BlockStmt, blockName, type File, statementEnd, statementStart } from "../syntax/ast.ts";
import type { Diagnostic } from "../syntax/diagnostics.ts";
import type { Position } from "../syntax/position.ts";
import type { AnyRegistration, Stability } from "./component.ts";
import { Graph } from "./graph.ts";
import type { ComponentRegistry } from "./registry.ts";
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

/** A config block (only `logging` is supported). */
export interface PlannedBlock {
  readonly block: BlockStmt;
  readonly file: string;
}

/** Something `run` logs as a warning rather than reporting as a diagnostic. */
export interface PlanWarning {
  readonly message: string;
  readonly fields: Readonly<Record<string, string>>;
}

/** The checked graph of a config. */
export interface ConfigPlan {
  /** Components by ID, in source order (files in the order given). */
  readonly components: ReadonlyMap<string, PlannedComponent>;
  readonly logging: PlannedBlock | undefined;
  /** Edges `a → b` when `a` references `b`'s exports. */
  readonly graph: Graph;
  /** Component IDs, dependencies first. */
  readonly order: readonly string[];
  /** Errors (and, for `validate`, warnings) in source order, then cycle errors. */
  readonly diagnostics: readonly Diagnostic[];
  /** `run` only: things Alloy logs as warnings (a component shadowing a stdlib name). */
  readonly warnings: readonly PlanWarning[];
  /** Components with a reference error (their bodies would only repeat it when evaluated). */
  readonly badReferences: ReadonlySet<string>;
}

/** How to plan: `run` and `validate` word a few errors differently, as Alloy's two code paths do. */
export interface PlanOptions {
  readonly registry: ComponentRegistry;
  readonly minStability: Stability;
  readonly mode: "run" | "validate";
  /**
   * Whether a top-level identifier is a stdlib name (`sys`, `string`, `env`, ...). Deprecated and
   * experimental stdlib functions are reported by the evaluator, not here.
   */
  readonly isStdlibName: (name: string) => boolean;
}

/** Config blocks and services Alloy has and profile-relay does not implement. */
const UNSUPPORTED_BLOCKS: ReadonlySet<string> = new Set([
  "tracing",
  "argument",
  "export",
  "foreach",
  "import.file",
  "import.string",
  "import.http",
  "import.git",
  "declare",
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

/** Classifies the statements of `files`, builds the graph and checks it. */
export function planConfig(files: readonly File[], options: PlanOptions): ConfigPlan {
  const diagnostics: Diagnostic[] = [];
  const warnings: PlanWarning[] = [];
  const components = new Map<string, PlannedComponent>();
  const seen = new Map<string, { block: BlockStmt; file: string }>();
  let logging: PlannedBlock | undefined;

  for (const file of files) {
    for (const stmt of file.body) {
      if (stmt.kind === "Attribute") {
        diagnostics.push(
          options.mode === "run"
            ? error(file.filename, stmt.name.start, stmt.name.end, `unrecognized attribute ${stmt.name.name}`)
            : error(
                file.filename,
                statementStart(stmt),
                statementEnd(stmt),
                "unsupported statement type *ast.AttributeStmt",
              ),
        );
        continue;
      }
      const name = blockName(stmt);
      const id = stmt.label === undefined ? name : `${name}.${stmt.label}`;
      const first = seen.get(id);
      if (first !== undefined) {
        diagnostics.push(
          error(
            file.filename,
            stmt.nameStart,
            advance(stmt.nameStart, byteLength(id) - 1),
            `block ${id} already declared at ${positionText(first.file, first.block.nameStart)}`,
          ),
        );
        continue;
      }
      seen.set(id, { block: stmt, file: file.filename });

      if (name === "logging") {
        logging = { block: stmt, file: file.filename };
        continue;
      }
      if (UNSUPPORTED_BLOCKS.has(name) || UNSUPPORTED_BLOCKS.has(id)) {
        diagnostics.push(
          error(
            file.filename,
            stmt.nameStart,
            stmt.nameEnd,
            `the "${name}" block is not supported by profile-relay (only "logging" and components are)`,
          ),
        );
        continue;
      }
      const found = options.registry.lookup(name, options.minStability);
      if (found.error !== undefined) {
        diagnostics.push(error(file.filename, stmt.nameStart, stmt.nameEnd, found.error));
        continue;
      }
      if (stmt.label === undefined) {
        diagnostics.push(
          error(file.filename, stmt.nameStart, stmt.nameEnd, `component "${name}" must have a label`),
        );
        continue;
      }
      components.set(id, {
        id,
        name,
        label: stmt.label,
        block: stmt,
        file: file.filename,
        registration: found.registration,
      });
    }
  }

  const graph = new Graph();
  const badReferences = new Set<string>();
  for (const id of components.keys()) graph.add(id);
  for (const c of components.values()) {
    for (const t of collectTraversals(c.block.body)) {
      if (!wire(c, t, graph, options, diagnostics, warnings)) badReferences.add(c.id);
    }
  }
  diagnostics.push(...graphDiagnostics(graph, components, options.mode));

  return {
    components,
    logging,
    graph,
    order: graph.topologicalOrder(),
    diagnostics,
    warnings,
    badReferences,
  };
}

function wire(
  c: PlannedComponent,
  t: Traversal,
  graph: Graph,
  options: PlanOptions,
  diagnostics: Diagnostic[],
  warnings: PlanWarning[],
): boolean {
  const head = t[0]!;
  const last = t[t.length - 1]!;
  const resolved = resolveTraversal(t, (id) => graph.has(id));
  const inScope = SCOPE_NAMES.has(head.name) || options.isStdlibName(head.name);
  if (resolved === undefined && !inScope) {
    diagnostics.push(
      error(
        c.file,
        head.start,
        last.start,
        `component "${traversalText(t)}" does not exist or is out of scope`,
      ),
    );
    return false;
  }
  if (resolved === undefined) return true;
  if (options.isStdlibName(head.name)) {
    const warning = {
      message: "a component is shadowing an existing stdlib name",
      fields: { component: blockName(c.block), "stdlib name": head.name },
    };
    if (options.mode === "validate") {
      diagnostics.push({
        severity: "warning",
        file: c.file,
        start: head.start,
        end: last.start,
        message: warning.message,
      });
    } else {
      warnings.push(warning);
    }
  }
  graph.addEdge(c.id, resolved.target);
  return true;
}

function graphDiagnostics(
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
