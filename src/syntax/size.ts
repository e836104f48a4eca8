/**
 * Byte sizes for attributes typed `size` (`"256MiB"`, `"1GB"`, or a plain number of bytes).
 *
 * The grammar is that of `github.com/alecthomas/units` (what Alloy and dskit use): an optional fraction and
 * a unit, repeatable (`"1MiB512KiB"`). The unit meanings follow its `ParseStrictBytes`: `KiB`, `MiB`, … are
 * powers of 1024 and `kB`/`KB`, `MB`, … powers of 1000. (Alloy's `Base2Bytes` attributes read `KB`/`MB` as
 * 1024; the strict reading was chosen because profile-relay's sizes are its own and the IEC units say what
 * they mean.) Bare `K`/`M`/`G` and `Ki`/`Mi`/`Gi` are not accepted, as in that package. A plain integer is
 * a number of bytes.
 */

const DECIMAL: ReadonlyArray<readonly [string, number]> = [
  ["PB", 1000 ** 5],
  ["TB", 1000 ** 4],
  ["GB", 1000 ** 3],
  ["MB", 1000 ** 2],
  ["KB", 1000],
];

const BINARY: ReadonlyArray<readonly [string, number]> = [
  ["PiB", 1024 ** 5],
  ["TiB", 1024 ** 4],
  ["GiB", 1024 ** 3],
  ["MiB", 1024 ** 2],
  ["KiB", 1024],
];

const UNITS: ReadonlyMap<string, number> = new Map([
  ["B", 1],
  ["kB", 1000],
  ["EB", 1000 ** 6],
  ["EiB", 1024 ** 6],
  ...DECIMAL,
  ...BINARY,
]);

const UNIT_LIST = "B, KB, MB, GB, TB, PB (powers of 1000) and KiB, MiB, GiB, TiB, PiB (powers of 1024)";

/**
 * Parses a size into a whole number of bytes (fractions of a byte are dropped). Throws an `Error` naming
 * the accepted units for anything else: `invalid size "10XB": unknown unit "XB" (accepted units: …)`.
 */
export function parseSize(text: string): number {
  const fail = (why: string) =>
    new Error(`invalid size ${JSON.stringify(text)}: ${why} (accepted units: ${UNIT_LIST})`);
  if (/^\d+$/.test(text)) return checked(Number(text), fail);
  let s = text;
  if (s.startsWith("-")) throw fail("a size cannot be negative");
  if (s.startsWith("+")) s = s.slice(1);
  if (s === "0") return 0;
  if (s === "") throw fail("expected a number of bytes or a number with a unit");
  let total = 0;
  while (s !== "") {
    const m = /^(\d*)(?:\.(\d*))?/.exec(s) as RegExpExecArray;
    const [whole = "", frac] = [m[1], m[2]];
    if (whole === "" && (frac === undefined || frac === "")) throw fail("expected a number");
    s = s.slice(m[0].length);
    const unitMatch = /^[^.\d]*/.exec(s) as RegExpExecArray;
    const unit = unitMatch[0];
    s = s.slice(unit.length);
    if (unit === "") throw fail("missing unit");
    const scale = UNITS.get(unit);
    if (scale === undefined) throw fail(`unknown unit ${JSON.stringify(unit)}`);
    total += Number(`${whole || "0"}.${frac ?? ""}0`) * scale;
  }
  return checked(Math.trunc(total), fail);
}

function checked(n: number, fail: (why: string) => Error): number {
  if (!Number.isSafeInteger(n)) throw fail("too large");
  return n;
}

/** A size in its shortest exact unit: `256MiB`, `1GB`, `1500B`, `0B`. `parseSize` reads it back. */
export function formatSize(bytes: number): string {
  if (bytes === 0) return "0B";
  for (const [unit, scale] of [...BINARY, ...DECIMAL]) {
    if (bytes % scale === 0) return `${bytes / scale}${unit}`;
  }
  return `${bytes}B`;
}
