/**
 * Writing the plain-HTTP answers of the server, in Go's shapes: `http.Error` (text/plain, `nosniff`, a
 * trailing newline), an empty status, and closing the connection after answers that leave a body unread.
 */
import type * as http from "node:http";
import { STATUS_CODES } from "node:http";
import type * as http2 from "node:http2";

/** A server request from Node's http, https or http2 (compatibility API) module. */
export type NodeServerRequest = http.IncomingMessage | http2.Http2ServerRequest;

/**
 * A server response from those modules, with `write`/`writeHead` made compatible (the shape connect-node's
 * request handling expects; its own type is not exported).
 */
export type NodeServerResponse = (
  | Omit<http.ServerResponse, "write">
  | Omit<http2.Http2ServerResponse, "write">
) & {
  write(chunk: string | Uint8Array, callback?: (err: Error | null | undefined) => void): boolean;
  write(
    chunk: string | Uint8Array,
    encoding: BufferEncoding,
    callback?: (err: Error | null | undefined) => void,
  ): boolean;
  writeHead(status: number, headers?: http.OutgoingHttpHeaders): unknown;
};

/** Go's `http.StatusText`: the reason phrase, empty for unknown codes. */
export function statusText(status: number): string {
  return STATUS_CODES[status] ?? "";
}

/** Like Go's `http.Error`: `text` plus a newline as `text/plain`. Returns the body size written. */
export function sendText(
  res: NodeServerResponse,
  status: number,
  text: string,
  headers: Readonly<Record<string, string>> = {},
): number {
  const body = Buffer.from(`${text}\n`, "utf8");
  if (res.headersSent) {
    res.end();
    return 0;
  }
  res.writeHead(status, {
    ...headers,
    "Content-Type": "text/plain; charset=utf-8",
    "X-Content-Type-Options": "nosniff",
    "Content-Length": String(body.length),
  });
  res.end(body);
  return body.length;
}

/** A status with an empty body (Go's `w.WriteHeader(code)`). */
export function sendEmpty(
  res: NodeServerResponse,
  status: number,
  headers: Readonly<Record<string, string>> = NO_EXTRA_HEADERS,
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, headers === NO_EXTRA_HEADERS ? EMPTY_BODY : { ...headers, "Content-Length": "0" });
  res.end();
}

const NO_EXTRA_HEADERS: Readonly<Record<string, string>> = Object.freeze({});
const EMPTY_BODY: Readonly<Record<string, string>> = Object.freeze({ "Content-Length": "0" });

/**
 * Marks the connection to be closed after this response, for answers given before the request body was read
 * (413, 429, 408): the rest of the body is not worth reading. HTTP/2 needs nothing: only the stream ends.
 */
export function closeAfterResponse(req: NodeServerRequest, res: NodeServerResponse): void {
  if (req.httpVersionMajor < 2 && !res.headersSent) {
    res.setHeader("Connection", "close");
  }
}

/** Whether the request was made over HTTP/2. */
export function isHttp2(req: NodeServerRequest): boolean {
  return req.httpVersionMajor >= 2;
}
