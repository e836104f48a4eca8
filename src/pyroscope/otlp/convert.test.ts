/**
 * Golden conversion cases, written from Grafana Pyroscope's OTLP converter behaviour (`pkg/ingester/otlp`, its
 * tests and testdata: TestDifferentServiceNames, TestConversionOffCpu, TestSampleAttributes,
 * TestGetServiceNameFromAttributes, TestAppendAttributesUnique, TestStringValueFromAnyValue). The pprof is decoded
 * with `pprof-format`, independently of the writer.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { ExportProfilesServiceRequestSchema } from "../gen/opentelemetry/proto/collector/profiles/v1development/profiles_service_pb.ts";
import { AnyValueSchema, KeyValueListSchema } from "../gen/opentelemetry/proto/common/v1/common_pb.ts";
import { type ConvertedProfile, convertExport, type ExportConversion, formatPosition } from "./convert.ts";
import { OtlpBuilder, viewPprof } from "./testkit.ts";

const NOW = 1_700_000_000_000_000_000n;

function ids(): () => string {
  let n = 0;
  return () => `id-${++n}`;
}

function convert(request: Parameters<typeof convertExport>[0]): ExportConversion {
  return convertExport(request, { nowNanos: NOW, newId: ids() });
}

/** Every converted pprof of a request, in order; fails on any conversion error. */
function converted(request: Parameters<typeof convertExport>[0]): ConvertedProfile[] {
  const result = convert(request);
  assert.equal(result.kind, "converted");
  if (result.kind !== "converted") return [];
  return result.profiles.flatMap((p) => {
    if ("error" in p) assert.fail(`${formatPosition(p.position)}: ${p.error.message}`);
    return [...p.profiles];
  });
}

const cpuBase = { __delta__: "false", __name__: "process_cpu", __otel__: "true" };

/** Two stacks of two and one locations with functions, in one mapping. */
function cpuStacks(b: OtlpBuilder): { a: number; b: number; c: number } {
  const m = b.mapping("app", 0x1000n, 0x5000n, "abc123");
  const main = b.function("main", "main.go");
  const work = b.function("work", "work.go");
  const idle = b.function("idle", "idle.go");
  const lMain = b.location(m, 0x1100n, [[main, 10]]);
  const lWork = b.location(m, 0x1200n, [[work, 20]]);
  const lIdle = b.location(m, 0x1300n, [[idle, 30]]);
  return { a: b.stack([lWork, lMain]), b: b.stack([lIdle, lMain]), c: b.stack([lMain]) };
}

test("CPU: samples:count with period cpu:nanoseconds becomes cpu:nanoseconds, values times the period", () => {
  const b = new OtlpBuilder();
  const s = cpuStacks(b);
  const profile = b.profile({
    type: ["samples", "count"],
    periodType: ["cpu", "nanoseconds"],
    period: 10_000_000n,
    timeUnixNano: 1_000n,
    durationNano: 5_000_000_000n,
    samples: [
      { stackIndex: s.a, values: [3n] },
      { stackIndex: s.b, values: [1n] },
      { stackIndex: s.c, values: [2n] },
    ],
  });
  const [out, ...rest] = converted(
    b.request([{ attributes: { "service.name": "checkout" }, scopes: [{ profiles: [profile] }] }]),
  );
  assert.equal(rest.length, 0);
  // the resource's attributes are labels too, service.name included (as in Pyroscope)
  assert.deepEqual(out!.labels.toRecord(), {
    ...cpuBase,
    "service.name": "checkout",
    service_name: "checkout",
  });
  assert.equal(out!.id, "id-1");
  assert.deepEqual(viewPprof(out!.rawProfile), {
    sampleTypes: ["cpu/nanoseconds"],
    periodType: "cpu/nanoseconds",
    period: 10_000_000n,
    timeNanos: 1_000n,
    durationNanos: 5_000_000_000n,
    defaultSampleType: "samples",
    samples: [
      { stack: ["work work.go:20", "main main.go:10"], values: [30_000_000n], labels: [] },
      { stack: ["idle idle.go:30", "main main.go:10"], values: [10_000_000n], labels: [] },
      { stack: ["main main.go:10"], values: [20_000_000n], labels: [] },
    ],
    mappings: ["app build=abc123"],
  });
});

