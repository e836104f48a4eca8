/**
 * The registration of `pyroscope.receive_http`, for `src/components/all.ts`.
 */
import type { Registration } from "../../../runtime/component.ts";
import { receiveHttpSchema } from "./arguments.ts";
import { ReceiveHttp } from "./receive-http.ts";

/** `pyroscope.receive_http`: receives profiles over HTTP (`/ingest`, push API, OTLP profiles) and forwards them. */
export const receiveHttpRegistration: Registration<typeof receiveHttpSchema.fields> = {
  name: "pyroscope.receive_http",
  stability: "generally-available",
  description:
    "Receives profiles over HTTP from Pyroscope SDKs (/ingest), push-API clients (/push.v1.PusherService/Push) and OpenTelemetry profilers (OTLP/HTTP /v1development/profiles, OTLP/gRPC) and forwards them to pyroscope.* receivers.",
  args: receiveHttpSchema,
  exports: [],
  build: (options, args) => ReceiveHttp.create(options, args),
};
