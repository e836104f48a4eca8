/**
 * Converts an OTLP `ExportProfilesServiceRequest` (profiles v1.10.0) into push-ready pprof profiles, following
 * Grafana Pyroscope's OTLP ingest (`pkg/ingester/otlp`), so a profile relayed as a push lands in any Pyroscope as
 * it would have through Pyroscope's own OTLP endpoint:
 *
 * - one pprof per OTLP profile and per sample-level `service.name` (samples without one use the resource's
 *   `service.name`, else `unknown_service[:<process.executable.name>]`), each with the profile's one sample type;
 * - series labels `__delta__="false"`, `__otel__="true"`, `__name__` (`process_cpu` for CPU, `off_cpu` for
 *   off-CPU, `process_cpu` otherwise, as Pyroscope guesses), then the resource's and the scope's attributes
 *   (string, int and one-element-array values; the first of a name wins; names made valid), then `service_name`;
 * - a fresh profile ID (a UUID) per pprof; the pprof is gzipped, as the SDKs send it.
 *
 * Pure: no I/O; time and IDs can be injected for tests.
 */
import { randomUUID } from "node:crypto";
import { gzipSync } from "node:zlib";
import type { ExportProfilesServiceRequest } from "../gen/opentelemetry/proto/collector/profiles/v1development/profiles_service_pb.ts";
import type {
  Profile,
  ProfilesDictionary,
} from "../gen/opentelemetry/proto/profiles/v1development/profiles_pb.ts";
import { DELTA_LABEL, SERVICE_NAME_LABEL } from "../label-rules.ts";
import { Labels } from "../labels.ts";
import { NAME_LABEL } from "../name-grammar.ts";
import { appendAttributeLabels, resourceServiceName, SERVICE_NAME_ATTRIBUTE } from "./attributes.ts";
import {
  attributeString,
  ConversionError,
  type ConversionFailureReason,
  PprofBuilder,
} from "./pprof-builder.ts";

export { ConversionError, type ConversionFailureReason };

/** Pyroscope's marker of profiles that arrived over OTLP. `pyroscope.write` drops it (a reserved name). */
export const OTEL_LABEL = "__otel__";

/** One pprof ready to be pushed: its series labels, a fresh ID, and the gzipped pprof bytes. */
export interface ConvertedProfile {
  readonly labels: Labels;
  readonly id: string;
  readonly rawProfile: Uint8Array;
}

/** Where a profile sits in the request, for messages: `resource_profiles[0].scope_profiles[1].profiles[2]`. */
export interface ProfilePosition {
  readonly resource: number;
  readonly scope: number;
  readonly profile: number;
}

/**
 * The result for one OTLP profile: the pprofs made from it (none when it has no samples), or why it could not
 * be converted.
 */
export type ProfileConversion =
  | { readonly position: ProfilePosition; readonly profiles: readonly ConvertedProfile[] }
  | { readonly position: ProfilePosition; readonly error: ConversionError };

/** A request as a whole: invalid (Pyroscope answers 400 with `message`), or one result per OTLP profile. */
export type ExportConversion =
  | { readonly kind: "invalid"; readonly message: string }
  | { readonly kind: "converted"; readonly profiles: readonly ProfileConversion[] };

/** What the conversion may take from outside; tests fix them. */
export interface ConvertOptions {
  /** Unix time in nanoseconds for profiles without a time. Default: now. */
  readonly nowNanos?: bigint;
  /** A new profile ID. Default: a random UUID. */
  readonly newId?: () => string;
}

/** `resource_profiles[i].scope_profiles[j].profiles[k]`. */
export function formatPosition(p: ProfilePosition): string {
  return `resource_profiles[${p.resource}].scope_profiles[${p.scope}].profiles[${p.profile}]`;
}

/**
 * Converts a whole request. A request without a dictionary, or without resource profiles, is invalid (as in
 * Pyroscope); otherwise each profile converts or fails on its own.
 */
export function convertExport(
  request: ExportProfilesServiceRequest,
  options: ConvertOptions = {},
): ExportConversion {
  const dict = request.dictionary;
  if (dict === undefined) return { kind: "invalid", message: "missing profile metadata dictionary" };
  if (request.resourceProfiles.length === 0) return { kind: "invalid", message: "missing resource profiles" };
  const nowNanos = options.nowNanos ?? BigInt(Date.now()) * 1_000_000n;
  const newId = options.newId ?? randomUUID;
  const out: ProfileConversion[] = [];
  request.resourceProfiles.forEach((rp, resource) => {
    const resourceAttributes = rp.resource?.attributes ?? [];
    const fallbackService = resourceServiceName(resourceAttributes);
    rp.scopeProfiles.forEach((sp, scope) => {
      const scopeAttributes = sp.scope?.attributes ?? [];
      sp.profiles.forEach((src, profile) => {
        const position = { resource, scope, profile };
        try {
          const builders = convertProfile(src, dict, nowNanos);
          const profiles = [...builders].map(([service, builder]): ConvertedProfile => {
            const labels = new Map<string, string>([
              [DELTA_LABEL, "false"],
              [OTEL_LABEL, "true"],
              [NAME_LABEL, builder.name],
            ]);
            const seen = new Set([DELTA_LABEL, OTEL_LABEL, NAME_LABEL, SERVICE_NAME_LABEL]);
            appendAttributeLabels(labels, resourceAttributes, seen);
            appendAttributeLabels(labels, scopeAttributes, seen);
            labels.set(SERVICE_NAME_LABEL, service === "" ? fallbackService : service);
            return {
              labels: Labels.from([...labels].map(([name, value]) => ({ name, value }))),
              id: newId(),
              rawProfile: gzipSync(builder.encode()),
            };
          });
          out.push({ position, profiles });
        } catch (err) {
          if (!(err instanceof ConversionError)) throw err;
          out.push({ position, error: err });
        }
      });
    });
  });
  return { kind: "converted", profiles: out };
}

/**
 * One OTLP profile as one pprof builder per sample-level service name ("" = the resource's), in the order the
 * services first appear (Pyroscope's `ConvertOtelToGoogle`). Throws `ConversionError`.
 */
function convertProfile(src: Profile, dict: ProfilesDictionary, nowNanos: bigint): Map<string, PprofBuilder> {
  const builders = new Map<string, PprofBuilder>();
  for (const sample of src.samples) {
    const service = attributeString(dict, sample.attributeIndices, SERVICE_NAME_ATTRIBUTE);
    let builder = builders.get(service);
    if (builder === undefined) {
      builder = new PprofBuilder(src, dict, nowNanos);
      builders.set(service, builder);
    }
    builder.addSample(sample);
  }
  return builders;
}