test("several services in one profile: one pprof per sample-level service.name, the rest under the resource's", () => {
  // Pyroscope's TestDifferentServiceNames: service-a, service-b, and a sample without one
  const b = new OtlpBuilder();
  const ma = b.mapping("service-a.so", 0x1000n, 0x2000n);
  const mb = b.mapping("service-b.so", 0x2000n, 0x3000n);
  const mc = b.mapping("service-c.so", 0x4000n, 0x5000n);
  const fa1 = b.function("serviceA_func1", "service_a.go");
  const fa2 = b.function("serviceA_func2", "service_a.go");
  const fb1 = b.function("serviceB_func1", "service_b.go");
  const fb2 = b.function("serviceB_func2", "service_b.go");
  const fc3 = b.function("serviceC_func3", "service_c.go");
  const l0 = b.location(ma, 0x1100n, [[fa1, 10]]);
  const l1 = b.location(ma, 0x1200n, [[fa2, 20]]);
  const l2 = b.location(mb, 0x2100n, [[fb1, 30]]);
  const l3 = b.location(mb, 0x2200n, [[fb2, 40]]);
  const l4 = b.location(mc, 0xef0n, [[fc3, 50]]);
  const svcA = b.attr("service.name", "service-a");
  const svcB = b.attr("service.name", "service-b");
  const profile = b.profile({
    type: ["samples", "count"],
    periodType: ["cpu", "nanoseconds"],
    period: 10_000_000n,
    timeUnixNano: 239n,
    samples: [
      { stackIndex: b.stack([l0, l1]), values: [100n], attributeIndices: [svcA] },
      { stackIndex: b.stack([l2, l3]), values: [200n], attributeIndices: [svcB] },
      { stackIndex: b.stack([l4, l4]), values: [700n] },
    ],
  });
  const out = converted(b.request([{ scopes: [{ profiles: [profile] }] }]));
  assert.deepEqual(
    out.map((p) => p.labels.toRecord()),
    [
      { ...cpuBase, service_name: "service-a" },
      { ...cpuBase, service_name: "service-b" },
      { ...cpuBase, service_name: "unknown_service" },
    ],
  );
  assert.deepEqual(
    out.map((p) => p.id),
    ["id-1", "id-2", "id-3"],
    "each pprof has its own ID",
  );
  const views = out.map((p) => viewPprof(p.rawProfile));
  assert.deepEqual(
    views.map((v) => v.samples),
    [
      [
        {
          stack: ["serviceA_func1 service_a.go:10", "serviceA_func2 service_a.go:20"],
          values: [1_000_000_000n],
          labels: [],
        },
      ],
      [
        {
          stack: ["serviceB_func1 service_b.go:30", "serviceB_func2 service_b.go:40"],
          values: [2_000_000_000n],
          labels: [],
        },
      ],
      [
        {
          stack: ["serviceC_func3 service_c.go:50", "serviceC_func3 service_c.go:50"],
          values: [7_000_000_000n],
          labels: [],
        },
      ],
    ],
  );
  for (const v of views) {
    assert.deepEqual(v.sampleTypes, ["cpu/nanoseconds"]);
    assert.equal(v.periodType, "cpu/nanoseconds");
    assert.equal(v.timeNanos, 239n);
    // each pprof holds only what its samples use
    assert.equal(v.mappings.length, 1);
  }
});

