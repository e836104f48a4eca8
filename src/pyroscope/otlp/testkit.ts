/**
 * Test helpers for OTLP profiles: a builder of `ExportProfilesServiceRequest`s with a shared dictionary (index 0
 * of every table is the zero value, as OTLP senders write it), and a readable summary of a converted pprof for
 * golden assertions (decoded with `pprof-format`, independently of the writer). Used only by tests.
 */

import { gunzipSync } from "node:zlib";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Profile as PprofProfile } from "pprof-format";
import {
  type ExportProfilesServiceRequest,
  ExportProfilesServiceRequestSchema,
} from "../gen/opentelemetry/proto/collector/profiles/v1development/profiles_service_pb.ts";
import {
  type AnyValue,
  AnyValueSchema,
  type KeyValue,
  KeyValueSchema,
} from "../gen/opentelemetry/proto/common/v1/common_pb.ts";
import {
  FunctionSchema,
  KeyValueAndUnitSchema,
  LinkSchema,
  LocationSchema,
  MappingSchema,
  type Profile,
  ProfileSchema,
  type ProfilesDictionary,
  ProfilesDictionarySchema,
  type Sample,
  SampleSchema,
  StackSchema,
} from "../gen/opentelemetry/proto/profiles/v1development/profiles_pb.ts";

/** An attribute value in shorthand: a string, an int (number or bigint), or a full `AnyValue`. */
export type AttrValue = string | number | bigint | AnyValue;

/** `AnyValue` from shorthand. */
export function anyValue(v: AttrValue): AnyValue {
  if (typeof v === "string") return create(AnyValueSchema, { value: { case: "stringValue", value: v } });
  if (typeof v === "number" || typeof v === "bigint") {
    return create(AnyValueSchema, { value: { case: "intValue", value: BigInt(v) } });
  }
  return v;
}

/** Resource or scope attributes from a record. */
export function keyValues(attrs: Readonly<Record<string, AttrValue>>): KeyValue[] {
  return Object.entries(attrs).map(([key, v]) => create(KeyValueSchema, { key, value: anyValue(v) }));
}

/** A profile of a resource and scope, for `OtlpBuilder.request`. */
export interface ResourceSpec {
  readonly attributes?: Readonly<Record<string, AttrValue>>;
  readonly scopes: readonly {
    readonly attributes?: Readonly<Record<string, AttrValue>>;
    readonly profiles: readonly Profile[];
  }[];
}

/** Builds a dictionary and profiles that refer to it. */
export class OtlpBuilder {
  readonly dict: ProfilesDictionary = create(ProfilesDictionarySchema, {
    stringTable: [""],
    mappingTable: [{}],
    locationTable: [{}],
    functionTable: [{}],
    linkTable: [{}],
    attributeTable: [{}],
    stackTable: [{}],
  });
  readonly #strings = new Map<string, number>([["", 0]]);

  /** The string's index in the string table (added once). */
  str(s: string): number {
    const known = this.#strings.get(s);
    if (known !== undefined) return known;
    const i = this.dict.stringTable.push(s) - 1;
    this.#strings.set(s, i);
    return i;
  }

  mapping(filename: string, memoryStart = 0x1000n, memoryLimit = 0x2000n, buildId?: string): number {
    const attributeIndices =
      buildId === undefined ? [] : [this.attr("process.executable.build_id.gnu", buildId)];
    return (
      this.dict.mappingTable.push(
        create(MappingSchema, {
          memoryStart,
          memoryLimit,
          filenameStrindex: this.str(filename),
          attributeIndices,
        }),
      ) - 1
    );
  }

  function(name: string, filename = "", startLine = 0n): number {
    return (
      this.dict.functionTable.push(
        create(FunctionSchema, {
          nameStrindex: this.str(name),
          systemNameStrindex: this.str(name),
          filenameStrindex: this.str(filename),
          startLine,
        }),
      ) - 1
    );
  }

  /** A location in `mapping` at `address`, with `(function index, line)` pairs, innermost first. */
  location(mapping: number, address: bigint, lines: readonly (readonly [number, number])[] = []): number {
    return (
      this.dict.locationTable.push(
        create(LocationSchema, {
          mappingIndex: mapping,
          address,
          lines: lines.map(([functionIndex, line]) => ({ functionIndex, line: BigInt(line) })),
        }),
      ) - 1
    );
  }

  /** A stack of location indices, leaf first. */
  stack(locations: readonly number[]): number {
    return this.dict.stackTable.push(create(StackSchema, { locationIndices: [...locations] })) - 1;
  }

  /** An attribute-table entry. */
  attr(key: string, value: AttrValue): number {
    return (
      this.dict.attributeTable.push(
        create(KeyValueAndUnitSchema, {
          keyStrindex: this.str(key),
          value: anyValue(value),
        }),
      ) - 1
    );
  }

