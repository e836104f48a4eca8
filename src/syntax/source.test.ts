import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ConfigReadError, decodeConfig, readConfigSources } from "./source.ts";

let dir = "";

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "profile-relay-source-"));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rejectsWith(path: string, message: string): Promise<void> {
  await assert.rejects(readConfigSources(path), (err: unknown) => {
    assert.ok(err instanceof ConfigReadError);
    assert.equal(err.message, message);
    return true;
  });
}

describe("readConfigSources", () => {
  it("reads one file", async () => {
    const file = join(dir, "one.alloy");
    await writeFile(file, "a = 1\n");
    assert.deepEqual(await readConfigSources(file), [{ filename: file, text: "a = 1\n" }]);
  });

  it("reads a file whatever its extension", async () => {
    const file = join(dir, "config.txt");
    await writeFile(file, "b = 2\n");
    assert.deepEqual(await readConfigSources(file), [{ filename: file, text: "b = 2\n" }]);
  });

  it("reads every *.alloy file directly in a directory, sorted by name", async () => {
    const d = join(dir, "multi");
    await mkdir(join(d, "nested.alloy"), { recursive: true });
    await mkdir(join(d, "sub"), { recursive: true });
    await writeFile(join(d, "b.alloy"), "b = 1\n");
    await writeFile(join(d, "a.alloy"), "a = 1\n");
    await writeFile(join(d, "c.txt"), "ignored\n");
    await writeFile(join(d, "sub", "d.alloy"), "not recursive\n");
    await writeFile(join(d, "nested.alloy", "e.alloy"), "not recursive\n");
    assert.deepEqual(await readConfigSources(d), [
      { filename: join(d, "a.alloy"), text: "a = 1\n" },
      { filename: join(d, "b.alloy"), text: "b = 1\n" },
    ]);
  });

  it("returns nothing for a directory without *.alloy files", async () => {
    const d = join(dir, "empty");
    await mkdir(d);
    assert.deepEqual(await readConfigSources(d), []);
  });

  it("reports a missing path in one line", async () => {
    const missing = join(dir, "nope.alloy");
    await rejectsWith(
      missing,
      `reading config path "${missing}": stat ${missing}: no such file or directory`,
    );
  });

  it("keeps a UTF-8 byte-order mark so positions match Alloy's", async () => {
    const file = join(dir, "bom.alloy");
    await writeFile(file, Buffer.from([0xef, 0xbb, 0xbf, 0x61, 0x20, 0x3d, 0x20, 0x31]));
    assert.deepEqual(await readConfigSources(file), [{ filename: file, text: "\ufeffa = 1" }]);
  });

  const encodings: readonly [string, number[]][] = [
    ["UTF16LittleEndian", [0xff, 0xfe, 0x61, 0x00]],
    ["UTF16BigEndian", [0xfe, 0xff, 0x00, 0x61]],
    ["UTF32LittleEndian", [0xff, 0xfe, 0x00, 0x00, 0x61, 0x00, 0x00, 0x00]],
    ["UTF32BigEndian", [0x00, 0x00, 0xfe, 0xff, 0x00, 0x00, 0x00, 0x61]],
  ];
  for (const [name, bytes] of encodings) {
    it(`rejects ${name}`, async () => {
      const file = join(dir, `${name}.alloy`);
      await writeFile(file, Buffer.from(bytes));
      await rejectsWith(
        file,
        `reading config path "${file}": configuration is encoded with ${name} but must be utf8`,
      );
    });
  }

  it("rejects bytes that are not UTF-8", async () => {
    const file = join(dir, "latin1.alloy");
    await writeFile(file, Buffer.from([0x61, 0x20, 0x3d, 0x20, 0x22, 0xe9, 0x22]));
    await rejectsWith(file, `reading config path "${file}": unknown encoding for config`);
  });

  it("quotes the path as Go's %q does", async () => {
    const missing = join(dir, 'we"ird');
    await rejectsWith(
      missing,
      `reading config path "${missing.replace('"', '\\"')}": stat ${missing}: no such file or directory`,
    );
  });
});

describe("decodeConfig", () => {
  it("decodes UTF-8", () => {
    assert.equal(decodeConfig(new TextEncoder().encode("é = 1")), "é = 1");
  });
});
