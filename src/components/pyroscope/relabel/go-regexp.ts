/**
 * Go's `regexp` (RE2 syntax, leftmost-first matching) on JavaScript's engine: a Go expression is parsed with
 * the rules of Go's `regexp/syntax` parser (`Perl` flags, as `regexp.Compile` uses them) and rewritten into an
 * equivalent JavaScript expression (`v` flag), so relabel rules written for Alloy and Prometheus match the same
 * strings here. What JavaScript would read differently is spelled out:
 * - `.` never matches `\n` unless `(?s)` (JavaScript's `.` also stops at `\r`, U+2028, U+2029);
 * - `^`/`$` are start/end of text, or of a line (only `\n`) under `(?m)`; `\A` and `\z` always of text;
 * - `\d`, `\s`, `\w` and `[[:name:]]` are ASCII classes (JavaScript's `\s` is Unicode);
 * - `\pL`, `\p{Greek}`, `\p{^Lu}` become Unicode property escapes;
 * - flags `i`, `m`, `s`, `U` may be set anywhere (`(?i)abc`, `(?U:a+)`) and last to the end of the group;
 * - capture groups are numbered as in Go, names (`(?P<n>…)`, `(?<n>…)`) are kept on the side, so names that
 *   JavaScript does not allow (`(?P<1x>…)`) or that repeat still work in `expand`.
 * What Go refuses is refused with Go's message (`error parsing regexp: missing closing ): ...`): look-arounds,
 * back-references, `\C`, bad escapes, repeat counts over 1000.
 *
 * One difference cannot be translated away: Go's engine runs in linear time, JavaScript's backtracks, so a
 * pattern with nested quantifiers (`(a+)+`) can be slow on long inputs.
 */

/** A Go regexp compile error, with Go's text (`error parsing regexp: <code>: \`<expr>\``). */
export class GoRegexpError extends Error {
  override readonly name = "GoRegexpError";
}

/** A compiled Go regular expression. */
export class GoRegexp {
  /** The Go expression as written. */
  readonly source: string;
  /** The JavaScript translation. */
  readonly js: RegExp;
  /** Go's `SubexpNames`: index 0 is the whole match, `""` for unnamed groups. */
  readonly subexpNames: readonly string[];

  private constructor(source: string, js: RegExp, names: readonly string[]) {
    this.source = source;
    this.js = js;
    this.subexpNames = names;
  }

  /** Go's `regexp.Compile`: throws `GoRegexpError` with Go's message when Go would refuse `expr`. */
  static compile(expr: string): GoRegexp {
    const t = new Translator(expr);
    const js = t.translate();
    let re: RegExp;
    try {
      re = new RegExp(js, "v");
    } catch (err) {
      // A translation JavaScript refuses is a bug here, not the user's: say so with the original text.
      throw new GoRegexpError(
        `error parsing regexp: cannot be translated: \`${expr}\` (${err instanceof Error ? err.message : String(err)})`,
      );
    }
    return new GoRegexp(expr, re, t.names);
  }

  /** Go's `MatchString`: whether the expression matches anywhere in `s`. */
  matchString(s: string): boolean {
    this.js.lastIndex = 0;
    return this.js.test(s);
  }

  /** Go's `FindStringSubmatch`: the match and its groups (`undefined` for a group that did not take part). */
  findStringSubmatch(s: string): RegExpExecArray | null {
    this.js.lastIndex = 0;
    return this.js.exec(s);
  }

  /**
   * Go's `Regexp.ExpandString`: `template` with `$1`, `${1}`, `$name`, `${name}` replaced by the groups of
   * `match`, `$$` by `$`. As in Go, a reference takes the longest run of letters, digits and `_` (`$1x` is the
   * group named `1x`, which is empty); an unknown group is empty; a malformed `$` is kept as is.
   */
  expand(template: string, match: RegExpExecArray): string {
    let out = "";
    let rest = template;
    for (;;) {
      const dollar = rest.indexOf("$");
      if (dollar < 0) break;
      out += rest.slice(0, dollar);
      rest = rest.slice(dollar + 1);
      if (rest.startsWith("$")) {
        out += "$";
        rest = rest.slice(1);
        continue;
      }
      const ref = extractReference(rest);
      if (ref === undefined) {
        out += "$";
        continue;
      }
      rest = rest.slice(ref.length);
      if (ref.num >= 0) {
        out += match[ref.num] ?? "";
      } else {
        for (let i = 1; i < this.subexpNames.length; i++) {
          if (this.subexpNames[i] === ref.name && match[i] !== undefined) {
            out += match[i];
            break;
          }
        }
      }
    }
    return out + rest;
  }
}

