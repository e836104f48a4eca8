/**
 * The documentation stays true to the code: the argument tables in docs/components.md are the components'
 * schemas (`npm run docs` regenerates them), and every ```alloy block in README.md and docs/*.md is formatted
 * as `profile-relay fmt` prints it (`fmt -t` passes) and, when it uses only profile-relay's components, passes
 * `validate` without a diagnostic (warnings included); docs/metrics.md names every metric the agent serves.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ARGUMENT_DOCS, renderArgumentTables } from "../scripts/docs-args.ts";
import { fmtCommand } from "../src/cli/fmt.ts";
import { allComponents } from "../src/components/all.ts";
import { Agent } from "../src/runtime/agent.ts";
import { defaultDecoder, isStdlibName } from "../src/runtime/decoder.ts";
import { createRegistry } from "../src/runtime/registry.ts";
import { validateSources } from "../src/runtime/validate-config.ts";
import { parseFile } from "../src/syntax/parser.ts";
import { format } from "../src/syntax/printer.ts";

const ROOT = new URL("../", import.meta.url);

/** README.md and every Markdown file in docs/, by their path in the repository. */
function markdownFiles(): { path: string; text: string }[] {
  const docs = readdirSync(new URL("docs/", ROOT))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => `docs/${name}`);
  return ["README.md", ...docs].map((path) => ({ path, text: readFileSync(new URL(path, ROOT), "utf8") }));
}

/** The ```alloy blocks of a Markdown text, with the line each starts on. */
export function alloyBlocks(markdown: string): { line: number; source: string }[] {
  const blocks: { line: number; source: string }[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== "```alloy") continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end]!.trim() !== "```") end++;
    blocks.push({ line: start + 1, source: `${lines.slice(start, end).join("\n")}\n` });
    i = end;
  }
  return blocks;
}

/** `profile-relay fmt -t -` on `source`: exit code and output. */
async function fmtCheck(source: string): Promise<{ code: number; output: string }> {
  let output = "";
  const code = await fmtCommand(["-t", "-"], {
    stdout: (t) => {
      output += t;
    },
    stderr: (t) => {
      output += t;
    },
    readStdin: async () => source,
    stderrIsTTY: false,
  });
  return { code, output };
}

/** The block as `fmt` prints it, or why it cannot. */
function safeFormat(source: string): string {
  try {
    return format(source);
  } catch (err) {
    return String(err);
  }
}

const registry = createRegistry(allComponents);
const OUR_BLOCKS = new Set([...allComponents.map((c) => c.name), "logging"]);

describe("docs", () => {
  it("docs/ has an argument table for every component", () => {
    const text = ARGUMENT_DOCS.map((doc) => readFileSync(doc, "utf8")).join("\n");
    for (const reg of allComponents) {
      assert.ok(text.includes(`<!-- BEGIN args:${reg.name} -->`), `no argument table for ${reg.name}`);
    }
  });

  it("the argument tables match the schemas (run `npm run docs` to update them)", () => {
    for (const doc of ARGUMENT_DOCS) {
      const text = readFileSync(doc, "utf8");
      assert.equal(renderArgumentTables(text), text, doc.pathname);
    }
  });

  it("finds the alloy blocks of a Markdown text", () => {
    const md = 'text\n\n```alloy\nlogging {\n\tlevel = "debug"\n}\n```\n\n```sh\nnpm ci\n```\n';
    assert.deepEqual(alloyBlocks(md), [{ line: 4, source: 'logging {\n\tlevel = "debug"\n}\n' }]);
  });

  const files = markdownFiles();
  it("the README shows at least one config", () => {
    assert.ok(alloyBlocks(files.find((f) => f.path === "README.md")!.text).length > 0);
  });

  for (const { path, text } of files) {
    for (const { line, source } of alloyBlocks(text)) {
      it(`${path}:${line}: the config is formatted (fmt -t) and, if it uses only our components, valid`, async () => {
        const fmt = await fmtCheck(source);
        assert.equal(
          fmt.code,
          0,
          `fmt -t fails on the block at ${path}:${line}:\n${fmt.output}\nformatted, it reads:\n${fmt.code === 1 ? safeFormat(source) : ""}`,
        );
        const parsed = parseFile(source, `${path}:${line}`);
        const names = parsed.file.body
          .filter((s) => s.kind === "Block")
          .map((s) => (s.kind === "Block" ? s.name.join(".") : ""));
        if (!names.every((n) => OUR_BLOCKS.has(n))) return;
        const diagnostics = validateSources([{ filename: `${path}:${line}`, text: source }], {
          registry,
          minStability: "generally-available",
          decode: defaultDecoder,
          isStdlibName,
        });
        assert.deepEqual(
          diagnostics.map((d) => `${d.severity}: ${d.message}`),
          [],
          `the block at ${path}:${line} does not validate`,
        );
      });
    }
  }
});

describe("docs/metrics.md", () => {
  it("names every metric /metrics serves, with every component and the queue configured", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "profile-relay-docs-metrics-"));
    let agent: Agent | undefined;
    // The agent first: its queue writes its cursors when it stops.
    t.after(async () => {
      await agent?.shutdown();
      await rm(dir, { recursive: true, force: true });
    });
    const config = join(dir, "all.alloy");
    await writeFile(
      config,
      `pyroscope.receive_http "in" {
	http {
		listen_address = "127.0.0.1"
		listen_port    = 0
	}
	forward_to = [pyroscope.write.out.receiver, pyroscope.capture.local.receiver]
}

pyroscope.write "out" {
	endpoint {
		url = "http://127.0.0.1:1"
	}

	queue { }
}

pyroscope.capture "local" { }
`,
    );
    agent = await Agent.start({
      configPath: config,
      listenAddr: "127.0.0.1:0",
      storagePath: join(dir, "data"),
      minStability: "generally-available",
      stopDeadlineMs: 10_000,
      registry,
      logOut: () => {},
    });
    const load = await agent.reload();
    assert.equal(load.error, undefined);
    const families = [...(await agent.metrics()).matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!);
    const doc = readFileSync(new URL("docs/metrics.md", ROOT), "utf8");
    const missing = families.filter(
      (name) => !/^(process|nodejs)_/.test(name) && !doc.includes(`\`${name}\``),
    );
    assert.ok(families.includes("pyroscope_write_queue_items"), "the queue's metrics are served");
    assert.ok(families.includes("pyroscope_capture_store_bytes"), "the capture metrics are served");
    assert.deepEqual(missing, [], "metrics served but not in docs/metrics.md");
  });
});
