/**
 * Builds one pprof profile from the samples of one OTLP profile that share a service name, following Grafana
 * Pyroscope's converter (`pkg/ingester/otlp/convert.go`: `newProfileBuilder`, `convertSampleBack` and friends):
 * the same sample type, `__name__`, value scaling, sample labels, mappings, locations and functions, and the same
 * defaults for a missing time (now) and duration (10 s).
 */
import { create, toBinary } from "@bufbuild/protobuf";
import {
  type Function as PprofFunction,
  FunctionSchema as PprofFunctionSchema,
  type Label as PprofLabel,
  LabelSchema as PprofLabelSchema,
  type Location as PprofLocation,
  LocationSchema as PprofLocationSchema,
  type Mapping as PprofMapping,
  MappingSchema as PprofMappingSchema,
  type Profile as PprofProfile,
  ProfileSchema as PprofProfileSchema,
  SampleSchema as PprofSampleSchema,
  type ValueType as PprofValueType,
  ValueTypeSchema as PprofValueTypeSchema,
} from "../gen/google/v1/profile_pb.ts";
import type { AnyValue } from "../gen/opentelemetry/proto/common/v1/common_pb.ts";
import type {
  Profile,
  ProfilesDictionary,
  Sample,
  ValueType,
} from "../gen/opentelemetry/proto/profiles/v1development/profiles_pb.ts";
import { SERVICE_NAME_ATTRIBUTE, stringValue } from "./attributes.ts";

/** Why an OTLP profile could not be converted; the `reason` label of the conversion-failure metric. */
export type ConversionFailureReason =
  | "missing_sample_type"
  | "index_out_of_range"
  | "missing_values"
  | "values_length_mismatch";

/** A profile that cannot be converted, with the reason and Pyroscope's wording where it has one. */
export class ConversionError extends Error {
  readonly reason: ConversionFailureReason;

  constructor(reason: ConversionFailureReason, message: string) {
    super(message);
    this.name = "ConversionError";
    this.reason = reason;
  }
}

/** `__name__` of CPU profiles (Pyroscope's converter names every other profile type this way too). */
export const PROCESS_CPU = "process_cpu";
/** `__name__` of off-CPU profiles (Pyroscope's `model.ProfileNameOffCpu`). */
export const OFF_CPU = "off_cpu";
/** The duration Pyroscope gives a profile that has none: 10 s. */
export const DEFAULT_DURATION_NANOS = 10_000_000_000n;
/** The pprof sample label holding the hex span ID of a sample's link (Pyroscope's `pprof.SpanIDLabelName`). */
export const SPAN_ID_LABEL = "span_id";
/** The mapping attribute whose value becomes the pprof mapping's build ID. */
const BUILD_ID_ATTRIBUTE = "process.executable.build_id.gnu";

/** The element at `index`, or a `ConversionError` naming what was looked up. */
export function at<T>(table: readonly T[], index: number, what: string): T {
  const item = index >= 0 ? table[index] : undefined;
  if (item === undefined) {
    throw new ConversionError("index_out_of_range", `${what}: index ${index} out of bounds`);
  }
  return item;
}

/**
 * The value of the first attribute with key `key` among `indices` ("" when none, or not a string). Throws when
 * an index or the key's string index is out of range.
 */
export function attributeString(dict: ProfilesDictionary, indices: readonly number[], key: string): string {
  for (const i of indices) {
    const attr = at(dict.attributeTable, i, "attribute");
    if (at(dict.stringTable, attr.keyStrindex, "attribute key string") === key) {
      return stringValue(attr.value);
    }
  }
  return "";
}

/** How sample values are rewritten for the pprof (Pyroscope's `sampleConversionType`). */
type ValueRule = "none" | "samples_to_nanos" | "sum_events";

/** One pprof under construction. Add samples with `addSample`, then `encode`. */
export class PprofBuilder {
  /** `__name__` for the series: `process_cpu`, `off_cpu`, or Pyroscope's guess `process_cpu`. */
  readonly name: string;
  readonly #dict: ProfilesDictionary;
  readonly #period: bigint;
  readonly #rule: ValueRule;
  readonly #checkLength: boolean;
  readonly #profile: PprofProfile;
  readonly #strings = new Map<string, bigint>();
  readonly #functions = new Map<number, bigint>();
  readonly #locations = new Map<number, bigint>();
  readonly #mappings = new Map<number, bigint>();

