/**
 * Builds one pprof profile from the samples of one OTLP profile that share a service name, following Grafana
 * Pyroscope's converter (`pkg/ingester/otlp/convert.go`: `newProfileBuilder`, `convertSampleBack` and friends):
 * the same sample type, `__name__`, value scaling, sample labels, mappings, locations and functions, and the same
 * defaults for a missing time (now) and duration (10 s).
 *
 * The pprof is written directly with `@bufbuild/protobuf`'s wire writer (pprof's `profile.proto` field numbers),
 * as `capture/pprof-wire.ts` reads and writes pprof: building protobuf-es messages first made a typical eBPF export
 * (50 processes × 200 samples × 20 frames) about three times slower to convert.
 */
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
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

/** A pprof `ValueType`: string-table indices. */
interface PprofValueType {
  readonly type: number;
  readonly unit: number;
}

interface PprofSample {
  readonly locationIds: readonly number[];
  readonly values: readonly bigint[];
  /** `[key, value]` string-table indices. */
  readonly labels: readonly (readonly [number, number])[];
}

interface PprofMapping {
  readonly memoryStart: bigint;
  readonly memoryLimit: bigint;
  readonly fileOffset: bigint;
  readonly filename: number;
  readonly buildId: number;
}

interface PprofLocation {
  readonly mappingId: number;
  readonly address: bigint;
  /** `[function ID, line]`. */
  readonly lines: readonly (readonly [number, bigint])[];
}

interface PprofFunction {
  readonly name: number;
  readonly systemName: number;
  readonly filename: number;
  readonly startLine: bigint;
}

/**
 * One pprof under construction. Add samples with `addSample`, then `encode`. The pprof is written at the wire
 * level (`google.v1.Profile`, i.e. pprof's `profile.proto` field numbers): IDs are 1-based table positions.
 */
export class PprofBuilder {
  /** `__name__` for the series: `process_cpu`, `off_cpu`, or Pyroscope's guess `process_cpu`. */
  readonly name: string;
  readonly #dict: ProfilesDictionary;
  readonly #period: bigint;
  readonly #rule: ValueRule;
  readonly #checkLength: boolean;
  readonly #timeNanos: bigint;
  readonly #durationNanos: bigint;
  readonly #sampleType: PprofValueType;
  readonly #periodType: PprofValueType | undefined;
  readonly #defaultSampleType: number;
  readonly #strings: string[] = [];
  readonly #stringIndex = new Map<string, number>();
  readonly #samples: PprofSample[] = [];
  readonly #mappings: PprofMapping[] = [];
  readonly #locations: PprofLocation[] = [];
  readonly #functions: PprofFunction[] = [];
  /** Dictionary index → pprof ID, per table. */
  readonly #mappingIds = new Map<number, number>();
  readonly #locationIds = new Map<number, number>();
  readonly #functionIds = new Map<number, number>();

  /** Throws `ConversionError` when the profile's sample or period type cannot be read. */
  constructor(src: Profile, dict: ProfilesDictionary, nowNanos: bigint) {
    this.#dict = dict;
    this.#period = src.period;
    this.#str("");
    if (src.sampleType === undefined) {
      throw new ConversionError("missing_sample_type", "sample type is missing");
    }
    let sampleType = this.#valueType(src.sampleType, "sample type");
    this.#periodType =
      src.periodType === undefined ? undefined : this.#valueType(src.periodType, "period type");
    this.#defaultSampleType = this.#str(
      at(dict.stringTable, src.sampleType.typeStrindex, "sample type string"),
    );