const REF_CHAR = /^[\p{L}\p{Nd}_]/u;

/** Go's `extract` for `expand`: a leading `name` or `{name}` (the `$` already removed). */
function extractReference(s: string): { name: string; num: number; length: number } | undefined {
  const brace = s.startsWith("{");
  let i = brace ? 1 : 0;
  const start = i;
  while (i < s.length) {
    const cp = s.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    if (!REF_CHAR.test(ch)) break;
    i += ch.length;
  }
  if (i === start) return undefined;
  const name = s.slice(start, i);
  if (brace) {
    if (s[i] !== "}") return undefined;
    i++;
  }
  let num = 0;
  for (let k = 0; k < name.length; k++) {
    const c = name.charCodeAt(k);
    if (c < 0x30 || c > 0x39 || num >= 1e8) {
      num = -1;
      break;
    }
    num = num * 10 + (c - 0x30);
  }
  if (name[0] === "0" && name.length > 1) num = -1;
  return { name, num, length: i };
}

interface Flags {
  /** `i`: case-insensitive. */
  readonly i: boolean;
  /** `m`: `^`/`$` at line boundaries. */
  readonly m: boolean;
  /** `s`: `.` matches `\n`. */
  readonly s: boolean;
  /** `U`: ungreedy (swaps `x*` and `x*?`). */
  readonly U: boolean;
}

const NO_FLAGS: Flags = { i: false, m: false, s: false, U: false };

/** One translated piece of a concatenation; `fold` pieces are wrapped in `(?i:…)`. */
interface Piece {
  readonly js: string;
  readonly fold: boolean;
}

/** Go's nesting limit (`maxHeight`). */
const MAX_DEPTH = 1000;
/** Go's largest repeat count. */
const MAX_REPEAT = 1000;

/** Go's general categories (`unicode.Categories`); other names are scripts. */
const CATEGORIES = new Set(
  "C Cc Cf Co Cs L Ll Lm Lo Lt Lu M Mc Me Mn N Nd Nl No P Pc Pd Pe Pf Pi Po Ps S Sc Sk Sm So Z Zl Zp Zs".split(
    " ",
  ),
);

/** Go's ASCII classes, as lists of code point ranges. */
const DIGIT: readonly (readonly [number, number])[] = [[0x30, 0x39]];
const SPACE: readonly (readonly [number, number])[] = [
  [0x09, 0x0a],
  [0x0c, 0x0d],
  [0x20, 0x20],
];
const WORD: readonly (readonly [number, number])[] = [
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a],
];
const PERL_CLASSES: Readonly<Record<string, readonly (readonly [number, number])[]>> = {
  d: DIGIT,
  s: SPACE,
  w: WORD,
};
const POSIX_CLASSES: Readonly<Record<string, readonly (readonly [number, number])[]>> = {
  alnum: [
    [0x30, 0x39],
    [0x41, 0x5a],
    [0x61, 0x7a],
  ],
  alpha: [
    [0x41, 0x5a],
    [0x61, 0x7a],
  ],
  ascii: [[0x00, 0x7f]],
  blank: [
    [0x09, 0x09],
    [0x20, 0x20],
  ],
  cntrl: [
    [0x00, 0x1f],
    [0x7f, 0x7f],
  ],
  digit: DIGIT,
  graph: [[0x21, 0x7e]],
  lower: [[0x61, 0x7a]],
  print: [[0x20, 0x7e]],
  punct: [
    [0x21, 0x2f],
    [0x3a, 0x40],
    [0x5b, 0x60],
    [0x7b, 0x7e],
  ],
  space: [
    [0x09, 0x0d],
    [0x20, 0x20],
  ],
  upper: [[0x41, 0x5a]],
  word: WORD,
  xdigit: [
    [0x30, 0x39],
    [0x41, 0x46],
    [0x61, 0x66],
  ],
};

function cp(c: number): string {
  return `\\u{${c.toString(16)}}`;
}

