/**
 * `profile-relay validate`: everything `run` checks before starting anything, without building or running
 * a component. Blocks are decoded against their schemas in a scope where each component's exports are
 * placeholders of the declared types (a receiver is a capsule of its host type), so references type-check
 * as they would at run time.
 */
import type { File } from "../syntax/ast.ts";
import type { Diagnostic } from "../syntax/diagnostics.ts";
import { AlloyFunction, AlloyNumber, Capsule, type ObjectValue, type Value } from "../syntax/value.ts";
import type { AnyRegistration, Stability } from "./component.ts";
import type { BodyDecoder } from "./decoder.ts";
import { loggingSchema } from "./logging-block.ts";
import { planConfig } from "./plan.ts";
import type { ComponentRegistry } from "./registry.ts";
import { buildScope } from "./scope.ts";

export interface ValidateOptions {
  readonly registry: ComponentRegistry;
  readonly minStability: Stability;
  readonly decode: BodyDecoder;
  readonly isStdlibName: (name: string) => boolean;
}

/**
 * Every diagnostic for a parsed config (errors and warnings), ordered by file (as given) and position,
 * with diagnostics that have no position last.
 */
export function validateConfig(files: readonly File[], options: ValidateOptions): Diagnostic[] {
  const plan = planConfig(files, { ...options, mode: "validate" });
  const diagnostics: Diagnostic[] = [...plan.diagnostics];
  const scope = buildScope(
    [...plan.components.values()].map((c) => ({
      name: c.name,
      label: c.label,
      exports: placeholderExports(c.registration),
    })),
    { module_path: "" },
  );
  if (plan.logging !== undefined) {
    const { block, file } = plan.logging;
    diagnostics.push(
      ...options.decode(loggingSchema, block.body, { scope, file, block, minStability: options.minStability })
        .diagnostics,
    );
  }
  for (const c of plan.components.values()) {
    if (plan.badReferences.has(c.id)) continue;
    diagnostics.push(
      ...options.decode(c.registration.args, c.block.body, {
        scope,
        file: c.file,
        block: c.block,
        minStability: options.minStability,
      }).diagnostics,
    );
  }
  const fileIndex = new Map(files.map((f, i) => [f.filename, i]));
  const key = (d: Diagnostic): [number, number] =>
    d.start === undefined || d.start.line <= 0
      ? [Number.MAX_SAFE_INTEGER, 0]
      : [fileIndex.get(d.file ?? "") ?? Number.MAX_SAFE_INTEGER, d.start.offset];
  return diagnostics
    .map((d, i) => ({ d, i, k: key(d) }))
    .sort((a, b) => a.k[0] - b.k[0] || a.k[1] - b.k[1] || a.i - b.i)
    .map((x) => x.d);
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
