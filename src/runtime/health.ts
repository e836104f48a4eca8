/**
 * Component health, as Alloy computes it (`internal/component/component_health.go`): a component's health
 * is the least healthy of its last evaluation, its run, and what it reports itself.
 */
import type { Health, HealthState } from "./component.ts";

const RANK: Readonly<Record<HealthState, number>> = { healthy: 0, unknown: 1, unhealthy: 2, exited: 3 };

/** A health value stamped now. */
export function health(state: HealthState, message: string, updatedTime: Date = new Date()): Health {
  return { state, message, updatedTime };
}

/**
 * The least healthy of `healths` (healthy < unknown < unhealthy < exited); a tie goes to the most recent.
 */
export function leastHealthy(...healths: readonly Health[]): Health {
  let worst = healths[0] ?? health("unknown", "component created");
  for (const h of healths.slice(1)) {
    const a = RANK[h.state];
    const b = RANK[worst.state];
    if (a > b || (a === b && h.updatedTime.getTime() > worst.updatedTime.getTime())) {
      worst = h;
    }
  }
  return worst;
}