test("several services in one request: resources and scopes each get their own labels", () => {
  const b = new OtlpBuilder();
  const s = cpuStacks(b);
  const p = (v: bigint) =>
    b.profile({
      type: ["samples", "count"],
      periodType: ["cpu", "nanoseconds"],
      period: 1_000_000n,
      samples: [{ stackIndex: s.a, values: [v] }],
    });
  const out = converted(
    b.request([
      { attributes: { "service.name": "api", "host.name": "h1" }, scopes: [{ profiles: [p(1n), p(2n)] }] },
      {
        attributes: { "service.name": "db", "host.name": "h2" },
        scopes: [{ attributes: { "otel.scope.name": "ebpf" }, profiles: [p(3n)] }],
      },
    ]),
  );
  assert.deepEqual(
    out.map((x) => [x.labels.toRecord(), viewPprof(x.rawProfile).samples[0]!.values]),
    [
      [{ ...cpuBase, "host.name": "h1", "service.name": "api", service_name: "api" }, [1_000_000n]],
      [{ ...cpuBase, "host.name": "h1", "service.name": "api", service_name: "api" }, [2_000_000n]],
      [
        {
          ...cpuBase,
          "host.name": "h2",
          "otel.scope.name": "ebpf",
          "service.name": "db",
          service_name: "db",
        },
        [3_000_000n],
      ],
    ],
  );
  assert.deepEqual(
    out.map((x) => x.id),
    ["id-1", "id-2", "id-3"],
  );
});

test("memory with two sample types: one pprof per profile, values kept, Pyroscope's process_cpu guess", () => {
  // v1.10.0 profiles have one sample type each: a heap profile is two profiles over the same stacks
  const b = new OtlpBuilder();
  const s = cpuStacks(b);
  const mem = (type: string, unit: string, values: readonly bigint[]) =>
    b.profile({
      type: [type, unit],
      periodType: ["space", "bytes"],
      period: 524_288n,
      timeUnixNano: 42n,
      durationNano: 60_000_000_000n,
      samples: values.map((v, i) => ({ stackIndex: [s.a, s.b][i]!, values: [v] })),
    });
  const out = converted(
    b.request([
      {
        attributes: { "service.name": "heapy" },
        scopes: [
          { profiles: [mem("alloc_objects", "count", [5n, 7n]), mem("alloc_space", "bytes", [4096n, 128n])] },
        ],
      },
    ]),
  );
  assert.equal(out.length, 2);
  const [objects, space] = out.map((p) => viewPprof(p.rawProfile));
  for (const p of out) {
    assert.deepEqual(p.labels.toRecord(), { ...cpuBase, "service.name": "heapy", service_name: "heapy" });
  }
  assert.deepEqual(objects!.sampleTypes, ["alloc_objects/count"]);
  assert.deepEqual(space!.sampleTypes, ["alloc_space/bytes"]);
  assert.equal(objects!.periodType, "space/bytes");
  assert.equal(objects!.period, 524_288n);
  assert.equal(objects!.durationNanos, 60_000_000_000n);
  assert.deepEqual(
    objects!.samples.map((x) => x.values),
    [[5n], [7n]],
  );
  assert.deepEqual(
    space!.samples.map((x) => x.values),
    [[4096n], [128n]],
  );
});

