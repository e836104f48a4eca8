import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Labels } from "./labels.ts";
import { MAX_TENANT_ID_LENGTH, TENANT_LABEL, tenantFromLabels, tenantIdProblem } from "./tenant.ts";

describe("tenantFromLabels", () => {
  test("no tenant label: no tenant, the same labels", () => {
    const labels = Labels.from({ service_name: "api" });
    const got = tenantFromLabels(labels);
    assert.deepEqual(got, { ok: true, tenant: undefined, labels });
  });

  test("the tenant label's value is the tenant; the label is removed", () => {
    const got = tenantFromLabels(Labels.from({ service_name: "api", [TENANT_LABEL]: "team-a", env: "prod" }));
    assert.equal(got.ok, true);
    assert.equal(got.ok && got.tenant, "team-a");
    assert.deepEqual(got.ok && got.labels.toRecord(), { env: "prod", service_name: "api" });
  });

  test("an invalid tenant is refused with a message naming the label and the reason", () => {
    assert.deepEqual(tenantFromLabels(Labels.from([{ name: TENANT_LABEL, value: "" }])), {
      ok: false,
      message: "invalid __tenant_id__ label: the tenant ID is empty",
    });
    assert.deepEqual(tenantFromLabels(Labels.from({ [TENANT_LABEL]: "team a" })), {
      ok: false,
      message: "invalid __tenant_id__ label: tenant ID 'team a' contains unsupported character ' '",
    });
  });
});

describe("tenantIdProblem (dskit's ValidTenantID)", () => {
  test("valid: letters, digits and ! - _ . * ' ( ), up to 150 characters", () => {
    for (const id of ["a", "team-a", "Team_A.1", "!-_.*'()", "x".repeat(MAX_TENANT_ID_LENGTH), "..."]) {
      assert.equal(tenantIdProblem(id), undefined, id);
    }
  });

  test("invalid characters: the separators of multi-tenant and sub-tenant IDs, slashes, spaces, non-ASCII", () => {
    const cases: [string, string][] = [
      ["a|b", "|"],
      ["a:b", ":"],
      ["a/b", "/"],
      ["a b", " "],
      ["é", "é"],
      ["a\nb", "\n"],
    ];
    for (const [id, ch] of cases) {
      assert.equal(tenantIdProblem(id), `tenant ID '${id}' contains unsupported character '${ch}'`, id);
    }
  });

  test("too long, empty, . and ..", () => {
    assert.equal(tenantIdProblem("x".repeat(151)), "tenant ID is too long: max 150 characters");
    assert.equal(tenantIdProblem(""), "the tenant ID is empty");
    assert.equal(tenantIdProblem("."), "tenant ID is '.' or '..'");
    assert.equal(tenantIdProblem(".."), "tenant ID is '.' or '..'");
  });
});
