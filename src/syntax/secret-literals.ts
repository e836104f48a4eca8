/**
 * Secrets written into a config as string literals (`password = "hunter2"`), so that diagnostics never show
 * them: a source excerpt shows `password = "*******"`, and a message that quotes the expression
 * (`["hunter2"] should be capsule, got array`) quotes it masked. Everything else in the diagnostic is Alloy's.
 *
 * Alloy prints the source line as it is; but `run` prints its diagnostics to the logs, and secrets never
 * belong there. A literal is secret when it sits anywhere in the value of an attribute whose name is the name
 * of a secret-typed attribute of some component (`password`, `bearer_token`, `key_pem`, `http_headers`, ...).
 * Going by name rather than by the exact block also covers blocks with a misspelt name, which have no schema.
 *
 * A URL written in any string literal (`url = "http://user:hunter2@host/?token=abc"`) has its password and the
 * values of its credential query parameters masked the same way (see `redactUrl`), the rest of it shown.
 */
import { isSensitiveParam } from "../http/redact-url.ts";
import type { Expr, File, Statement } from "./ast.ts";
import type { Diagnostic } from "./diagnostics.ts";
import { utf8Length } from "./lexer.ts";
import type { Position } from "./position.ts";
import type { Fields, ValueType } from "./schema.ts";

/** A string literal written where a secret goes: its range (quotes included) and its source text. */
export interface SecretLiteral {
  readonly start: Position;
  readonly end: Position;
  readonly raw: string;
}

/** The secret literals of each file, by file name. */
export type SecretLiterals = ReadonlyMap<string, readonly SecretLiteral[]>;

const MASK = "*";

function holdsSecret(type: ValueType<unknown>): boolean {
  if (type.kind === "secret") return true;
  if (type.kind === "list" || type.kind === "map") return holdsSecret(type.of);
  return false;
}

/** The names of every attribute, at any depth of `schemas`, whose type holds a secret. */
export function secretAttributeNames(schemas: Iterable<{ readonly fields: Fields }>): Set<string> {
  const names = new Set<string>();
  const visit = (schema: { readonly fields: Fields }): void => {
    for (const [name, field] of Object.entries(schema.fields)) {
      if (field.kind === "attr") {
        if (holdsSecret(field.type)) names.add(name);
      } else {
        visit(field.body);
      }
    }
  };
  for (const schema of schemas) visit(schema);
  return names;
}

function isEnvLookup(callee: Expr): boolean {
  if (callee.kind === "Identifier") return callee.ident.name === "env";
  return (
    callee.kind === "Access" &&
    callee.name.name === "env" &&
    callee.value.kind === "Identifier" &&
    callee.value.ident.name === "sys"
  );
}

function collectStrings(e: Expr, out: SecretLiteral[]): void {
  switch (e.kind) {
    case "Literal":
      if (e.token === "STRING" && e.raw.length > 2) out.push({ start: e.start, end: e.end, raw: e.raw });
      return;
    case "Identifier":
      return;
    case "Array":
      for (const x of e.elements) collectStrings(x, out);
      return;
    case "Object":
      for (const f of e.fields) collectStrings(f.value, out);
      return;
    case "Access":
      collectStrings(e.value, out);
      return;
    case "Index":
      collectStrings(e.value, out);
      collectStrings(e.index, out);
      return;
    case "Call":
      // `sys.env("NAME")` takes the name of a variable, not the secret itself
      if (!isEnvLookup(e.value)) for (const x of e.args) collectStrings(x, out);
      return;
    case "Unary":
      collectStrings(e.value, out);
      return;
    case "Binary":
      collectStrings(e.left, out);
      collectStrings(e.right, out);
      return;
    case "Paren":
      collectStrings(e.inner, out);
      return;
  }
}

function collectStatements(
  body: readonly Statement[],
  names: ReadonlySet<string>,
  out: SecretLiteral[],
): void {
  for (const stmt of body) {
    if (stmt.kind === "Attribute") {
      if (names.has(stmt.name.name)) {
        collectStrings(stmt.value, out);
      } else {
        const literals: SecretLiteral[] = [];
        collectStrings(stmt.value, literals);
        for (const lit of literals) out.push(...urlSecretParts(lit));
      }
    } else {
      collectStatements(stmt.body, names, out);
    }
  }
}