  /** Throws `ConversionError` when the profile's sample or period type cannot be read. */
  constructor(src: Profile, dict: ProfilesDictionary, nowNanos: bigint) {
    this.#dict = dict;
    this.#period = src.period;
    this.#profile = create(PprofProfileSchema, {
      timeNanos: BigInt.asIntN(64, src.timeUnixNano),
      durationNanos: BigInt.asIntN(64, src.durationNano),
      period: src.period,
    });
    this.#str("");
    if (src.sampleType === undefined) {
      throw new ConversionError("missing_sample_type", "sample type is missing");
    }
    const sampleType = this.#valueType(src.sampleType, "sample type");
    this.#profile.sampleType = [sampleType];
    if (src.periodType !== undefined)
      this.#profile.periodType = this.#valueType(src.periodType, "period type");
    const typeName = at(dict.stringTable, src.sampleType.typeStrindex, "sample type string");
    this.#profile.defaultSampleType = this.#str(typeName);

    // Pyroscope's profile type string: sample type and unit, then the period's when there is a period
    const withPeriod = this.#profile.periodType !== undefined && this.#profile.period !== 0n;
    const kind = [
      this.#text(sampleType.type),
      this.#text(sampleType.unit),
      withPeriod ? this.#text(this.#profile.periodType!.type) : "",
      withPeriod ? this.#text(this.#profile.periodType!.unit) : "",
    ].join(":");
    if (kind === "samples:count:cpu:nanoseconds") {
      // eBPF CPU samples: counts of one period each, as CPU time
      this.#profile.sampleType = [
        create(PprofValueTypeSchema, { type: this.#str("cpu"), unit: this.#str("nanoseconds") }),
      ];
      this.#rule = "samples_to_nanos";
      this.name = PROCESS_CPU;
    } else if (kind === "events:nanoseconds::" || kind === "off_cpu:nanoseconds::") {
      // off-CPU: a sample's values are the lengths of its off-CPU events; pprof holds one value, their sum
      this.#rule = "sum_events";
      this.name = OFF_CPU;
    } else {
      this.#rule = "none";
      this.name = PROCESS_CPU; // Pyroscope's guess for every other type
    }
    this.#checkLength = withPeriod;
    if (this.#profile.timeNanos === 0n) this.#profile.timeNanos = nowNanos;
    if (this.#profile.durationNanos === 0n) this.#profile.durationNanos = DEFAULT_DURATION_NANOS;
  }

  /** Adds one OTLP sample. Throws `ConversionError` on a bad index, no values, or a wrong number of values. */
  addSample(src: Sample): void {
    let values = [...src.values];
    // a sample without values counts its timestamps, one each (OTLP's rule)
    if (values.length === 0 && src.timestampsUnixNano.length > 0) {
      values = [BigInt(src.timestampsUnixNano.length)];
    }
    if (values.length === 0) throw new ConversionError("missing_values", "sample value is required");
    if (this.#rule === "samples_to_nanos") {
      values[0] = BigInt.asIntN(64, values[0]! * this.#period);
    } else if (this.#rule === "sum_events") {
      values = [
        BigInt.asIntN(
          64,
          values.reduce((a, b) => a + b, 0n),
        ),
      ];
    }
    if (this.#checkLength && values.length !== this.#profile.sampleType.length) {
      throw new ConversionError(
        "values_length_mismatch",
        `sample values length mismatch ${values.length} ${this.#profile.sampleType.length}`,
      );
    }
    const label = this.#sampleLabels(src);
    const stack = at(this.#dict.stackTable, src.stackIndex, "stack");
    const locationId = stack.locationIndices.map((i) => this.#location(i));
    this.#profile.sample.push(create(PprofSampleSchema, { value: values, label, locationId }));
  }

  /** The number of samples added so far. */
  get samples(): number {
    return this.#profile.sample.length;
  }

  /** The pprof, protobuf-encoded (not compressed). */
  encode(): Uint8Array {
    return toBinary(PprofProfileSchema, this.#profile);
  }

  #sampleLabels(src: Sample): PprofLabel[] {
    const out: PprofLabel[] = [];
    const { attributeTable, stringTable, linkTable } = this.#dict;
    for (const i of src.attributeIndices) {
      const attr = at(attributeTable, i, "sample attribute");
      const key = stringTable[attr.keyStrindex];
      // service.name splits profiles; it is a series label, not a sample label
      if (key === SERVICE_NAME_ATTRIBUTE) continue;
      const value = sampleLabelValue(attr.value);
      if (value === "") continue;
      const name = at(stringTable, attr.keyStrindex, "sample attribute key string");
      out.push(create(PprofLabelSchema, { key: this.#str(name), str: this.#str(value) }));
    }
    if (src.linkIndex !== 0) {
      const link = at(linkTable, src.linkIndex, "link");
      out.push(
        create(PprofLabelSchema, {
          key: this.#str(SPAN_ID_LABEL),
          str: this.#str(Buffer.from(link.spanId).toString("hex")),
        }),
      );
    }
    return out;
  }

  #location(index: number): bigint {
    const known = this.#locations.get(index);
    if (known !== undefined) return known;
    const src = at(this.#dict.locationTable, index, "location");
    const mappingId = this.#mapping(src.mappingIndex);
    const line = src.lines.map((l) => ({
      functionId: this.#function(l.functionIndex),
      line: l.line,
    }));
    const id = BigInt(this.#profile.location.length + 1);
    const location: PprofLocation = create(PprofLocationSchema, {
      id,
      mappingId,
      address: src.address,
      line,
    });
    this.#profile.location.push(location);
    this.#locations.set(index, id);
    return id;
  }

  #mapping(index: number): bigint {
    const known = this.#mappings.get(index);
    if (known !== undefined) return known;
    const src = at(this.#dict.mappingTable, index, "mapping");
    let buildId = "";
    try {
      buildId = attributeString(this.#dict, src.attributeIndices, BUILD_ID_ATTRIBUTE);
    } catch {
      // Pyroscope ignores an unreadable build ID
    }
    const filename = at(this.#dict.stringTable, src.filenameStrindex, "mapping file name string");
    const id = BigInt(this.#profile.mapping.length + 1);
    const mapping: PprofMapping = create(PprofMappingSchema, {
      id,
      memoryStart: src.memoryStart,
      memoryLimit: src.memoryLimit,
      fileOffset: src.fileOffset,
      filename: this.#str(filename),
      buildId: this.#str(buildId),
      hasFunctions: true,
      hasFilenames: true,
      hasLineNumbers: true,
      hasInlineFrames: true,
    });
    this.#profile.mapping.push(mapping);
    this.#mappings.set(index, id);
    return id;
  }

  #function(index: number): bigint {
    const known = this.#functions.get(index);
    if (known !== undefined) return known;
    const src = at(this.#dict.functionTable, index, "function");
    const strings = this.#dict.stringTable;
    const name = at(strings, src.nameStrindex, "function name string");
    const systemName = at(strings, src.systemNameStrindex, "function system name string");
    const filename = at(strings, src.filenameStrindex, "function file name string");
    const id = BigInt(this.#profile.function.length + 1);
    const fn: PprofFunction = create(PprofFunctionSchema, {
      id,
      name: this.#str(name),
      systemName: this.#str(systemName),
      filename: this.#str(filename),
      startLine: src.startLine,
    });
    this.#profile.function.push(fn);
    this.#functions.set(index, id);
    return id;
  }

  #valueType(src: ValueType, what: string): PprofValueType {
    const type = at(this.#dict.stringTable, src.typeStrindex, `${what} string`);
    const unit = at(this.#dict.stringTable, src.unitStrindex, `${what} unit string`);
    return create(PprofValueTypeSchema, { type: this.#str(type), unit: this.#str(unit) });
  }

  #str(s: string): bigint {
    const known = this.#strings.get(s);
    if (known !== undefined) return known;
    const index = BigInt(this.#profile.stringTable.length);
    this.#profile.stringTable.push(s);
    this.#strings.set(s, index);
    return index;
  }

  #text(index: bigint): string {
    return this.#profile.stringTable[Number(index)] ?? "";
  }
}

/**
 * The pprof label value of a sample attribute: a string, or the string in a one-element array (Pyroscope keeps
 * only string-valued sample attributes).
 */
function sampleLabelValue(value: AnyValue | undefined): string {
  if (value?.value.case === "arrayValue" && value.value.value.values.length === 1) {
    return stringValue(value.value.value.values[0]);
  }
  return stringValue(value);
}
