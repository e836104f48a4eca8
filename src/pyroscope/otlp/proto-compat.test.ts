/**
 * Our OTLP `.proto` files against upstream open-telemetry/opentelemetry-proto (read from `../shared/proto-otlp`):
 * every message, field name, number, type and label must be the same, so the binary and JSON encodings and the
 * gRPC path are identical. Checked for v1.10.0 (what Pyroscope's ingest is built against) and v1.11.0 (whose
 * changes to the profiles files are documentation only: its senders are served as well).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const BUF = `${ROOT}node_modules/.bin/buf`;
const SHARED = `${ROOT}../shared/proto-otlp`;

interface FieldJson {
  name: string;
  number: number;
  label: string;
  type: string;
  typeName?: string;
  oneofIndex?: number;
}
interface MessageJson {
  name: string;
  field?: FieldJson[];
  nestedType?: MessageJson[];
}
interface FileJson {
  name: string;
  package: string;
  messageType?: MessageJson[];
  service?: { name: string; method: { name: string; inputType: string; outputType: string }[] }[];
}

/** `package.Message` → sorted field signatures, and `package.Service/Method` signatures, of a buf module. */
function shape(dir: string): Map<string, string[]> {
  const json = execFileSync(BUF, ["build", dir, "-o", "-#format=json"], {
    encoding: "utf8",
    timeout: 60_000,
  });
  const files = (JSON.parse(json) as { file: FileJson[] }).file.filter((f) =>
    f.package.startsWith("opentelemetry."),
  );
  const out = new Map<string, string[]>();
  const walk = (prefix: string, m: MessageJson): void => {
    const name = `${prefix}.${m.name}`;
    out.set(
      name,
      (m.field ?? [])
        .map((f) => `${f.number} ${f.name} ${f.label} ${f.type} ${f.typeName ?? ""} ${f.oneofIndex ?? ""}`)
        .sort(),
    );
    for (const n of m.nestedType ?? []) walk(name, n);
  };
  for (const f of files) {
    for (const m of f.messageType ?? []) walk(f.package, m);
    for (const s of f.service ?? []) {
      for (const method of s.method) {
        out.set(`${f.package}.${s.name}/${method.name}`, [`${method.inputType} → ${method.outputType}`]);
      }
    }
  }
  return out;
}

const skip = existsSync(SHARED) ? false : "../shared/proto-otlp is absent";

for (const version of ["v1.10.0", "v1.11.0"]) {
  test(`our OTLP protos have the messages, fields and service of upstream ${version}`, { skip }, () => {
    const ours = shape(`${ROOT}proto`);
    const upstream = shape(`${SHARED}/${version}`);
    assert.ok(upstream.size > 20, "upstream parsed");
    assert.deepEqual(Object.fromEntries(ours), Object.fromEntries(upstream));
  });
}
