/**
 * connect-es reports a request body that is not valid protobuf as `internal` ("parse binary: …"), and a
 * corrupt gzip body as `internal` ("decompression failed"), where
 * connect-go — and so Alloy and Pyroscope — answer `invalid_argument`. A client retries `internal`, so a
 * malformed push would be retried forever. This rewrites that one error to `invalid_argument` in each
 * protocol's shape: the Connect JSON error body (HTTP 500 → 400), the gRPC trailers, and the gRPC-Web
 * trailer frame. (Malformed JSON already gets `invalid_argument` from connect-es.)
 */
import type { UniversalServerResponse } from "@connectrpc/connect/protocol";

const PARSE_PREFIX = "parse binary:";
/** connect-node's message for a gzip body that does not inflate (connect-go: `invalid_argument`). */
const DECOMPRESSION_FAILED = "decompression failed";
const GRPC_INTERNAL = "13";
const GRPC_INVALID_ARGUMENT = "3";
const GRPC_WEB_TRAILER_FLAG = 0x80;

function isBadInput(message: string): boolean {
  return message.startsWith(PARSE_PREFIX) || message === DECOMPRESSION_FAILED;
}

function isParseMessage(encoded: string | null): boolean {
  if (encoded === null) return false;
  try {
    return isBadInput(decodeURIComponent(encoded));
  } catch {
    return false;
  }
}

/** Rewrites a Connect unary parse error (a small JSON body, read whole). Other responses pass untouched. */
export async function remapConnectParseError(
  uRes: UniversalServerResponse,
): Promise<UniversalServerResponse> {
  const header = uRes.header;
  if (
    uRes.status !== 500 ||
    header === undefined ||
    header.get("Content-Type") !== "application/json" ||
    header.has("Content-Encoding") ||
    uRes.body === undefined
  ) {
    return uRes;
  }
  const chunks: Uint8Array[] = [];
  for await (const chunk of uRes.body) chunks.push(chunk);
  const bytes = Buffer.concat(chunks);
  let error: { code?: unknown; message?: unknown };
  try {
    error = JSON.parse(bytes.toString("utf8")) as typeof error;
  } catch {
    return { ...uRes, body: single(bytes) };
  }
  if (error.code !== "internal" || typeof error.message !== "string" || !isBadInput(error.message)) {
    return { ...uRes, body: single(bytes) };
  }
  const body = Buffer.from(JSON.stringify({ ...error, code: "invalid_argument" }), "utf8");
  const fixed = new Headers(header);
  fixed.set("Content-Length", String(body.length));
  return { ...uRes, status: 400, header: fixed, body: single(body) };
}

/**
 * For gRPC and gRPC-Web: passes the body through, rewriting a gRPC-Web trailer frame, and once the body is
 * done, the gRPC trailers (which connect-es fills in while the body is iterated).
 */
export async function* remapGrpcParseError(
  body: AsyncIterable<Uint8Array>,
  trailer: Headers | undefined,
): AsyncIterable<Uint8Array> {
  for await (const chunk of body) {
    yield chunk[0] === GRPC_WEB_TRAILER_FLAG ? remapTrailerFrame(chunk) : chunk;
  }
  if (
    trailer !== undefined &&
    trailer.get("grpc-status") === GRPC_INTERNAL &&
    isParseMessage(trailer.get("grpc-message"))
  ) {
    trailer.set("grpc-status", GRPC_INVALID_ARGUMENT);
  }
}

function remapTrailerFrame(frame: Uint8Array): Uint8Array {
  if (frame.length < 5) return frame;
  const length = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength).readUInt32BE(1);
  if (frame.length !== 5 + length) return frame;
  const text = Buffer.from(frame.subarray(5)).toString("utf8");
  const lines = text.split("\r\n").filter((l) => l !== "");
  const fields = new Map(
    lines.map((l) => {
      const i = l.indexOf(":");
      return [l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim()] as const;
    }),
  );
  if (fields.get("grpc-status") !== GRPC_INTERNAL || !isParseMessage(fields.get("grpc-message") ?? null)) {
    return frame;
  }
  const rewritten = lines
    .map((l) => (l.toLowerCase().startsWith("grpc-status:") ? `grpc-status: ${GRPC_INVALID_ARGUMENT}` : l))
    .map((l) => `${l}\r\n`)
    .join("");
  const data = Buffer.from(rewritten, "utf8");
  const out = Buffer.alloc(5 + data.length);
  out[0] = GRPC_WEB_TRAILER_FLAG;
  out.writeUInt32BE(data.length, 1);
  data.copy(out, 5);
  return out;
}

async function* single(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}
