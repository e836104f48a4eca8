/**
 * Splits a `multipart/form-data` body into its parts *and* the bytes between them ("glue": delimiters, part
 * headers, preamble, epilogue), so capture can store each part as a file a person can open, and replay can put
 * the exact original body back together: `glue[0] + part[0] + glue[1] + ... + part[n-1] + glue[n]`.
 *
 * Only well-formed bodies (CRLF line ends, a closing delimiter) are split; anything else is left to the caller
 * to keep whole.
 */

/** One part: its form field, file name and content type (from its headers), and its body. */
export interface MultipartPart {
  readonly name: string | undefined;
  readonly filename: string | undefined;
  readonly contentType: string | undefined;
  readonly body: Uint8Array;
}

/** A split body: `glue.length === parts.length + 1`. */
export interface SplitMultipart {
  readonly parts: readonly MultipartPart[];
  readonly glue: readonly Uint8Array[];
}

/** The `boundary` parameter of a `multipart/form-data` content type, or undefined. */
export function multipartBoundary(contentType: string): string | undefined {
  if (!/^\s*multipart\/form-data\s*(;|$)/i.test(contentType)) return undefined;
  const m = /;\s*boundary=(?:"([^"]+)"|([^\s;]+))/i.exec(contentType);
  return m?.[1] ?? m?.[2];
}

/** Splits `body` on `boundary`; undefined when the body is not a well-formed multipart body. */
export function splitMultipart(body: Uint8Array, boundary: string): SplitMultipart | undefined {
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const delimiter = Buffer.from(`--${boundary}`, "latin1");
  const crlfDelimiter = Buffer.from(`\r\n--${boundary}`, "latin1");
  let pos = buf.indexOf(delimiter);
  if (pos < 0 || (pos > 0 && buf.subarray(pos - 2, pos).toString("latin1") !== "\r\n")) return undefined;
  const parts: MultipartPart[] = [];
  const glue: Uint8Array[] = [];
  let glueStart = 0;
  for (;;) {
    const afterDelimiter = pos + delimiter.length;
    if (buf.subarray(afterDelimiter, afterDelimiter + 2).toString("latin1") === "--") {
      glue.push(body.subarray(glueStart));
      return { parts, glue };
    }
    if (buf.subarray(afterDelimiter, afterDelimiter + 2).toString("latin1") !== "\r\n") return undefined;
    const headersEnd = buf.indexOf("\r\n\r\n", afterDelimiter, "latin1");
    if (headersEnd < 0) return undefined;
    const bodyStart = headersEnd + 4;
    const next = buf.indexOf(crlfDelimiter, bodyStart);
    if (next < 0) return undefined;
    const headers = buf.subarray(afterDelimiter + 2, headersEnd).toString("utf8");
    glue.push(body.subarray(glueStart, bodyStart));
    parts.push({ ...describePart(headers), body: body.subarray(bodyStart, next) });
    glueStart = next;
    pos = next + 2;
  }
}

/** Puts a split body back together, byte for byte. */
export function joinMultipart(parts: readonly Uint8Array[], glue: readonly Uint8Array[]): Uint8Array {
  if (glue.length !== parts.length + 1) {
    throw new Error(
      `multipart: ${parts.length} parts need ${parts.length + 1} glue pieces, got ${glue.length}`,
    );
  }
  const pieces: Uint8Array[] = [];
  parts.forEach((part, i) => {
    pieces.push(glue[i]!, part);
  });
  pieces.push(glue[parts.length]!);
  return Buffer.concat(pieces);
}

function describePart(headers: string): Omit<MultipartPart, "body"> {
  const disposition = /^content-disposition:(.*)$/im.exec(headers)?.[1] ?? "";
  return {
    name: /\bname="([^"]*)"/i.exec(disposition)?.[1] ?? /\bname=([^;\s]+)/i.exec(disposition)?.[1],
    filename:
      /\bfilename="([^"]*)"/i.exec(disposition)?.[1] ?? /\bfilename=([^;\s]+)/i.exec(disposition)?.[1],
    contentType: /^content-type:\s*(.*)$/im.exec(headers)?.[1]?.trim(),
  };
}