  /** A link-table entry with a span ID given in hex. */
  link(spanIdHex: string, traceIdHex = "0102030405060708090a0b0c0d0e0f10"): number {
    return (
      this.dict.linkTable.push(
        create(LinkSchema, {
          spanId: Buffer.from(spanIdHex, "hex"),
          traceId: Buffer.from(traceIdHex, "hex"),
        }),
      ) - 1
    );
  }

  /** A profile with sample type `type/unit`, an optional period type and period, and the samples. */
  profile(options: {
    type?: readonly [string, string];
    periodType?: readonly [string, string];
    period?: bigint;
    timeUnixNano?: bigint;
    durationNano?: bigint;
    samples: readonly MessageInitShape<typeof SampleSchema>[];
  }): Profile {
    return create(ProfileSchema, {
      ...(options.type === undefined
        ? {}
        : {
            sampleType: { typeStrindex: this.str(options.type[0]), unitStrindex: this.str(options.type[1]) },
          }),
      ...(options.periodType === undefined
        ? {}
        : {
            periodType: {
              typeStrindex: this.str(options.periodType[0]),
              unitStrindex: this.str(options.periodType[1]),
            },
          }),
      period: options.period ?? 0n,
      timeUnixNano: options.timeUnixNano ?? 0n,
      durationNano: options.durationNano ?? 0n,
      samples: options.samples.map((s): Sample => create(SampleSchema, s)),
    });
  }

  /** The request: these resources, each with its scopes and profiles, and the dictionary. */
  request(resources: readonly ResourceSpec[]): ExportProfilesServiceRequest {
    return create(ExportProfilesServiceRequestSchema, {
      dictionary: this.dict,
      resourceProfiles: resources.map((r) => ({
        resource: { attributes: keyValues(r.attributes ?? {}) },
        scopeProfiles: r.scopes.map((s) => ({
          scope: { name: "test", attributes: keyValues(s.attributes ?? {}) },
          profiles: [...s.profiles],
        })),
      })),
    });
  }
}

/** A pprof profile in readable form, for golden comparisons. */
export interface PprofView {
  readonly sampleTypes: readonly string[];
  readonly periodType: string;
  readonly period: bigint;
  readonly timeNanos: bigint;
  readonly durationNanos: bigint;
  readonly defaultSampleType: string;
  /** Per sample: stack (leaf first) as `file@0xaddr` or `function file:line`, values, and `key=value` labels. */
  readonly samples: readonly {
    readonly stack: readonly string[];
    readonly values: readonly bigint[];
    readonly labels: readonly string[];
  }[];
  /** `file build=<id>` per mapping. */
  readonly mappings: readonly string[];
}

/** Decodes a converted pprof (gzipped) into a `PprofView`, checking the IDs it refers to exist. */
export function viewPprof(raw: Uint8Array): PprofView {
  const p = PprofProfile.decode(gunzipSync(raw));
  const str = (i: number | bigint): string => {
    const s = p.stringTable.strings[Number(i)];
    if (s === undefined) throw new Error(`string index ${i} out of range`);
    return s;
  };
  const byId = <T extends { id: number | bigint }>(
    list: readonly T[],
    id: number | bigint,
    what: string,
  ): T => {
    const found = list.find((x) => BigInt(x.id) === BigInt(id));
    if (found === undefined) throw new Error(`${what} ${id} not found`);
    return found;
  };
  const pt = p.periodType;
  return {
    sampleTypes: p.sampleType.map((t) => `${str(t.type)}/${str(t.unit)}`),
    periodType: pt === undefined ? "" : `${str(pt.type)}/${str(pt.unit)}`,
    period: BigInt(p.period),
    timeNanos: BigInt(p.timeNanos),
    durationNanos: BigInt(p.durationNanos),
    defaultSampleType: str(p.defaultSampleType),
    samples: p.sample.map((s) => ({
      stack: s.locationId.map((id) => {
        const loc = byId(p.location, id, "location");
        const mapping = byId(p.mapping, loc.mappingId, "mapping");
        if (loc.line.length === 0) return `${str(mapping.filename)}@0x${BigInt(loc.address).toString(16)}`;
        return loc.line
          .map((l) => {
            const fn = byId(p.function, l.functionId, "function");
            return `${str(fn.name)} ${str(fn.filename)}:${l.line}`;
          })
          .join(" | ");
      }),
      values: s.value.map((v) => BigInt(v)),
      labels: s.label.map((l) => `${str(l.key)}=${str(l.str)}`),
    })),
    mappings: p.mapping.map((m) => `${str(m.filename)} build=${str(m.buildId)}`),
  };
}
