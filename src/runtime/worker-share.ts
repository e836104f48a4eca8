/**
 * A limit the user configures for the whole relay, divided among the worker processes of
 * `profile-relay run --workers=N`: each worker enforces its share, so the shares add up to what was configured
 * (the first `total mod count` workers get one more). One place, so every component divides the same way.
 */
import type { WorkerSlot } from "./component.ts";

/**
 * Worker `slot`'s share of `total`: `floor(total / count)`, plus one for the first `total mod count` workers,
 * and never below `min` (a worker must be able to do something: with more workers than `total`, the sum is
 * then `count * min`). With one process, `total` itself; `0` or less (no limit) stays as it is.
 */
export function shareOf(total: number, slot: WorkerSlot, min = 1): number {
  if (slot.count <= 1 || total <= 0) return total;
  const base = Math.floor(total / slot.count);
  const extra = slot.index < total % slot.count ? 1 : 0;
  return Math.max(min, base + extra);
}

/**
 * Worker `slot`'s share of the limit `name` in words, for errors that a limit was reached, so a user who set
 * `total` is not puzzled by a smaller figure: `this worker's share of max_size: 4096 of 8192 bytes (2 workers)`.
 * Undefined with one process (the error then names the limit as configured).
 */
export function shareNote(name: string, total: number, slot: WorkerSlot, unit: string): string | undefined {
  if (slot.count <= 1) return undefined;
  return `this worker's share of ${name}: ${shareOf(total, slot)} of ${total} ${unit} (${slot.count} workers)`;
}
