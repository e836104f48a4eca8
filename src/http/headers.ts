/**
 * Header names and a small ordered, case-insensitive header list for outbound requests.
 *
 * Go (which Alloy is written in) keys headers by their canonical form (`Content-Type`), sets or appends values,
 * and writes one line per value. `HeaderList` does the same so requests carry exactly the header lines Alloy
 * would send, including repeated ones (several `Content-Type` values on `/ingest`).
 */

/**
 * Hop-by-hop headers (RFC 9110 §7.6.1, plus the legacy `Keep-Alive`/`Proxy-Connection`): they describe one
 * connection, so a relay never passes them on. Lower-case.
 */
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/**
 * Headers that `http_headers` may not set (prometheus/common `reservedHeaders`): the client or the protocol
 * owns them. Canonical form, as in the error message.
 */
export const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  "Authorization",
  "Host",
  "Content-Encoding",
  "Content-Length",
  "Content-Type",
  "User-Agent",
  "Connection",
  "Keep-Alive",
  "Proxy-Authenticate",
  "Proxy-Authorization",
  "Www-Authenticate",
  "Accept-Encoding",
  "X-Prometheus-Remote-Write-Version",
  "X-Prometheus-Remote-Read-Version",
  "X-Prometheus-Scrape-Timeout-Seconds",
  "X-Amz-Date",
  "X-Amz-Security-Token",
  "X-Amz-Content-Sha256",
]);

const TOKEN_CHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Go's `http.CanonicalHeaderKey`: the first letter and every letter after a `-` upper case, the rest lower case.
 * A name with a character that is not valid in a header name is returned unchanged, as Go does.
 */
export function canonicalHeaderKey(name: string): string {
  if (!TOKEN_CHAR.test(name)) return name;
  let upper = true;
  let out = "";
  for (const ch of name) {
    out += upper ? ch.toUpperCase() : ch.toLowerCase();
    upper = ch === "-";
  }
  return out;
}

/** Whether `name` is a valid HTTP header name (an RFC 9110 token). */
export function isValidHeaderName(name: string): boolean {
  return TOKEN_CHAR.test(name);
}

interface Entry {
  readonly name: string;
  values: string[];
}

/**
 * An ordered, case-insensitive multimap of request headers with Go's `Set`/`Add` semantics. The first
 * spelling of a name is kept for the wire (undici sends names as given).
 */
export class HeaderList {
  readonly #entries = new Map<string, Entry>();
  /** `toFlat()`, kept until the list changes (lists built once are sent with every request). */
  #flat: readonly string[] | undefined;

  /** Replaces every value of `name` (Go `Header.Set`). */
  set(name: string, value: string): void {
    this.#flat = undefined;
    const key = name.toLowerCase();
    const existing = this.#entries.get(key);
    if (existing) {
      existing.values = [value];
    } else {
      this.#entries.set(key, { name: canonicalHeaderKey(name), values: [value] });
    }
  }

  /** Appends a value to `name` (Go `Header.Add`). */
  add(name: string, value: string): void {
    this.#flat = undefined;
    const key = name.toLowerCase();
    const existing = this.#entries.get(key);
    if (existing) {
      existing.values.push(value);
    } else {
      this.#entries.set(key, { name: canonicalHeaderKey(name), values: [value] });
    }
  }

  /** The first value of `name`, or undefined. */
  get(name: string): string | undefined {
    return this.#entries.get(name.toLowerCase())?.values[0];
  }

  /** Every value of `name`, in order. */
  getAll(name: string): readonly string[] {
    return this.#entries.get(name.toLowerCase())?.values ?? [];
  }

  /** Whether `name` has a non-empty first value (Go's `Header.Get(name) != ""`). */
  hasValue(name: string): boolean {
    const v = this.get(name);
    return v !== undefined && v !== "";
  }

  has(name: string): boolean {
    return this.#entries.has(name.toLowerCase());
  }

  delete(name: string): void {
    this.#flat = undefined;
    this.#entries.delete(name.toLowerCase());
  }

  /** The lower-case names present. */
  names(): string[] {
    return [...this.#entries.keys()];
  }

  clone(): HeaderList {
    const copy = new HeaderList();
    for (const [key, e] of this.#entries) {
      copy.#entries.set(key, { name: e.name, values: [...e.values] });
    }
    return copy;
  }

  /** undici's flat form `[name, value, name, value, ...]`, one pair per value. */
  toFlat(): readonly string[] {
    if (this.#flat === undefined) {
      const out: string[] = [];
      for (const e of this.#entries.values()) {
        for (const v of e.values) out.push(e.name, v);
      }
      this.#flat = out;
    }
    return this.#flat;
  }

  /** Builds a list from WHATWG `Headers` (used by the Connect client), one entry per name. */
  static fromHeaders(h: Headers): HeaderList {
    const list = new HeaderList();
    h.forEach((value, name) => {
      list.add(name, value);
    });
    return list;
  }
}