function ranges(list: readonly (readonly [number, number])[]): string {
  return list.map(([lo, hi]) => (lo === hi ? cp(lo) : `${cp(lo)}-${cp(hi)}`)).join("");
}

/** A class item inside `[…]` (v mode allows nested classes, so negated ones nest). */
function classItem(list: readonly (readonly [number, number])[], negated: boolean): string {
  return negated ? `[^${ranges(list)}]` : ranges(list);
}

/** A literal code point outside a class. */
function literal(c: number): string {
  const ch = String.fromCodePoint(c);
  return /^[A-Za-z0-9_]$/.test(ch) ? ch : cp(c);
}

function isOctal(ch: string | undefined): boolean {
  return ch !== undefined && ch >= "0" && ch <= "7";
}

function hexValue(ch: string | undefined): number {
  if (ch === undefined || !/^[0-9A-Fa-f]$/.test(ch)) return -1;
  return Number.parseInt(ch, 16);
}

/** A recursive-descent parser of Go's syntax that emits JavaScript as it goes. */
class Translator {
  readonly #src: string;
  #pos = 0;
  /** Go's `SubexpNames`. */
  readonly names: string[] = [""];

  constructor(src: string) {
    this.#src = src;
  }

  translate(): string {
    const js = this.#alternation(NO_FLAGS, 0);
    if (this.#pos < this.#src.length) this.#fail("unexpected )", this.#src);
    return js;
  }

  #fail(code: string, expr: string): never {
    throw new GoRegexpError(`error parsing regexp: ${code}: \`${expr}\``);
  }

