/**
 * Push API request bodies as an SDK sends them, made with the generated protobuf code (not the relay's own
 * encoder, `src/pyroscope/push-body.ts`, so a test of the receiving side does not check the relay against
 * itself).
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { PushRequestSchema } from "../../src/pyroscope/gen/push/v1/push_pb.ts";

/** A binary `push.v1.PushRequest` of one series (`labels`, in their order) with one sample. */
export function pushRequestBody(
  labels: Readonly<Record<string, string>>,
  rawProfile: Uint8Array,
  id = "",
): Uint8Array {
  return toBinary(
    PushRequestSchema,
    create(PushRequestSchema, {
      series: [
        {
          labels: Object.entries(labels).map(([name, value]) => ({ name, value })),
          samples: [{ ID: id, rawProfile }],
        },
      ],
    }),
  );
}