test("off-CPU: events or off_cpu in nanoseconds without a period: values summed, __name__ off_cpu", () => {
  // Pyroscope's TestConversionOffCpu: values [0xef] and [1..6] → 239 and 21
  for (const type of ["off_cpu", "events"]) {
    const b = new OtlpBuilder();
    const m = b.mapping("file1.so", 0x1000n, 0x1000n);
    const l0 = b.location(m, 0x1e0n);
    const l1 = b.location(m, 0x2f0n);
    const l2 = b.location(m, 0x3f0n);
    const profile = b.profile({
      type: [type, "nanoseconds"],
      timeUnixNano: 239n,
      samples: [
        { stackIndex: b.stack([l0, l1]), values: [0xefn] },
        { stackIndex: b.stack([l2]), values: [1n, 2n, 3n, 4n, 5n, 6n] },
      ],
    });
    const [out] = converted(
      b.request([{ attributes: { "service.name": "s" }, scopes: [{ profiles: [profile] }] }]),
    );
    assert.equal(out!.labels.get("__name__"), "off_cpu");
    const v = viewPprof(out!.rawProfile);
    assert.deepEqual(v.sampleTypes, [`${type}/nanoseconds`]);
    assert.deepEqual(
      v.samples.map((x) => [x.stack, x.values]),
      [
        [["file1.so@0x1e0", "file1.so@0x2f0"], [239n]],
        [["file1.so@0x3f0"], [21n]],
      ],
    );
    assert.equal(v.durationNanos, 10_000_000_000n);
    assert.equal(v.period, 0n);
  }
});

test("missing service name: unknown_service, with the executable name when the resource has one", () => {
  const b = new OtlpBuilder();
  const s = cpuStacks(b);
  const p = () => b.profile({ type: ["samples", "count"], samples: [{ stackIndex: s.c, values: [1n] }] });
  const out = converted(
    b.request([
      { attributes: { "process.executable.name": "bash" }, scopes: [{ profiles: [p()] }] },
      { attributes: {}, scopes: [{ profiles: [p()] }] },
      { attributes: { "service.name": "", "process.executable.name": "" }, scopes: [{ profiles: [p()] }] },
      {
        attributes: { "process.executable.name": "java", "service.name": "shop" },
        scopes: [{ profiles: [p()] }],
      },
      { attributes: { "service.name": 5 }, scopes: [{ profiles: [p()] }] },
    ]),
  );
  assert.deepEqual(
    out.map((x) => x.labels.get("service_name")),
    ["unknown_service:bash", "unknown_service", "unknown_service", "shop", "unknown_service"],
  );
  // the executable name is also a label, as every string resource attribute
  assert.equal(out[0]!.labels.get("process.executable.name"), "bash");
});

test("attributes of each type: strings, ints and one-element arrays become labels, first one wins", () => {
  const b = new OtlpBuilder();
  const s = cpuStacks(b);
  const arr = (...values: string[]) =>
    create(AnyValueSchema, {
      value: {
        case: "arrayValue",
        value: { values: values.map((v) => ({ value: { case: "stringValue" as const, value: v } })) },
      },
    });
  const other = (value: ReturnType<typeof create<typeof AnyValueSchema>>["value"]) =>
    create(AnyValueSchema, { value });
  const profile = b.profile({
    type: ["samples", "count"],
    samples: [
      {
        stackIndex: s.a,
        values: [1n],
        attributeIndices: [
          b.attr("thread.name", "worker-1"),
          b.attr("cpu.logical_number", 7),
          b.attr("k8s.container.name", arr("c1")),
          b.attr("empty", ""),
        ],
        linkIndex: b.link("00f067aa0ba902b7"),
      },
    ],
  });
  const out = converted(
    b.request([
      {
        attributes: {
          "service.name": "svc",
          "host.name": "h1",
          "process.pid": 4242,
          "k8s.pod.labels": arr("one"),
          "multi.value": arr("a", "b"),
          "is.enabled": other({ case: "boolValue", value: true }),
          ratio: other({ case: "doubleValue", value: 0.5 }),
          blob: other({ case: "bytesValue", value: new Uint8Array([1]) }),
          map: other({ case: "kvlistValue", value: create(KeyValueListSchema) }),
          "host-id": "x1",
          __name__: "overridden",
          service_name: "not-this",
          "": "no-name",
        },
        scopes: [{ attributes: { "host.name": "h2", "otel.scope.version": "1.2" }, profiles: [profile] }],
      },
    ]),
  );
  assert.deepEqual(out[0]!.labels.toRecord(), {
    ...cpuBase,
    host_id: "x1",
    "host.name": "h1",
    "k8s.pod.labels": "one",
    "otel.scope.version": "1.2",
    "process.pid": "4242",
    "service.name": "svc",
    service_name: "svc",
  });
  // sample attributes: string values only (Pyroscope's TestSampleAttributes), plus the link's span ID
  assert.deepEqual(viewPprof(out[0]!.rawProfile).samples[0]!.labels, [
    "thread.name=worker-1",
    "k8s.container.name=c1",
    "span_id=00f067aa0ba902b7",
  ]);
});

