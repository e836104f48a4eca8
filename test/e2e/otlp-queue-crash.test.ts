/**
 * OTLP profiles through the durable queue across a SIGKILL: `profile-relay run` as a child process, OTLP/HTTP
 * exports into `pyroscope.receive_http`, a `pyroscope.write` with a `queue` block in front of a backend that is
 * down. The child is killed after the exports were acknowledged, restarted, and the backend comes up: every
 * acknowledged profile must arrive as a push, its pprof intact.
 */
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { toBinary } from "@bufbuild/protobuf";
import { ExportProfilesServiceRequestSchema } from "../../src/pyroscope/gen/opentelemetry/proto/collector/profiles/v1development/profiles_service_pb.ts";
import { OtlpBuilder, viewPprof } from "../../src/pyroscope/otlp/testkit.ts";
import { fileCleanup, makeTempDir } from "../support/cleanup.ts";
import { type RecordedRequest, startFakePyroscope } from "../support/fake-pyroscope.ts";
import { freePort } from "../support/free-port.ts";
import { queuedRelayConfig, startRelay, stopAll } from "../support/relay-process.ts";
import { until } from "../support/until.ts";

const EXPORTS = 20;

after(() => stopAll()); // the relays first: they write into the folders
const cleanup = fileCleanup();

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
    const dir = await makeTempDir(cleanup, "profile-relay-otlp-crash-");
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
    cleanup.after(() => backend.close());

    const port = await freePort();
    const config = join(dir, "config.alloy");
    await writeFile(config, queuedRelayConfig(port, backend.url));
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
