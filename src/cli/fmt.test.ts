import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fmtCommand } from "./fmt.ts";
import type { CliIO } from "./io.ts";
import { main } from "./main.ts";

interface Captured {
  io: CliIO;
  out: () => string;
  err: () => string;
}

function capture(stdin = ""): Captured {
  let out = "";
  let err = "";
  return {
    io: {
      stdout: (t) => {
        out += t;
      },
      stderr: (t) => {
        err += t;
      },
      readStdin: async () => stdin,
      stderrIsTTY: false,
    },
    out: () => out,
    err: () => err,
  };
}

let dir = "";
const UNFORMATTED = 'blk "l" {\n  a=1\n  bbb = [1,2]\n}\n';
const FORMATTED = 'blk "l" {\n\ta   = 1\n\tbbb = [1, 2]\n}\n';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "profile-relay-fmt-"));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe("profile-relay fmt", () => {
  it("prints the formatted file to stdout", async () => {
    const path = await file("a.alloy", UNFORMATTED);
    const c = capture();
    assert.equal(await fmtCommand([path], c.io), 0);
    assert.equal(c.out(), FORMATTED);
    assert.equal(c.err(), "");
    assert.equal(await readFile(path, "utf8"), UNFORMATTED);
  });

  it("reads stdin with no argument or with -", async () => {
    for (const argv of [[], ["-"]]) {
      const c = capture("a=1");
      assert.equal(await fmtCommand(argv, c.io), 0);
      assert.equal(c.out(), "a = 1\n");
    }
  });

  it("writes the file back with -w / --write", async () => {
    for (const flag of ["-w", "--write"]) {
      const path = await file(`w${flag}.alloy`, UNFORMATTED);
      const c = capture();
      assert.equal(await fmtCommand([flag, path], c.io), 0);
      assert.equal(c.out(), "");
      assert.equal(await readFile(path, "utf8"), FORMATTED);
    }
  });

  it("does not rewrite a file that is already formatted", async () => {
    const path = await file("same.alloy", FORMATTED);
    const old = new Date("2001-02-03T04:05:06Z");
    await utimes(path, old, old);
    assert.equal(await fmtCommand(["-w", path], capture().io), 0);
    assert.equal((await stat(path)).mtime.getTime(), old.getTime());
  });

  it("checks with -t, --test and --check", async () => {
    const good = await file("good.alloy", FORMATTED);
    const bad = await file("bad.alloy", UNFORMATTED);
    for (const flag of ["-t", "--test", "--check"]) {
      const ok = capture();
      assert.equal(await fmtCommand([flag, good], ok.io), 0);
      assert.equal(ok.out() + ok.err(), "");
      const ko = capture();
      assert.equal(await fmtCommand([flag, bad], ko.io), 1);
      assert.equal(ko.out(), "");
      assert.equal(ko.err(), `Error: file ${bad} is not formatted correctly\n`);
    }
  });

  it("prints each parse diagnostic on one line, then the summary", async () => {
    const path = await file("broken.alloy", "a = 1 2\nb = 'x'\n");
    const c = capture();
    assert.equal(await fmtCommand([path], c.io), 1);
    assert.equal(c.out(), "");
    assert.equal(
      c.err(),
      [
        `${path}:1:7: expected TERMINATOR, got NUMBER`,
        `${path}:2:5: illegal single-quoted string; use double quotes`,
        `${path}:2:5: expected expression, got ILLEGAL`,
        "Error: encountered errors during formatting",
        "",
      ].join("\n"),
    );
  });

  it("names stdin <stdin> in diagnostics", async () => {
    const c = capture("a = ");
    assert.equal(await fmtCommand([], c.io), 1);
    assert.equal(
      c.err(),
      "<stdin>:1:5: expected expression, got EOF\nError: encountered errors during formatting\n",
    );
  });

  it("formats any syntactically valid file, whatever it names", async () => {
    const c = capture('no.such.component "x" { whatever = unknown_fn(1) }');
    assert.equal(await fmtCommand([], c.io), 0);
    assert.equal(c.out(), 'no.such.component "x" {\n\twhatever = unknown_fn(1)\n}\n');
  });

  it("formats several files and fails if any fails", async () => {
    const a = await file("m1.alloy", "x=1");
    const b = await file("m2.alloy", "y = ");
    const d = await file("m3.alloy", "z=2");
    const c = capture();
    assert.equal(await fmtCommand([a, b, d], c.io), 1);
    assert.equal(c.out(), "x = 1\nz = 2\n");
    assert.equal(
      c.err(),
      `${b}:1:5: expected expression, got EOF\nError: encountered errors during formatting\n`,
    );
  });

  it("rejects bad combinations and paths with Alloy's messages", async () => {
    const cases: readonly [string[], string][] = [
      [["-w", "-t", "x"], "Error: cannot use -w/--write and -t/--test at the same time\n"],
      [["-wt", "x"], "Error: cannot use -w/--write and -t/--test at the same time\n"],
      [["-w"], "Error: cannot use -w with standard input\n"],
      [["-w", "-"], "Error: cannot use -w with standard input\n"],
      [[dir], "Error: cannot format a directory\n"],
      [
        [join(dir, "missing.alloy")],
        `Error: stat ${join(dir, "missing.alloy")}: no such file or directory\n`,
      ],
      [["--nope"], "Error: unknown flag: --nope\n"],
      [["-x"], "Error: unknown shorthand flag: 'x' in -x\n"],
    ];
    for (const [argv, err] of cases) {
      const c = capture();
      assert.equal(await fmtCommand(argv, c.io), 1, argv.join(" "));
      assert.equal(c.err(), err, argv.join(" "));
      assert.equal(c.out(), "");
    }
  });

  it("treats arguments after -- as files", async () => {
    const c = capture();
    assert.equal(await fmtCommand(["--", "-t"], c.io), 1);
    assert.equal(c.err(), "Error: stat -t: no such file or directory\n");
  });

  it("prints help", async () => {
    const c = capture();
    assert.equal(await fmtCommand(["--help"], c.io), 0);
    assert.match(c.out(), /profile-relay fmt \[flags\] \[FILE\|-\]\.\.\./);
  });

  it("is reachable through the CLI entry point", async () => {
    const path = await file("main.alloy", "a=1");
    const c = capture();
    assert.equal(await main(["fmt", path], c.io), 0);
    assert.equal(c.out(), "a = 1\n");
  });
});