test("sample attributes: per-sample labels, service.name is not one (Pyroscope's TestSampleAttributes)", () => {
  const b = new OtlpBuilder();
  const ff = b.mapping("firefox.so", 0x1000n, 0x1000n);
  const ch = b.mapping("chrome.so", 0x1000n, 0x1000n);
  const profile = b.profile({
    type: ["samples", "ms"],
    timeUnixNano: 239n,
    samples: [
      {
        stackIndex: b.stack([b.location(ff, 0x1en), b.location(ff, 0x2en)]),
        values: [0xefn],
        attributeIndices: [
          b.attr("process", "firefox"),
          b.attr("cpu.logical_number", 0),
          b.attr("service.name", "svc"),
        ],
      },
      {
        stackIndex: b.stack([b.location(ch, 0x3en), b.location(ch, 0x4en)]),
        values: [0xefefn],
        attributeIndices: [
          b.attr("process", "chrome"),
          b.attr("cpu.logical_number", 7),
          b.attr("service.name", "svc"),
        ],
      },
    ],
  });
  const out = converted(b.request([{ scopes: [{ profiles: [profile] }] }]));
  assert.equal(out.length, 1);
  assert.deepEqual(out[0]!.labels.toRecord(), { ...cpuBase, service_name: "svc" });
  assert.deepEqual(viewPprof(out[0]!.rawProfile), {
    sampleTypes: ["samples/ms"],
    periodType: "",
    period: 0n,
    timeNanos: 239n,
    durationNanos: 10_000_000_000n,
    defaultSampleType: "samples",
    samples: [
      { stack: ["firefox.so@0x1e", "firefox.so@0x2e"], values: [239n], labels: ["process=firefox"] },
      { stack: ["chrome.so@0x3e", "chrome.so@0x4e"], values: [61423n], labels: ["process=chrome"] },
    ],
    mappings: ["firefox.so build=", "chrome.so build="],
  });
});

test("missing times: time is now, duration 10 s, as Pyroscope fills them", () => {
  const b = new OtlpBuilder();
  const s = cpuStacks(b);
  const profile = b.profile({ type: ["samples", "count"], samples: [{ stackIndex: s.a, values: [1n] }] });
  const [out] = converted(b.request([{ scopes: [{ profiles: [profile] }] }]));
  const v = viewPprof(out!.rawProfile);
  assert.equal(v.timeNanos, NOW);
  assert.equal(v.durationNanos, 10_000_000_000n);
  // without injection: the current time
  const before = BigInt(Date.now()) * 1_000_000n;
  const real = convertExport(b.request([{ scopes: [{ profiles: [profile] }] }]));
  assert.equal(real.kind, "converted");
  if (real.kind !== "converted" || "error" in real.profiles[0]!) return;
  const t = viewPprof(real.profiles[0]!.profiles[0]!.rawProfile).timeNanos;
  assert.ok(t >= before && t <= BigInt(Date.now()) * 1_000_000n);
  assert.match(
    real.profiles[0]!.profiles[0]!.id,
    /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
  );
});

