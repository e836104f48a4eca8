/**
 * OTLP profiles through the durable queue across a SIGKILL: `profile-relay run` as a child process, OTLP/HTTP
 * exports into `pyroscope.receive_http`, a `pyroscope.write` with a `queue` block in front of a backend that is
 * down. The child is killed after the exports were acknowledged, restarted, and the backend comes up: every
 * acknowledged profile must arrive as a push, its pprof intact.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { toBinary } from "@bufbuild/protobuf";
import { ExportProfilesServiceRequestSchema } from "../../src/pyroscope/gen/opentelemetry/proto/collector/profiles/v1development/profiles_service_pb.ts";
import { OtlpBuilder, viewPprof } from "../../src/pyroscope/otlp/testkit.ts";
import { type RecordedRequest, startFakePyroscope } from "../support/fake-pyroscope.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const NODE = join(ROOT, "node_modules/.bin/node");
const MAIN = join(ROOT, "src/cli/main.ts");
const EXPORTS = 20;

const cleanup: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {});
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

function startRelay(
  config: string,
  storage: string,
): { process: ChildProcess; exited: Promise<number | null> } {
  const proc = spawn(
    NODE,
    [MAIN, "run", "--server.http.listen-addr=127.0.0.1:0", "--storage.path", storage, config],
    { cwd: ROOT, stdio: ["ignore", "ignore", "ignore"] },
  );
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
  const killer = setTimeout(() => proc.kill("SIGKILL"), 60_000);
  void exited.then(() => clearTimeout(killer));
  cleanup.push(async () => {
    proc.kill("SIGKILL");
    await exited;
  });
  return { process: proc, exited };
}

async function until(what: string, probe: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** An export of one CPU profile for service `otlp-<n>`. */
function exportFor(n: number): Uint8Array {
  const b = new OtlpBuilder();
  const fn = b.function(`handler_${n}`, "app.go");
  const loc = b.location(b.mapping("app"), 0x1100n, [[fn, n]]);
  const profile = b.profile({
    type: ["samples", "count"],
    periodType: ["cpu", "nanoseconds"],
    period: 10_000_000n,
    samples: [{ stackIndex: b.stack([loc]), values: [BigInt(n + 1)] }],
  });
  return toBinary(
    ExportProfilesServiceRequestSchema,
    b.request([{ attributes: { "service.name": `otlp-${n}` }, scopes: [{ profiles: [profile] }] }]),
  );
}

function serviceOf(r: RecordedRequest): string {
  return r.push?.series[0]?.labels.find((l) => l.name === "service_name")?.value ?? "?";
}

describe("OTLP through the durable queue", () => {
  it("acknowledged OTLP profiles survive a SIGKILL and arrive as pushes", { timeout: 90_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), "profile-relay-otlp-crash-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    let up = false;
    // only what the backend accepted counts: while it is down, requests are recorded but reset
    const delivered = new Map<string, RecordedRequest>();
    const backend = await startFakePyroscope({
      respond: (r) => {
        if (!up) return { reset: true };
        if (r.push !== undefined) delivered.set(serviceOf(r), r);
        return undefined;
      },
    });
    cleanup.push(() => backend.close());

    const port = await freePort();
    const config = join(dir, "config.alloy");
    await writeFile(
      config,
      `pyroscope.receive_http "in" {
  http {
    listen_address = "127.0.0.1"
    listen_port    = ${port}
  }
  forward_to = [pyroscope.write.out.receiver]
}

pyroscope.write "out" {
  endpoint {
    url                = "${backend.url}"
    min_backoff_period = "10ms"
    max_backoff_period = "200ms"
  }
  queue { }
}
`,
    );
    const storage = join(dir, "data");
    const url = `http://127.0.0.1:${port}/v1development/profiles`;
    let child = startRelay(config, storage);

    const acked = new Set<string>();
    for (let n = 0; n < EXPORTS; n++) {
      await until(`export ${n} acknowledged`, async () => {
        try {
          const res = await fetch(url, {
            method: "POST",
            headers: { "content-type": "application/x-protobuf" },
            body: exportFor(n),
          });
          await res.arrayBuffer();
          return res.status === 200;
        } catch {
          return false; // the relay is still starting
        }
      });
      acked.add(`otlp-${n}`);
    }

    child.process.kill("SIGKILL");
    assert.equal(await child.exited, null, "killed by the signal");
    child = startRelay(config, storage);
    up = true;

    await until(
      "every acknowledged OTLP profile arrives",
      () => [...acked].every((s) => delivered.has(s)),
      40_000,
    );
    for (const [service, r] of delivered) {
      const n = Number(service.slice("otlp-".length));
      const pprof = viewPprof(r.push!.series[0]!.samples[0]!.rawProfile);
      assert.deepEqual(pprof.samples[0]!.stack, [`handler_${n} app.go:${n}`]);
      assert.deepEqual(pprof.samples[0]!.values, [BigInt(n + 1) * 10_000_000n]);
    }
    child.process.kill("SIGTERM");
    assert.equal(await child.exited, 0);
  });
});
