/**
 * The tenant of a profile chosen by a label (beyond Alloy, alloy#259): when a profile's labels hold
 * `__tenant_id__`, its value is the tenant Pyroscope files the profile under (sent as `X-Scope-OrgID`), and the
 * label itself is never sent. A pipeline sets it with `pyroscope.relabel`, e.g. from a Kubernetes namespace.
 *
 * A tenant Pyroscope would refuse is refused here first, with dskit's rules (`tenant.ValidTenantID`): at most
 * 150 characters out of `a-z A-Z 0-9 ! - _ . * ' ( )`, and not `.` or `..`; an empty one is refused too (the
 * label is there, so a tenant was meant). These are 400s: resending cannot fix them.
 */
import type { Labels } from "./labels.ts";

/** The label that carries the tenant. */
export const TENANT_LABEL = "__tenant_id__";

/** dskit's `MaxTenantIDLength`. */
export const MAX_TENANT_ID_LENGTH = 150;

const VALID_CHAR = /^[A-Za-z0-9!\-_.*'()]$/;

/** The tenant of a label set, and the labels to send (without the tenant label); or why the tenant is invalid. */
export type TenantFromLabels =
  | {
      readonly ok: true;
      /** `undefined` when the labels hold no tenant label: the tenant is left to the other rules (headers). */
      readonly tenant: string | undefined;
      readonly labels: Labels;
    }
  | { readonly ok: false; readonly message: string };

/** Splits the tenant label off a label set and checks its value. */
export function tenantFromLabels(labels: Labels): TenantFromLabels {
  const tenant = labels.get(TENANT_LABEL);
  if (tenant === undefined) return { ok: true, tenant: undefined, labels };
  const problem = tenantIdProblem(tenant);
  if (problem !== undefined) return { ok: false, message: `invalid ${TENANT_LABEL} label: ${problem}` };
  return { ok: true, tenant, labels: labels.without(TENANT_LABEL) };
}

/** Why Pyroscope would refuse `id` as a tenant ID (dskit's `ValidTenantID` wording), or `undefined`. */
export function tenantIdProblem(id: string): string | undefined {
  if (id === "") return "the tenant ID is empty";
  for (const ch of id) {
    if (!VALID_CHAR.test(ch)) return `tenant ID '${id}' contains unsupported character '${ch}'`;
  }
  if (id.length > MAX_TENANT_ID_LENGTH) {
    return `tenant ID is too long: max ${MAX_TENANT_ID_LENGTH} characters`;
  }
  if (id === "." || id === "..") return "tenant ID is '.' or '..'";
  return undefined;
}
