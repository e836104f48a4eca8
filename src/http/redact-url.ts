/**
 * How a URL is shown to people: with its secrets masked. Every message, log line, metric label, health text,
 * components-API value and queue file that names a URL goes through `redactUrl`, and config diagnostics mask
 * the same parts of a URL literal (`isSensitiveParam`).
 */

/** What a masked secret is replaced with (Go's `URL.Redacted` writes the same). */
export const REDACTED = "xxxxx";

/**
 * A query parameter whose name says it carries a credential: `token`, `access_token`, `api_key`, `apikey`,
 * `secret`, `password`, `auth`, `sig`, `X-Amz-Signature`, `X-Amz-Credential`, `session`, ... (the name is
 * compared lowercased without `-` and `_`). Masking a harmless parameter costs little; showing a token costs
 * the token.
 */
const SENSITIVE_PARAM = /token|secret|passw|pwd|key|auth|sig|credential|session|jwt|code/;

/**
 * The one way a URL is shown or stored for people (messages, logs, metric labels, health, the components API,
 * the queue's files): the password replaced by `xxxxx` as Go's `URL.Redacted` does, and the values of query
 * parameters that carry credentials (`?token=...`, `?api_key=...`) replaced by `xxxxx` too. The same URL
 * always gives the same text, so metric label values stay stable; everything else is left as written.
 * Text that is not a URL is returned unchanged, except for a `//user:password@` inside it.
 */
export function redactUrl(text: string): string {
  return redactQuery(redactPassword(text));
}

function redactPassword(text: string): string {
  try {
    const u = new URL(text);
    if (u.password === "") return text;
    u.password = REDACTED;
    return u.toString();
  } catch {
    return text.replace(/\/\/([^/@:]*):[^/@]*@/, `//$1:${REDACTED}@`);
  }
}

function redactQuery(text: string): string {
  const q = text.indexOf("?");
  if (q < 0) return text;
  const hash = text.indexOf("#", q);
  const end = hash < 0 ? text.length : hash;
  const query = text.slice(q + 1, end);
  let changed = false;
  const parts = query.split("&").map((part) => {
    const eq = part.indexOf("=");
    if (eq < 0 || eq === part.length - 1 || !isSensitiveParam(part.slice(0, eq))) return part;
    changed = true;
    return `${part.slice(0, eq)}=${REDACTED}`;
  });
  return changed ? `${text.slice(0, q + 1)}${parts.join("&")}${text.slice(end)}` : text;
}

/** Whether a query parameter's name (as written, percent-encoded or not) says it carries a credential. */
export function isSensitiveParam(name: string): boolean {
  let decoded = name;
  try {
    decoded = decodeURIComponent(name.replaceAll("+", " "));
  } catch {
    // a malformed escape: judge the name as written
  }
  return SENSITIVE_PARAM.test(decoded.toLowerCase().replace(/[-_\s]/g, ""));
}