  #peek(offset = 0): string | undefined {
    return this.#src[this.#pos + offset];
  }

  /** The code point at the cursor, consumed. */
  #next(): number {
    const c = this.#src.codePointAt(this.#pos)!;
    this.#pos += c > 0xffff ? 2 : 1;
    return c;
  }

  /** Branches separated by `|`, up to a `)` (left for the caller) or the end. Flags last to the group's end. */
  #alternation(outer: Flags, depth: number): string {
    if (depth > MAX_DEPTH) this.#fail("expression nests too deeply", this.#src);
    let flags = outer;
    const branches: string[] = [];
    let pieces: Piece[] = [];
    while (this.#pos < this.#src.length) {
      const c = this.#peek();
      if (c === "|") {
        branches.push(join(pieces));
        pieces = [];
        this.#pos++;
        continue;
      }
      if (c === ")") {
        if (depth === 0) this.#fail("unexpected )", this.#src);
        break;
      }
      const atom = this.#atom(flags, depth);
      if ("flags" in atom) {
        flags = atom.flags;
        continue;
      }
      if (atom.pieces.length === 0) continue;
      const last = atom.pieces.pop()!;
      pieces.push(...atom.pieces, this.#quantified(last, flags));
    }
    branches.push(join(pieces));
    return branches.join("|");
  }

  /** Repetition operators after an atom; Go refuses two in a row (`a**`). */
  #quantified(atom: Piece, flags: Flags): Piece {
    const start = this.#pos;
    const op = this.#repeatOperator();
    if (op === undefined) return atom;
    let lazy = false;
    if (this.#peek() === "?") {
      lazy = true;
      this.#pos++;
    }
    if (this.#repeatOperator() !== undefined) {
      if (this.#peek() === "?") this.#pos++;
      this.#fail("invalid nested repetition operator", this.#src.slice(start, this.#pos));
    }
    return { js: `(?:${atom.js})${op}${lazy !== flags.U ? "?" : ""}`, fold: atom.fold };
  }

  /** `*`, `+`, `?` or a valid `{n}`, `{n,}`, `{n,m}`, consumed; `undefined` (nothing consumed) otherwise. */
  #repeatOperator(): string | undefined {
    const c = this.#peek();
    if (c === "*" || c === "+" || c === "?") {
      this.#pos++;
      return c;
    }
    if (c !== "{") return undefined;
    const parsed = this.#repeatCount(this.#pos);
    if (parsed === undefined) return undefined;
    const text = this.#src.slice(this.#pos, parsed.end);
    const { min, max } = parsed;
    if (min < 0 || min > MAX_REPEAT || max > MAX_REPEAT || (max >= 0 && min > max)) {
      this.#fail("invalid repeat count", text);
    }
    this.#pos = parsed.end;
    return max === -1 ? `{${min},}` : min === max ? `{${min}}` : `{${min},${max}}`;
  }

  /** Go's `parseRepeat` at `at` (a `{`): the counts and the end, or undefined when it is a literal `{`. */
  #repeatCount(at: number): { min: number; max: number; end: number } | undefined {
    const s = this.#src;
    let i = at + 1;
    const int = (): number | undefined => {
      const begin = i;
      while (i < s.length && s[i]! >= "0" && s[i]! <= "9") i++;
      if (i === begin) return undefined;
      const digits = s.slice(begin, i);
      if (digits.length >= 2 && digits[0] === "0") return undefined;
      return digits.length > 8 ? -1 : Number(digits);
    };
    let min = int();
    if (min === undefined || i >= s.length) return undefined;
    let max: number;
    if (s[i] !== ",") {
      max = min;
    } else {
      i++;
      if (i >= s.length) return undefined;
      if (s[i] === "}") {
        max = -1;
      } else {
        const m = int();
        if (m === undefined) return undefined;
        max = m;
        if (max < 0) min = -1;
      }
    }
    if (s[i] !== "}") return undefined;
    return { min, max, end: i + 1 };
  }

  /** One atom; `(?flags)` returns the new flags instead; `\Q…\E` may give several pieces (or none). */
  #atom(flags: Flags, depth: number): { pieces: Piece[] } | { flags: Flags } {
    const c = this.#peek()!;
    switch (c) {
      case "(":
        return this.#group(flags, depth);
      case "[":
        return { pieces: [{ js: this.#class(), fold: flags.i }] };
      case ".":
        this.#pos++;
        return { pieces: [{ js: flags.s ? "[\\u{0}-\\u{10ffff}]" : "[^\\u{a}]", fold: false }] };
      case "^":
        this.#pos++;
        return { pieces: [{ js: flags.m ? "(?:^|(?<=\\u{a}))" : "^", fold: false }] };
      case "$":
        this.#pos++;
        return { pieces: [{ js: flags.m ? "(?:$|(?=\\u{a}))" : "$", fold: false }] };
      case "*":
      case "+":
      case "?":
        this.#fail("missing argument to repetition operator", c);
        break;
      case "{": {
        if (this.#repeatCount(this.#pos) !== undefined) {
          const text = this.#src.slice(this.#pos);
          this.#repeatOperator();
          this.#fail(
            "missing argument to repetition operator",
            text.slice(0, this.#pos - (this.#src.length - text.length)),
          );
        }
        this.#pos++;
        return { pieces: [{ js: literal(0x7b), fold: false }] };
      }
      case "\\":
        return { pieces: this.#escapeAtom(flags) };
    }
    return { pieces: [{ js: literal(this.#next()), fold: flags.i }] };
  }

  /** `(…)`, `(?P<name>…)`, `(?<name>…)`, `(?flags:…)` or `(?flags)`. */
  #group(flags: Flags, depth: number): { pieces: Piece[] } | { flags: Flags } {
    const s = this.#src;
    const start = this.#pos;
    if (s[start + 1] !== "?") {
      this.#pos++;
      this.names.push("");
      const body = this.#alternation(flags, depth + 1);
      this.#closeGroup();
      return { pieces: [{ js: `(${body})`, fold: false }] };
    }
    const named = s.startsWith("(?P<", start)
      ? 4
      : s.startsWith("(?<", start) && !/^[=!]/.test(s[start + 3] ?? "")
        ? 3
        : 0;
    if (named > 0) {
      const end = s.indexOf(">", start);
      if (end < 0) this.#fail("invalid named capture", s.slice(start));
      const name = s.slice(start + named, end);
      if (!/^[A-Za-z0-9_]+$/.test(name)) this.#fail("invalid named capture", s.slice(start, end + 1));
      this.#pos = end + 1;
      this.names.push(name);
      const body = this.#alternation(flags, depth + 1);
      this.#closeGroup();
      return { pieces: [{ js: `(${body})`, fold: false }] };
    }
    // Flags, then `:` (a group with them) or `)` (they hold to the end of the enclosing group).
    let i = start + 2;
    const next: Record<"i" | "m" | "s" | "U", boolean> = { ...flags };
    let negate = false;
    let sawFlag = false;
    while (i < s.length) {
      const ch = s[i]!;
      i++;
      if (ch === "i" || ch === "m" || ch === "s" || ch === "U") {
        next[ch] = !negate;
        sawFlag = true;
        continue;
      }
      if (ch === "-") {
        if (negate) break;
        negate = true;
        sawFlag = false;
        continue;
      }
      if (ch === ":" || ch === ")") {
        if (negate && !sawFlag) break;
        this.#pos = i;
        if (ch === ")") return { flags: next };
        const body = this.#alternation(next, depth + 1);
        this.#closeGroup();
        return { pieces: [{ js: `(?:${body})`, fold: false }] };
      }
      break;
    }
    return this.#fail("invalid or unsupported Perl syntax", s.slice(start, Math.min(i, s.length)));
  }

  #closeGroup(): void {
    if (this.#peek() !== ")") this.#fail("missing closing )", this.#src);
    this.#pos++;
  }

  /** An escape outside a class: assertions, `\Q…\E`, classes, or one character. */
  #escapeAtom(flags: Flags): Piece[] {
    const s = this.#src;
    const c = s[this.#pos + 1];
    switch (c) {
      case "A":
        this.#pos += 2;
        return [{ js: "^", fold: false }];
      case "z":
        this.#pos += 2;
        return [{ js: "$", fold: false }];
      case "b":
        this.#pos += 2;
        return [{ js: "\\b", fold: false }];
      case "B":
        this.#pos += 2;
        return [{ js: "\\B", fold: false }];
      case "C":
        this.#fail("invalid escape sequence", "\\C");
        break;
      case "Q": {
        const end = s.indexOf("\\E", this.#pos + 2);
        const text = s.slice(this.#pos + 2, end < 0 ? s.length : end);
        this.#pos = end < 0 ? s.length : end + 2;
        return [...text].map((ch) => ({ js: literal(ch.codePointAt(0)!), fold: flags.i }));
      }
      case "p":
      case "P":
        return [{ js: this.#unicodeClass(false), fold: flags.i }];
      case "d":
      case "D":
      case "s":
      case "S":
      case "w":
      case "W":
        this.#pos += 2;
        return [{ js: `[${this.#perlClass(c)}]`, fold: flags.i }];
    }
    return [{ js: literal(this.#escape()), fold: flags.i }];
  }

  /** `\d` and friends as a class item (the caller adds the brackets). */
  #perlClass(c: string): string {
    const list = PERL_CLASSES[c.toLowerCase()]!;
    return classItem(list, c !== c.toLowerCase());
  }

  /**
   * `\pN`, `\p{Name}`, `\p{^Name}`, `\PN` at the cursor, consumed, as a property escape or class item.
   * `inClass` leaves out the brackets `Any` needs.
   */
  #unicodeClass(inClass: boolean): string {
    const s = this.#src;
    const start = this.#pos;
    let negated = s[start + 1] === "P";
    let name: string;
    if (s[start + 2] === "{") {
      const end = s.indexOf("}", start + 3);
      if (end < 0) this.#fail("invalid character class range", s.slice(start));
      name = s.slice(start + 3, end);
      this.#pos = end + 1;
    } else {
      if (start + 2 >= s.length) this.#fail("invalid character class range", s.slice(start));
      this.#pos = start + 2;
      name = String.fromCodePoint(this.#next());
    }
    const text = s.slice(start, this.#pos);
    if (name.startsWith("^")) {
      negated = !negated;
      name = name.slice(1);
    }
    let item: string;
    if (name === "Any") {
      item = negated ? "[^\\u{0}-\\u{10ffff}]" : "\\u{0}-\\u{10ffff}";
      return inClass ? item : `[${item}]`;
    }
    const property = CATEGORIES.has(name) ? name : `Script=${name}`;
    item = `\\${negated ? "P" : "p"}{${property}}`;
    try {
      new RegExp(item, "v");
    } catch {
      this.#fail("invalid character class range", text);
    }
    return item;
  }

  /** Go's `parseEscape`: one character from `\…` at the cursor, consumed. */
  #escape(): number {
    const s = this.#src;
    const start = this.#pos;
    this.#pos++;
    if (this.#pos >= s.length) this.#fail("trailing backslash at end of expression", "");
    const c = this.#next();
    const bad = (): never => this.#fail("invalid escape sequence", s.slice(start, this.#pos));
    if (c < 0x80 && !/[A-Za-z0-9]/.test(String.fromCharCode(c))) return c;
    const ch = String.fromCodePoint(c);
    if (ch >= "1" && ch <= "7" && !isOctal(this.#peek())) return bad();
    if (ch >= "0" && ch <= "7") {
      let r = c - 0x30;
      for (let k = 1; k < 3 && isOctal(this.#peek()); k++) r = r * 8 + (this.#next() - 0x30);
      return r;
    }
    switch (ch) {
      case "x": {
        if (this.#pos >= s.length) return bad();
        if (this.#peek() === "{") {
          this.#pos++;
          let r = 0;
          let digits = 0;
          for (;;) {
            if (this.#pos >= s.length) return bad();
            const d = String.fromCodePoint(this.#next());
            if (d === "}") break;
            const v = hexValue(d);
            if (v < 0) return bad();
            r = r * 16 + v;
            if (r > 0x10ffff) return bad();
            digits++;
          }
          if (digits === 0) return bad();
          return r;
        }
        const x = hexValue(String.fromCodePoint(this.#next()));
        if (this.#pos >= s.length) return bad();
        const y = hexValue(String.fromCodePoint(this.#next()));
        if (x < 0 || y < 0) return bad();
        return x * 16 + y;
      }
      case "a":
        return 7;
      case "f":
        return 12;
      case "n":
        return 10;
      case "r":
        return 13;
      case "t":
        return 9;
      case "v":
        return 11;
    }
    return bad();
  }

  /** `[…]` at the cursor, consumed (Go's `parseClass`). */
  #class(): string {
    const s = this.#src;
    const start = this.#pos;
    const whole = s.slice(start);
    this.#pos++;
    let negated = false;
    if (this.#peek() === "^") {
      negated = true;
      this.#pos++;
    }
    const items: string[] = [];
    let first = true;
    while (this.#pos >= s.length || s[this.#pos] !== "]" || first) {
      first = false;
      if (this.#pos >= s.length) this.#fail("missing closing ]", whole);
      if (s.startsWith("[:", this.#pos)) {
        const end = s.indexOf(":]", this.#pos + 2);
        if (end >= 0) {
          const text = s.slice(this.#pos, end + 2);
          let name = s.slice(this.#pos + 2, end);
          const neg = name.startsWith("^");
          if (neg) name = name.slice(1);
          const list = POSIX_CLASSES[name];
          if (list === undefined) this.#fail("invalid character class range", text);
          items.push(classItem(list, neg));
          this.#pos = end + 2;
          continue;
        }
      }
      if (s[this.#pos] === "\\" && (s[this.#pos + 1] === "p" || s[this.#pos + 1] === "P")) {
        items.push(this.#unicodeClass(true));
        continue;
      }
      if (s[this.#pos] === "\\" && /^[dDsSwW]$/.test(s[this.#pos + 1] ?? "")) {
        items.push(this.#perlClass(s[this.#pos + 1]!));
        this.#pos += 2;
        continue;
      }
      const rangeStart = this.#pos;
      const lo = this.#classChar(whole);
      let hi = lo;
      if (s[this.#pos] === "-" && this.#pos + 1 < s.length && s[this.#pos + 1] !== "]") {
        this.#pos++;
        hi = this.#classChar(whole);
        if (hi < lo) this.#fail("invalid character class range", s.slice(rangeStart, this.#pos));
      }
      items.push(lo === hi ? cp(lo) : `${cp(lo)}-${cp(hi)}`);
    }
    this.#pos++;
    return `[${negated ? "^" : ""}${items.join("")}]`;
  }

  #classChar(whole: string): number {
    if (this.#pos >= this.#src.length) this.#fail("missing closing ]", whole);
    if (this.#peek() === "\\") return this.#escape();
    return this.#next();
  }
}

/** A concatenation: runs of case-insensitive pieces share one `(?i:…)`. */
function join(pieces: readonly Piece[]): string {
  let out = "";
  let run = "";
  for (const p of pieces) {
    if (p.fold) {
      run += p.js;
      continue;
    }
    if (run !== "") {
      out += `(?i:${run})`;
      run = "";
    }
    out += p.js;
  }
  return run === "" ? out : `${out}(?i:${run})`;
}
