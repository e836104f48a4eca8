import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { makeTempDir } from "../../test/support/cleanup.ts";
import { type CommandRun, runCommand } from "../../test/support/cli-io.ts";
import { main } from "./main.ts";

function cli(...argv: string[]): Promise<CommandRun> {
  return runCommand(main, argv);
}

describe("the command line a newcomer meets", () => {
  it("--help lists the commands, --help and --version", async () => {
    const { code, stdout } = await cli("--help");
    assert.equal(code, 0);
    assert.match(stdout, /^ {2}run {8}/m);
    assert.match(stdout, /^ {2}-v, --version {3}print the version$/m);
    assert.match((await cli("--version")).stdout, /^profile-relay v\d+\.\d+\.\d+\n$/);
  });

  it("fmt --help lists no alias (there is none, as in Alloy)", async () => {
    const { code, stdout } = await cli("fmt", "--help");
    assert.equal(code, 0);
    assert.doesNotMatch(stdout, /Aliases|format\b/);
    assert.equal((await cli("format")).code, 1);
  });

  it("run without a path says what to pass", async () => {
    for (const argv of [["run"], ["run", "--storage.path", "x"]]) {
      const { code, stderr } = await cli(...argv);
      assert.equal(code, 1);
      assert.match(
        stderr,
        /^Error: run needs the path of a config file or of a directory of \*\.alloy files/,
      );
      assert.match(stderr, /profile-relay run examples\/default\.alloy/);
    }
  });

  it("run and validate refuse a --config.format other than alloy, before reading the config", async () => {
    for (const command of ["run", "validate"]) {
      const { code, stderr } = await cli(
        command,
        "--config.format=otelcol",
        join(tmpdir(), "profile-relay-no-such-config.alloy"),
      );
      assert.equal(code, 1);
      assert.equal(
        stderr,
        'Error: --config.format=otelcol is not supported by profile-relay (only "alloy" is)\n',
      );
    }
  });

  it("run with a path that cannot be read fails before listening", async (t) => {
    // The agent's address is taken: had run listened first, it would fail with "failed to listen".
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    t.after(() => new Promise((resolve) => busy.close(resolve)));
    const { port } = busy.address() as { port: number };
    const { code, stderr } = await cli(
      "run",
      `--server.http.listen-addr=127.0.0.1:${port}`,
      join(tmpdir(), "profile-relay-no-such-config.alloy"),
    );
    assert.equal(code, 1);
    assert.match(
      stderr,
      /^Error: reading config path ".*profile-relay-no-such-config\.alloy": stat .*: no such file or directory\n$/,
    );
  });

  it("run on a busy agent address names --server.http.listen-addr", async (t) => {
    const dir = await makeTempDir(t, "profile-relay-busy-");
    const config = join(dir, "empty.alloy");
    await writeFile(config, "");
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    t.after(() => new Promise((resolve) => busy.close(resolve)));
    const { port } = busy.address() as { port: number };
    const { code, stderr } = await cli("run", `--server.http.listen-addr=127.0.0.1:${port}`, config);
    assert.equal(code, 1);
    assert.match(
      stderr,
      new RegExp(`^Error: failed to listen on 127\\.0\\.0\\.1:${port}: listen EADDRINUSE`),
    );
    assert.match(stderr, new RegExp(`is using 127\\.0\\.0\\.1:${port}\\.`));
    assert.match(stderr, /with --server\.http\.listen-addr /);
  });
});
