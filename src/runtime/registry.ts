/**
 * The component registry: built once from the explicit list in `src/components/all.ts` (plus the test
 * components in tests), never filled by import side effects. Alloy's name rules are enforced when it is
 * built, so a wiring mistake fails at start-up and in the tests rather than when a config names it.
 */
import { type AnyRegistration, STABILITY_ORDER, type Stability } from "./component.ts";
import { checkStability } from "./stability.ts";

/** A registration list that breaks Alloy's rules (duplicate, malformed name, prefix clash). */
export class RegistryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RegistryError";
  }
}

/** The outcome of looking a component name up: its registration, or Alloy's error message. */
export type Lookup =
  | { readonly registration: AnyRegistration; readonly error?: undefined }
  | { readonly registration?: undefined; readonly error: string };

const IDENTIFIER = /^[A-Za-z][0-9A-Za-z_]*$/;

/** The registered components, by name. */
export class ComponentRegistry {
  readonly #byName: ReadonlyMap<string, AnyRegistration>;

  constructor(byName: ReadonlyMap<string, AnyRegistration>) {
    this.#byName = byName;
  }

  /** Every registered name, sorted. */
  names(): string[] {
    return [...this.#byName.keys()].sort();
  }

  /** The registration of `name`, whatever its stability. */
  get(name: string): AnyRegistration | undefined {
    return this.#byName.get(name);
  }

  /**
   * Finds `name` for use in a config at the minimum stability level `min`, with Alloy's messages when it
   * cannot be used. An unknown name also lists the known ones, so a typo is easy to fix.
   */
  lookup(name: string, min: Stability): Lookup {
    const registration = this.#byName.get(name);
    if (registration === undefined) {
      const known = this.names();
      const list = known.length > 0 ? known.join(", ") : "(none)";
      return { error: `cannot find the definition of component name "${name}" (known components: ${list})` };
    }
    const denied = checkStability(registration.stability, min, `component "${name}"`);
    return denied === undefined ? { registration } : { error: denied };
  }
}

/**
 * Builds a registry from an explicit list. Throws `RegistryError` as Alloy's `component.Register` panics:
 * on a duplicate name, a malformed name (each `.`-separated part must match `[A-Za-z][0-9A-Za-z_]*`), or a
 * name that is a whole-segment prefix of another (`remote` next to `remote.http`).
 */
export function createRegistry(registrations: readonly AnyRegistration[]): ComponentRegistry {
  const byName = new Map<string, AnyRegistration>();
  for (const registration of registrations) {
    const name = registration.name;
    if (byName.has(name)) {
      throw new RegistryError(`Component name "${name}" already registered`);
    }
    if (!STABILITY_ORDER.includes(registration.stability)) {
      throw new RegistryError(
        `Component "${name}" has an undefined stability level - please provide stability level when registering the component`,
      );
    }
    const problem = nameProblem(name);
    if (problem !== undefined) {
      throw new RegistryError(`invalid component name "${name}": ${problem}`);
    }
    for (const other of byName.keys()) {
      if (`${other}.`.startsWith(`${name}.`) || `${name}.`.startsWith(`${other}.`)) {
        throw new RegistryError(`"${name}" cannot be used because it is incompatible with "${other}"`);
      }
    }
    byName.set(name, registration);
  }
  return new ComponentRegistry(byName);
}

function nameProblem(name: string): string | undefined {
  if (name === "") {
    return "missing name";
  }
  for (const part of name.split(".")) {
    if (part === "") {
      return "found empty identifier";
    }
    if (!IDENTIFIER.test(part)) {
      return `identifier "${part}" is not valid`;
    }
  }
  return undefined;
}
