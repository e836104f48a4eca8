/**
 * Deep equality of decoded arguments and exports, so a reload that leaves a component's arguments as they
 * were does not call `update` (and does not restart its listener), and a component that re-publishes the
 * same exports does not re-evaluate its dependants. Alloy does the same with `equality.DeepEqual`.
 *
 * Plain objects, arrays, Maps and byte arrays compare by content; numbers by value (`NaN` equals `NaN`);
 * secrets by their text (without revealing it); capsules by host type and host value; any other object
 * (a receiver, a function, a class instance) by identity.
 */
import { AlloyNumber, Capsule, OptionalSecret, Secret } from "../syntax/value.ts";

export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) {
    return false;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => deepEqual(x, b[i]));
  }
  if (a instanceof Secret || b instanceof Secret) {
    return a instanceof Secret && b instanceof Secret && a.equals(b);
  }
  if (a instanceof OptionalSecret || b instanceof OptionalSecret) {
    return (
      a instanceof OptionalSecret &&
      b instanceof OptionalSecret &&
      a.isSecret === b.isSecret &&
      a.reveal() === b.reveal()
    );
  }
  if (a instanceof AlloyNumber || b instanceof AlloyNumber) {
    return a instanceof AlloyNumber && b instanceof AlloyNumber && a.kind === b.kind && a.value === b.value;
  }
  if (a instanceof Capsule || b instanceof Capsule) {
    return a instanceof Capsule && b instanceof Capsule && a.hostType === b.hostType && a.value === b.value;
  }
  if (a instanceof Map || b instanceof Map) {
    if (!(a instanceof Map) || !(b instanceof Map) || a.size !== b.size) return false;
    for (const [k, v] of a) {
      if (!b.has(k) || !deepEqual(v, b.get(k))) return false;
    }
    return true;
  }
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.from(a).equals(Buffer.from(b));
  }
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  }
  if (!isPlainObject(a) || !isPlainObject(b)) {
    return false;
  }
  const ka = Object.keys(a).filter((k) => a[k] !== undefined);
  const kb = Object.keys(b).filter((k) => b[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
}

function isPlainObject(v: object): v is Record<string, unknown> {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
