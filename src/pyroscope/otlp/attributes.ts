/**
 * How OTLP attributes become labels, following Grafana Pyroscope's OTLP ingest (`pkg/ingester/otlp`,
 * `ingest_handler.go`: `getServiceNameFromAttributes`, `appendAttributesUnique`, `stringValueFromAnyValue`), so
 * that a profile relayed as a push gets the series labels Pyroscope's own OTLP endpoint would give it.
 */
import type { AnyValue, KeyValue } from "../gen/opentelemetry/proto/common/v1/common_pb.ts";

/** The OpenTelemetry semantic-convention key of the service name. */
export const SERVICE_NAME_ATTRIBUTE = "service.name";
/** The key whose value completes the fallback service name (`unknown_service:<executable>`). */
export const EXECUTABLE_NAME_ATTRIBUTE = "process.executable.name";
/** The service name of a resource without `service.name` (OpenTelemetry's and Pyroscope's fallback). */
export const UNKNOWN_SERVICE = "unknown_service";

/** The string value of an `AnyValue`, or "" when it is not a string (Go's `GetStringValue`). */
export function stringValue(value: AnyValue | undefined): string {
  return value?.value.case === "stringValue" ? value.value.value : "";
}

/**
 * The label value of a resource or scope attribute (Pyroscope's `stringValueFromAnyValue`): a string as it is, an
 * int in decimal, a one-element array as its element; anything else (bool, double, bytes, map, longer arrays)
 * gives "" and so no label.
 */
export function labelValue(value: AnyValue | undefined): string {
  if (value === undefined) return "";
  const v = value.value;
  switch (v.case) {
    case "stringValue":
      return v.value;
    case "intValue":
      return v.value.toString();
    case "arrayValue":
      return v.value.values.length === 1 ? labelValue(v.value.values[0]) : "";
    default:
      return "";
  }
}

/**
 * The resource's service name (Pyroscope's `getServiceNameFromAttributes`): the first non-empty string
 * `service.name`, else `unknown_service`, with `:<process.executable.name>` appended when there is one.
 */
export function resourceServiceName(attributes: readonly KeyValue[]): string {
  let fallback = UNKNOWN_SERVICE;
  for (const attr of attributes) {
    const value = stringValue(attr.value);
    if (value === "") continue;
    if (attr.key === SERVICE_NAME_ATTRIBUTE) return value;
    if (attr.key === EXECUTABLE_NAME_ATTRIBUTE) fallback += `:${value}`;
  }
  return fallback;
}

/**
 * A label name Pyroscope and `pyroscope.write` accept (`[A-Za-z0-9_.]+`): every other character becomes `_`.
 * OpenTelemetry keys (`k8s.pod.name`, `host.name`) pass unchanged; `host-name` becomes `host_name` instead of
 * making the whole profile fail validation downstream.
 */
export function validLabelName(key: string): string {
  return key.replace(/[^A-Za-z0-9_.]/g, "_");
}

/**
 * Appends resource or scope attributes as labels, in order, each name once (Pyroscope's
 * `appendAttributesUnique`): a name already in `seen` (from an earlier attribute or level) is skipped, and an
 * attribute without a label value is skipped without claiming its name. Names are made valid first.
 */
export function appendAttributeLabels(
  out: Map<string, string>,
  attributes: readonly KeyValue[],
  seen: Set<string>,
): void {
  for (const attr of attributes) {
    if (attr.key === "") continue;
    const name = validLabelName(attr.key);
    if (seen.has(name)) continue;
    const value = labelValue(attr.value);
    if (value === "") continue;
    out.set(name, value);
    seen.add(name);
  }
}
