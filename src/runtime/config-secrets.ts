/**
 * The secret literals of a config (see `src/syntax/secret-literals.ts`), with the secret attribute names
 * taken from the schemas of every registered component: what `run`, `validate` and the controller mask in
 * the diagnostics they print and log.
 */
import type { File } from "../syntax/ast.ts";
import { findSecretLiterals, type SecretLiterals, secretAttributeNames } from "../syntax/secret-literals.ts";
import type { ComponentRegistry } from "./registry.ts";

const namesByRegistry = new WeakMap<ComponentRegistry, ReadonlySet<string>>();

/** The names of the secret-typed attributes of every component in `registry`. */
export function secretNames(registry: ComponentRegistry): ReadonlySet<string> {
  let names = namesByRegistry.get(registry);
  if (names === undefined) {
    names = secretAttributeNames(registry.names().map((n) => registry.get(n)!.args));
    namesByRegistry.set(registry, names);
  }
  return names;
}

/** The string literals written into `files` where a secret goes. */
export function configSecrets(files: readonly File[], registry: ComponentRegistry): SecretLiterals {
  return findSecretLiterals(files, secretNames(registry));
}
