/**
 * `profile-relay validate`: everything `run` checks before starting anything, without building or running
 * a component. Blocks are decoded against their schemas in a scope where each component's exports are
 * placeholders of the declared types (a receiver is a capsule of its host type), so references type-check
 * as they would at run time.
 */
import { realpathSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { type Expr, exprEnd, exprStart, type File, type Statement } from "../syntax/ast.ts";
import type { Diagnostic } from "../syntax/diagnostics.ts";
import { AlloyFunction, AlloyNumber, Capsule, type ObjectValue, type Value } from "../syntax/value.ts";
import type { AnyRegistration, Stability } from "./component.ts";
import { parseSources } from "./config-parse.ts";
import type { BodyDecoder } from "./decoder.ts";
import { liveDebuggingSchema } from "./livedebugging/block.ts";
import { loggingSchema } from "./logging-block.ts";
import { type PlannedNode, planConfig } from "./plan.ts";
import type { ComponentRegistry } from "./registry.ts";
import { buildScope } from "./scope.ts";
import type { Traversal } from "./traversals.ts";

export interface ValidateOptions {
  readonly registry: ComponentRegistry;
  readonly minStability: Stability;
  readonly decode: BodyDecoder;
  readonly isStdlibName: (name: string) => boolean;
}

/**
 * Every diagnostic for a parsed config (errors and warnings), in the order Alloy's validator reports them:
 * top-level attributes; then block by block (`declare`, config blocks, components, services; files in the
 * order given), each block's own problems, then its body's, then its references'; then cycles and self
 * references.
 */
export function validateConfig(files: readonly File[], options: ValidateOptions): Diagnostic[] {
  const plan = planConfig(files, { ...options, mode: "validate" });
  const scope = buildScope(
    [...plan.components.values()].map((c) => ({
      name: c.name,
      label: c.label,
      exports: placeholderExports(c.registration),
    })),
    { module_path: "" },
  );
  const diagnostics: Diagnostic[] = [...plan.attributeDiagnostics];
  const claimed = new Map<string, string>();
  for (const node of plan.nodes) {
    diagnostics.push(...node.diagnostics);
    if (node.registration !== undefined) {
      const schema =
        node.registration === "logging"
          ? loggingSchema
          : node.registration === "livedebugging"
            ? liveDebuggingSchema
            : node.registration.args;
      const decoded = options.decode(schema, node.block.body, {
        scope,
        file: node.file,
        block: node.block,
        minStability: options.minStability,
      });
      // A reference that resolved to nothing (or to a refused function) is already reported; what
      // evaluating the attribute that holds it says next is only a consequence of it.
      const skipped = valuesHolding(node.block.body, node.unresolved);
      diagnostics.push(...decoded.diagnostics.filter((d) => !skipped.some((r) => within(d, r))));
      if (
        node.registration !== "logging" &&
        node.registration !== "livedebugging" &&
        !decoded.diagnostics.some((d) => d.severity === "error")
      ) {
        diagnostics.push(...exclusivePathDiagnostics(node, node.registration, decoded.value, claimed));
      }
    }
    diagnostics.push(...node.referenceDiagnostics);
  }
  diagnostics.push(...plan.graphDiagnostics);
  return diagnostics;
}

/**
 * Parses and validates one config (a file, or the files of a directory, sorted by name): the syntax
 * errors of every file when any file does not parse, else `validateConfig`'s diagnostics.
 */
export function validateSources(
  sources: readonly { readonly filename: string; readonly text: string }[],
  options: ValidateOptions,
): Diagnostic[] {
  const { files, diagnostics } = parseSources(sources);
  return diagnostics.length > 0 ? diagnostics : validateConfig(files, options);
}

/**
 * Two components on one exclusive folder (two `pyroscope.write` on one `queue.path`, also when the paths
 * differ only by `./`, a trailing slash or a symlink): an error at the second one's attribute. `claimed`
 * maps each real path seen so far to the component that named it.
 */
function exclusivePathDiagnostics(
  node: PlannedNode,
  registration: AnyRegistration,
  value: unknown,
  claimed: Map<string, string>,
): Diagnostic[] {
  if (registration.exclusivePaths === undefined || value === undefined || value === null) return [];
  const out: Diagnostic[] = [];
  for (const claim of registration.exclusivePaths(value as Record<string, unknown>)) {
    const real = realPathOf(claim.path);
    const owner = claimed.get(real);
    if (owner === undefined) {
      claimed.set(real, node.id);
      continue;
    }
    const where = attributeValue(node.block.body, claim.field);
    out.push({
      severity: "error",
      file: node.file,
      start: where === undefined ? node.block.nameStart : exprStart(where),
      end: where === undefined ? node.block.nameEnd : exprEnd(where),
      message: `${claim.field.join(".")} "${claim.path}" is also used by ${owner}${real === resolve(claim.path) ? "" : ` (both are ${real})`}: two writers on one folder lose profiles; give each component its own ${claim.field.join(".")}`,
    });
  }
  return out;
}

/** The absolute path with every symlink resolved, as far as the path exists. */
function realPathOf(path: string): string {
  const abs = resolve(path);
  try {
    return realpathSync(abs);
  } catch {
    const parent = dirname(abs);
    return parent === abs ? abs : join(realPathOf(parent), basename(abs));
  }
}

/** The value of the attribute at `field` (blocks, then the attribute's name) in `body`. */
function attributeValue(body: readonly Statement[], field: readonly string[]): Expr | undefined {
  const [first, ...rest] = field;
  for (const s of body) {
    if (rest.length === 0 && s.kind === "Attribute" && s.name.name === first) return s.value;
    if (rest.length > 0 && s.kind === "Block" && s.name.join(".") === first)
      return attributeValue(s.body, rest);
  }
  return undefined;
}

interface Range {
  readonly start: number;
  readonly end: number;
}

/** The byte ranges of the attribute values (at any depth of `body`) that hold one of `traversals`. */
function valuesHolding(body: readonly Statement[], traversals: readonly Traversal[]): Range[] {
  const out: Range[] = [];
  if (traversals.length === 0) return out;
  const walk = (stmts: readonly Statement[]): void => {
    for (const s of stmts) {
      if (s.kind === "Block") {
        walk(s.body);
        continue;
      }
      const range = { start: exprStart(s.value).offset, end: exprEnd(s.value).offset };
      if (traversals.some((t) => t[0]!.start.offset >= range.start && t[0]!.start.offset <= range.end)) {
        out.push(range);
      }
    }
  };
  walk(body);
  return out;
}

function within(d: Diagnostic, r: Range): boolean {
  return d.start !== undefined && d.start.offset >= r.start && d.start.offset <= r.end;
}

/** Exports of the declared types, standing in for a component that is not built. */
export function placeholderExports(registration: AnyRegistration): ObjectValue {
  const out = new Map<string, Value>();
  for (const e of registration.exports) out.set(e.name, placeholder(e.type));
  return out;
}

function placeholder(type: string): Value {
  const capsule = /^capsule\((.+)\)$/.exec(type);
  if (capsule !== null) return new Capsule(capsule[1]!, undefined);
  if (type === "string" || type === "secret") return "";
  if (type === "number" || type === "duration") return AlloyNumber.int(0n);
  if (type === "bool") return false;
  if (type.startsWith("list(")) return [];
  if (type.startsWith("map(") || type === "object") return new Map();
  if (type === "function") return new AlloyFunction("placeholder", () => null);
  return null;
}