test("a sample without values counts its timestamps; no values at all is an error", () => {
  const b = new OtlpBuilder();
  const s = cpuStacks(b);
  const ok = b.profile({
    type: ["samples", "count"],
    samples: [{ stackIndex: s.a, timestampsUnixNano: [1n, 2n, 3n] }],
  });
  const bad = b.profile({ type: ["samples", "count"], samples: [{ stackIndex: s.a }] });
  const result = convert(b.request([{ scopes: [{ profiles: [ok, bad] }] }]));
  assert.equal(result.kind, "converted");
  if (result.kind !== "converted") return;
  const [first, second] = result.profiles;
  assert.ok(first && "profiles" in first);
  assert.deepEqual(viewPprof(first.profiles[0]!.rawProfile).samples[0]!.values, [3n]);
  assert.ok(second && "error" in second);
  assert.equal(second.error.reason, "missing_values");
  assert.equal(second.error.message, "sample value is required");
});

test("a profile without samples gives no pprof and no error", () => {
  const b = new OtlpBuilder();
  const out = convert(b.request([{ scopes: [{ profiles: [b.profile({ samples: [] })] }] }]));
  assert.deepEqual(
    out.kind === "converted" ? out.profiles.map((p) => "profiles" in p && p.profiles.length) : out,
    [0],
  );
});

test("bad profiles fail alone, with a reason: index out of range, no sample type, values length", () => {
  const b = new OtlpBuilder();
  const s = cpuStacks(b);
  const good = b.profile({ type: ["samples", "count"], samples: [{ stackIndex: s.a, values: [1n] }] });
  const cases: [string, ReturnType<OtlpBuilder["profile"]>, string, RegExp][] = [
    [
      "stack",
      b.profile({ type: ["samples", "count"], samples: [{ stackIndex: 99, values: [1n] }] }),
      "index_out_of_range",
      /stack: index 99 out of bounds/,
    ],
    [
      "attribute",
      b.profile({
        type: ["samples", "count"],
        samples: [{ stackIndex: s.a, values: [1n], attributeIndices: [1234] }],
      }),
      "index_out_of_range",
      /attribute: index 1234/,
    ],
    [
      "string",
      b.profile({ type: ["samples", "count"], samples: [{ stackIndex: s.a, values: [1n] }] }),
      "index_out_of_range",
      /sample type string: index 777/,
    ],
    [
      "link",
      b.profile({ type: ["samples", "count"], samples: [{ stackIndex: s.a, values: [1n], linkIndex: 55 }] }),
      "index_out_of_range",
      /link: index 55/,
    ],
    [
      "no type",
      b.profile({ samples: [{ stackIndex: s.a, values: [1n] }] }),
      "missing_sample_type",
      /sample type is missing/,
    ],
    [
      "length",
      b.profile({
        type: ["wrong_type", "wrong_unit"],
        periodType: ["p", "u"],
        period: 100n,
        samples: [{ stackIndex: s.a, values: [1n, 2n] }],
      }),
      "values_length_mismatch",
      /sample values length mismatch 2 1/,
    ],
  ];
  cases[2]![1].sampleType!.typeStrindex = 777;
  const result = convert(b.request([{ scopes: [{ profiles: [good, ...cases.map((c) => c[1])] }] }]));
  assert.equal(result.kind, "converted");
  if (result.kind !== "converted") return;
  assert.ok("profiles" in result.profiles[0]!);
  cases.forEach(([what, , reason, message], i) => {
    const r = result.profiles[i + 1]!;
    assert.ok("error" in r, what);
    assert.equal(r.error.reason, reason, what);
    assert.match(r.error.message, message, what);
    assert.equal(formatPosition(r.position), `resource_profiles[0].scope_profiles[0].profiles[${i + 1}]`);
  });
});

test("a request without a dictionary or without resource profiles is invalid, as in Pyroscope", () => {
  assert.deepEqual(convert(create(ExportProfilesServiceRequestSchema, { resourceProfiles: [{}] })), {
    kind: "invalid",
    message: "missing profile metadata dictionary",
  });
  assert.deepEqual(convert(create(ExportProfilesServiceRequestSchema, { dictionary: {} })), {
    kind: "invalid",
    message: "missing resource profiles",
  });
});
