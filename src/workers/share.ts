/**
 * The one place that divides a limit the user configures for the whole relay (`conn_limit`,
 * `max_inflight_body_size` of `pyroscope.receive_http`) among the worker processes of `run --workers=N`, so
 * the workers together hold what the config says, not N times it.
 */
import type { WorkerSlot } from "../runtime/component.ts";

/**
 * This worker's share of `total`: `total / count`, the remainder going one each to the lowest indexes, so
 * the shares add up to `total` exactly; never below `minimum` (a share of 0 would mean "no limit", and some
 * limits make no sense below a floor). `0` (no limit) and a single process keep `total`.
 */
export function shareOfTotal(total: number, worker: WorkerSlot, minimum = 1): number {
  if (total <= 0 || worker.count <= 1) return total;
  const share = Math.floor(total / worker.count) + (worker.index < total % worker.count ? 1 : 0);
  return Math.max(share, minimum);
}
