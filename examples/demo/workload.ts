/**
 * What the demo service does all day: a made-up shop's request handlers, written so that profiles have
 * something to show. `checkout` burns CPU (hashing and sorting), `catalog` allocates (building and
 * serialising objects) and keeps a bounded cache alive, so the heap profile has in-use memory too.
 */
import { createHash } from "node:crypto";

/** Objects kept alive between requests (the heap profile's `inuse_space`), bounded so memory stays flat. */
const cache: string[] = [];
const CACHE_LIMIT = 200;

/** CPU-heavy: hashes a chain of strings and sorts the digests. Returns a checksum so nothing is optimised away. */
export function checkout(items: number): number {
  const digests: string[] = [];
  let seed = `order-${items}`;
  for (let i = 0; i < items * 40; i++) {
    seed = createHash("sha256").update(seed).digest("hex");
    digests.push(seed);
  }
  digests.sort();
  return primesBelow(items * 200) + digests.length;
}

/** Counts primes by trial division: deliberately slow, so it shows up as its own frame. */
function primesBelow(limit: number): number {
  let count = 0;
  for (let n = 2; n < limit; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) {
      if (n % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) count++;
  }
  return count;
}

/** Allocation-heavy: builds a page of products, serialises it, and caches the result. Returns its length. */
export function catalog(products: number): number {
  const page = Array.from({ length: products }, (_, i) => ({
    id: i,
    name: `product-${i}`,
    tags: ["demo", "profile", `group-${i % 7}`],
    price: { amount: (i * 37) % 1000, currency: "EUR" },
  }));
  const json = JSON.stringify(page);
  cache.push(json);
  if (cache.length > CACHE_LIMIT) cache.shift();
  return json.length;
}