/**
 * The secret parts of a one-line string literal that holds a URL: the password (from the `:` before it to the
 * `@` after it) and each credential query value (from its `=` to the `&`, `#` or quote after it). Each part
 * is a `SecretLiteral` whose first and last characters are those delimiters, so they stay visible.
 */
function urlSecretParts(lit: SecretLiteral): SecretLiteral[] {
  const raw = lit.raw;
  if (lit.start.line !== lit.end.line) return [];
  const scheme = /^["`][a-z][a-z0-9+.-]*:\/\//i.exec(raw);
  if (scheme === null) return [];
  const close = raw.length - 1;
  const parts: [number, number][] = [];
  const authorityStart = scheme[0].length;
  let authorityEnd = authorityStart;
  while (authorityEnd < close && !"/?#".includes(raw[authorityEnd]!)) authorityEnd++;
  const at = raw.lastIndexOf("@", authorityEnd - 1);
  if (at >= authorityStart) {
    const colon = raw.indexOf(":", authorityStart);
    if (colon >= 0 && colon < at - 1) parts.push([colon, at]);
  }
  const q = raw.indexOf("?", authorityEnd);
  if (q >= 0) {
    const hash = raw.indexOf("#", q);
    const end = hash < 0 ? close : hash;
    let i = q + 1;
    while (i < end) {
      let next = raw.indexOf("&", i);
      if (next < 0 || next > end) next = end;
      const eq = raw.indexOf("=", i);
      if (eq >= 0 && eq < next - 1 && isSensitiveParam(raw.slice(i, eq))) parts.push([eq, next]);
      i = next + 1;
    }
  }
  const at0 = (i: number): Position => {
    const bytes = utf8Length(raw.slice(0, i));
    return { offset: lit.start.offset + bytes, line: lit.start.line, column: lit.start.column + bytes };
  };
  return parts.map(([from, to]) => ({ start: at0(from), end: at0(to), raw: raw.slice(from, to + 1) }));
}

/** The string literals in the values of attributes named in `names`, by file. */
export function findSecretLiterals(files: readonly File[], names: ReadonlySet<string>): SecretLiterals {
  const byFile = new Map<string, SecretLiteral[]>();
  for (const file of files) {
    const found: SecretLiteral[] = [];
    collectStatements(file.body, names, found);
    if (found.length > 0) byFile.set(file.filename, found);
  }
  return byFile;
}

/** A literal's source text with everything but its quotes masked, one mask character per character. */
export function maskedRaw(raw: string): string {
  const chars = [...raw];
  if (chars.length <= 2) return raw;
  return chars[0] + MASK.repeat(chars.length - 2) + chars[chars.length - 1];
}

/** The diagnostics with every secret literal their messages quote masked (the rest is untouched). */
export function maskSecretMessages(diags: readonly Diagnostic[], secrets: SecretLiterals): Diagnostic[] {
  if (secrets.size === 0) return [...diags];
  return diags.map((d) => {
    const literals = secrets.get(d.file ?? "");
    if (literals === undefined) return d;
    let message = d.message;
    for (const lit of literals) {
      if (message.includes(lit.raw)) message = message.split(lit.raw).join(maskedRaw(lit.raw));
    }
    return message === d.message ? d : { ...d, message };
  });
}

function inside(line: number, column: number, lit: SecretLiteral): boolean {
  if (line < lit.start.line || line > lit.end.line) return false;
  // the quotes themselves stay visible
  if (line === lit.start.line && column <= lit.start.column) return false;
  if (line === lit.end.line && column >= lit.end.column) return false;
  return true;
}

/**
 * Line `lineNum` of a file (1-based) with the characters of `literals` that fall on it masked. Each masked
 * character becomes one mask character and tabs are kept, so the line prints as wide as the original and
 * the caret line (drawn from the original) still lines up.
 */
export function maskLine(line: string, lineNum: number, literals: readonly SecretLiteral[]): string {
  const onLine = literals.filter((l) => l.start.line <= lineNum && l.end.line >= lineNum);
  if (onLine.length === 0) return line;
  let out = "";
  let byte = 0;
  for (const ch of line) {
    const column = byte + 1;
    const keep = ch === "\t" || ch === "\v" || ch === "\r";
    out += !keep && onLine.some((l) => inside(lineNum, column, l)) ? MASK : ch;
    const cp = ch.codePointAt(0) ?? 0;
    byte += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return out;
}
