import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type FlagSpec, parseFlags } from "./flags.ts";

const specs: FlagSpec[] = [
  { name: "server.http.listen-addr", kind: "string", default: "127.0.0.1:12345", help: "" },
  { name: "disable-reporting", kind: "bool", default: false, help: "" },
  { name: "help", kind: "bool", default: false, help: "", short: "h" },
];

describe("parseFlags", () => {
  it("reads --flag=value, --flag value, bare booleans and positionals", () => {
    const f = parseFlags(
      ["--server.http.listen-addr", ":0", "cfg.alloy", "--disable-reporting", "-h"],
      specs,
    );
    assert.equal(f.values.get("server.http.listen-addr"), ":0");
    assert.equal(f.values.get("disable-reporting"), true);
    assert.equal(f.values.get("help"), true);
    assert.deepEqual(f.positional, ["cfg.alloy"]);
    const g = parseFlags(
      ["--server.http.listen-addr=1.2.3.4:5", "--disable-reporting=false", "--", "-x"],
      specs,
    );
    assert.equal(g.values.get("server.http.listen-addr"), "1.2.3.4:5");
    assert.equal(g.values.get("disable-reporting"), false);
    assert.deepEqual(g.positional, ["-x"]);
  });

  it("keeps defaults and words errors as pflag does", () => {
    assert.equal(parseFlags([], specs).values.get("server.http.listen-addr"), "127.0.0.1:12345");
    assert.throws(() => parseFlags(["--nope"], specs), { message: "unknown flag: --nope" });
    assert.throws(() => parseFlags(["--server.http.listen-addr"], specs), {
      message: "flag needs an argument: --server.http.listen-addr",
    });
    assert.throws(() => parseFlags(["--disable-reporting=maybe"], specs), /invalid argument "maybe"/);
  });
});
