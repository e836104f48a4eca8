import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { body } from "../syntax/schema.ts";
import type { AnyRegistration, Stability } from "./component.ts";
import { createRegistry, RegistryError } from "./registry.ts";

function reg(name: string, stability: Stability = "generally-available"): AnyRegistration {
  return {
    name,
    stability,
    description: "",
    args: body({}),
    exports: [],
    build: () => ({ run: async () => {}, update: () => {} }),
  };
}

describe("createRegistry", () => {
  it("refuses a duplicate name", () => {
    assert.throws(() => createRegistry([reg("a.b"), reg("a.b")]), {
      name: "RegistryError",
      message: 'Component name "a.b" already registered',
    });
  });

  it("refuses malformed names", () => {
    assert.throws(
      () => createRegistry([reg("a..b")]),
      /invalid component name "a..b": found empty identifier/,
    );
    assert.throws(() => createRegistry([reg("a.1b")]), /identifier "1b" is not valid/);
    assert.throws(() => createRegistry([reg("")]), RegistryError);
  });

  it("refuses a name that is a whole-segment prefix of another", () => {
    assert.throws(
      () => createRegistry([reg("remote.http"), reg("remote")]),
      /"remote" cannot be used because it is incompatible with "remote.http"/,
    );
    assert.doesNotThrow(() => createRegistry([reg("remote.http"), reg("remote.https"), reg("remote.s3")]));
  });

  it("refuses an undefined stability level", () => {
    assert.throws(() => createRegistry([reg("a.b", "beta" as Stability)]), /undefined stability level/);
  });

  it("looks names up with Alloy's messages, listing the known names", () => {
    const r = createRegistry([reg("pyroscope.write"), reg("pyroscope.enrich", "experimental")]);
    assert.equal(r.lookup("pyroscope.write", "generally-available").registration?.name, "pyroscope.write");
    assert.equal(
      r.lookup("pyroscope.wrte", "generally-available").error,
      'cannot find the definition of component name "pyroscope.wrte" (known components: pyroscope.enrich, pyroscope.write)',
    );
    assert.equal(
      r.lookup("pyroscope.enrich", "public-preview").error,
      'component "pyroscope.enrich" is at stability level "experimental", which is below the minimum allowed stability level "public-preview". Use --stability.level command-line flag to enable "experimental" features',
    );
    assert.ok(r.lookup("pyroscope.enrich", "experimental").registration);
  });
});