    // Pyroscope's profile type string: sample type and unit, then the period's when there is a period
    const period = this.#periodType !== undefined && src.period !== 0n ? this.#periodType : undefined;
    const kind = [
      this.#strings[sampleType.type],
      this.#strings[sampleType.unit],
      period === undefined ? "" : this.#strings[period.type],
      period === undefined ? "" : this.#strings[period.unit],
    ].join(":");
    if (kind === "samples:count:cpu:nanoseconds") {
      // eBPF CPU samples: counts of one period each, as CPU time
      sampleType = { type: this.#str("cpu"), unit: this.#str("nanoseconds") };
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
    this.#sampleType = sampleType;
    this.#checkLength = period !== undefined;
    const time = BigInt.asIntN(64, src.timeUnixNano);
    const duration = BigInt.asIntN(64, src.durationNano);
    this.#timeNanos = time === 0n ? nowNanos : time;
    this.#durationNanos = duration === 0n ? DEFAULT_DURATION_NANOS : duration;
  }

  /** Adds one OTLP sample. Throws `ConversionError` on a bad index, no values, or a wrong number of values. */
  addSample(src: Sample): void {
    let values: bigint[] = src.values;
    // a sample without values counts its timestamps, one each (OTLP's rule)
    if (values.length === 0 && src.timestampsUnixNano.length > 0) {
      values = [BigInt(src.timestampsUnixNano.length)];
    }
    if (values.length === 0) throw new ConversionError("missing_values", "sample value is required");
    if (this.#rule === "samples_to_nanos") {
      values = [BigInt.asIntN(64, values[0]! * this.#period), ...values.slice(1)];
    } else if (this.#rule === "sum_events") {
      values = [
        BigInt.asIntN(
          64,
          values.reduce((a, b) => a + b, 0n),
        ),
      ];
    }
    if (this.#checkLength && values.length !== 1) {
      throw new ConversionError("values_length_mismatch", `sample values length mismatch ${values.length} 1`);
    }
    const labels = this.#sampleLabels(src);
    const stack = at(this.#dict.stackTable, src.stackIndex, "stack");
    const locationIds = stack.locationIndices.map((i) => this.#location(i));
    this.#samples.push({ locationIds, values, labels });
  }

  /** The pprof, protobuf-encoded (not compressed). */
  encode(): Uint8Array {
    const w = new BinaryWriter();
    writeValueType(w, 1, this.#sampleType);
    for (const s of this.#samples) {
      w.tag(2, WireType.LengthDelimited).fork();
      if (s.locationIds.length > 0) {
        w.tag(1, WireType.LengthDelimited).fork();
        for (const id of s.locationIds) w.uint32(id);
        w.join();
      }
      w.tag(2, WireType.LengthDelimited).fork();
      for (const v of s.values) w.int64(v);
      w.join();
      for (const [key, str] of s.labels) {
        w.tag(3, WireType.LengthDelimited).fork();
        writeIndex(w, 1, key);
        writeIndex(w, 2, str);
        w.join();
      }
      w.join();
    }
    this.#mappings.forEach((m, i) => {
      w.tag(3, WireType.LengthDelimited).fork();
      writeIndex(w, 1, i + 1);
      writeVarint64(w, 2, m.memoryStart);
      writeVarint64(w, 3, m.memoryLimit);
      writeVarint64(w, 4, m.fileOffset);
      writeIndex(w, 5, m.filename);
      writeIndex(w, 6, m.buildId);
      // has_functions, has_filenames, has_line_numbers, has_inline_frames: set, as Pyroscope does
      for (const field of [7, 8, 9, 10]) w.tag(field, WireType.Varint).bool(true);
      w.join();
    });
    this.#locations.forEach((l, i) => {
      w.tag(4, WireType.LengthDelimited).fork();
      writeIndex(w, 1, i + 1);
      writeIndex(w, 2, l.mappingId);
      writeVarint64(w, 3, l.address);
      for (const [functionId, line] of l.lines) {
        w.tag(4, WireType.LengthDelimited).fork();
        writeIndex(w, 1, functionId);
        writeVarint64(w, 2, line);
        w.join();
      }
      w.join();
    });
    this.#functions.forEach((f, i) => {
      w.tag(5, WireType.LengthDelimited).fork();
      writeIndex(w, 1, i + 1);
      writeIndex(w, 2, f.name);
      writeIndex(w, 3, f.systemName);
      writeIndex(w, 4, f.filename);
      writeVarint64(w, 5, f.startLine);
      w.join();
    });
    for (const s of this.#strings) w.tag(6, WireType.LengthDelimited).string(s);
    writeVarint64(w, 9, this.#timeNanos);
    writeVarint64(w, 10, this.#durationNanos);
    if (this.#periodType !== undefined) writeValueType(w, 11, this.#periodType);
    writeVarint64(w, 12, this.#period);
    writeIndex(w, 14, this.#defaultSampleType);
    return w.finish();
  }

  #sampleLabels(src: Sample): [number, number][] {
    const out: [number, number][] = [];
    const { attributeTable, stringTable, linkTable } = this.#dict;
    for (const i of src.attributeIndices) {
      const attr = at(attributeTable, i, "sample attribute");
      const key = stringTable[attr.keyStrindex];
      // service.name splits profiles; it is a series label, not a sample label
      if (key === SERVICE_NAME_ATTRIBUTE) continue;
      const value = sampleLabelValue(attr.value);
      if (value === "") continue;
      const name = at(stringTable, attr.keyStrindex, "sample attribute key string");
      out.push([this.#str(name), this.#str(value)]);
    }
    if (src.linkIndex !== 0) {
      const link = at(linkTable, src.linkIndex, "link");
      out.push([this.#str(SPAN_ID_LABEL), this.#str(Buffer.from(link.spanId).toString("hex"))]);
    }
    return out;
  }

  #location(index: number): number {
    const known = this.#locationIds.get(index);
    if (known !== undefined) return known;
    const src = at(this.#dict.locationTable, index, "location");
    const mappingId = this.#mapping(src.mappingIndex);
    const lines = src.lines.map((l): [number, bigint] => [this.#function(l.functionIndex), l.line]);
    this.#locations.push({ mappingId, address: src.address, lines });
    const id = this.#locations.length;
    this.#locationIds.set(index, id);
    return id;
  }

  #mapping(index: number): number {
    const known = this.#mappingIds.get(index);
    if (known !== undefined) return known;
    const src = at(this.#dict.mappingTable, index, "mapping");
    let buildId = "";
    try {
      buildId = attributeString(this.#dict, src.attributeIndices, BUILD_ID_ATTRIBUTE);
    } catch {
      // Pyroscope ignores an unreadable build ID
    }
    const filename = at(this.#dict.stringTable, src.filenameStrindex, "mapping file name string");
    this.#mappings.push({
      memoryStart: src.memoryStart,
      memoryLimit: src.memoryLimit,
      fileOffset: src.fileOffset,
      filename: this.#str(filename),
      buildId: this.#str(buildId),
    });
    const id = this.#mappings.length;
    this.#mappingIds.set(index, id);
    return id;
  }

  #function(index: number): number {
    const known = this.#functionIds.get(index);
    if (known !== undefined) return known;
    const src = at(this.#dict.functionTable, index, "function");
    const strings = this.#dict.stringTable;
    const name = at(strings, src.nameStrindex, "function name string");
    const systemName = at(strings, src.systemNameStrindex, "function system name string");
    const filename = at(strings, src.filenameStrindex, "function file name string");
    this.#functions.push({
      name: this.#str(name),
      systemName: this.#str(systemName),
      filename: this.#str(filename),
      startLine: src.startLine,
    });
    const id = this.#functions.length;
    this.#functionIds.set(index, id);
    return id;
  }

  #valueType(src: ValueType, what: string): PprofValueType {
    const type = at(this.#dict.stringTable, src.typeStrindex, `${what} string`);
    const unit = at(this.#dict.stringTable, src.unitStrindex, `${what} unit string`);
    return { type: this.#str(type), unit: this.#str(unit) };
  }

  #str(s: string): number {
    const known = this.#stringIndex.get(s);
    if (known !== undefined) return known;
    const index = this.#strings.push(s) - 1;
    this.#stringIndex.set(s, index);
    return index;
  }
}

/** A `ValueType` message in field `field`. */
function writeValueType(w: BinaryWriter, field: number, vt: PprofValueType): void {
  w.tag(field, WireType.LengthDelimited).fork();
  writeIndex(w, 1, vt.type);
  writeIndex(w, 2, vt.unit);
  w.join();
}

/** A non-negative table index or ID as a varint field, omitted when 0 (proto3 default). */
function writeIndex(w: BinaryWriter, field: number, value: number): void {
  if (value !== 0) w.tag(field, WireType.Varint).uint32(value);
}

/** A 64-bit varint field (int64 or uint64: the same encoding for the bits given), omitted when 0. */
function writeVarint64(w: BinaryWriter, field: number, value: bigint): void {
  if (value !== 0n) w.tag(field, WireType.Varint).uint64(BigInt.asUintN(64, value));
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
