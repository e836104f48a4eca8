/**
 * A byte buffer that grows as data arrives and holds from the in-flight budget exactly what it has allocated,
 * reserved before each allocation. Used for request bodies and for what a gzip body inflates to, so that
 * memory follows the budget: nothing is reserved for bytes that have not arrived (a `Content-Length` alone
 * reserves nothing), and every copy that exists at once is counted.
 *
 * The capacity doubles from the first chunk's size, never past `capacityHint` (the final size, or the largest
 * allowed, when known), so one request holds at most twice what it has received, and a body of known length
 * ends in one buffer of exactly that length. The buffer owns its memory (no pool), so the buffer a growth
 * copied from, and a discarded one, are freed at once rather than left as garbage for the GC.
 *
 * A body of known length that arrives in one chunk (most profiles up to ~64 KB: Node's HTTP/1 parser hands
 * each read's body bytes over in a buffer of their own) is kept as that chunk, not copied: one allocation and
 * one copy fewer per request, and half the body-sized garbage between collections.
 */
import type { InflightBudget } from "./limits.ts";

/** Bytes collected under a budget. `take` hands the bytes and their reservation to the caller. */
export class BudgetedBuffer {
  readonly #budget: InflightBudget;
  readonly #hint: number | undefined;
  #buffer: Buffer | undefined;
  #length = 0;
  #reserved = 0;
  /** Whether `#buffer` is a chunk handed to `append` (kept as it is) rather than one allocated here. */
  #adopted = false;

  /** `capacityHint`: the final size when known (a declared `Content-Length`), or the largest allowed. */
  constructor(budget: InflightBudget, capacityHint?: number) {
    this.#budget = budget;
    this.#hint = capacityHint;
  }

  get length(): number {
    return this.#length;
  }

  /** Bytes of the budget held now. */
  get reserved(): number {
    return this.#reserved;
  }

  /** Appends `chunk`; false (and nothing changed) when growing would go over the budget. */
  append(chunk: Uint8Array): boolean {
    if (this.#buffer === undefined && chunk.length === this.#hint && ownsWholeMemory(chunk)) {
      // the whole body in one buffer of its own: keep it rather than copy it
      if (!this.#budget.tryReserve(chunk.length)) return false;
      this.#buffer = Buffer.from(chunk.buffer, 0, chunk.length);
      this.#adopted = true;
      this.#length = chunk.length;
      this.#reserved = chunk.length;
      return true;
    }
    const need = this.#length + chunk.length;
    const capacity = this.#buffer?.length ?? 0;
    if (need > capacity) {
      let next = Math.max(need, capacity * 2);
      if (this.#hint !== undefined && need <= this.#hint) next = Math.min(next, this.#hint);
      // the growth is reserved before the new buffer exists; when doubling does not fit, all that is left
      if (!this.#budget.tryReserve(next - capacity)) {
        const most = Math.min(next, capacity + this.#budget.available);
        if (most < need || !this.#budget.tryReserve(most - capacity)) return false;
        next = most;
      }
      const grown = Buffer.allocUnsafeSlow(next);
      if (this.#buffer !== undefined) {
        this.#buffer.copy(grown, 0, 0, this.#length);
        // frees the old memory at once: no garbage left for the GC
        if (!this.#adopted) detach(this.#buffer);
      }
      this.#buffer = grown;
      this.#adopted = false;
      this.#reserved = next;
    }
    (this.#buffer as Buffer).set(chunk, this.#length);
    this.#length = need;
    return true;
  }

  /**
   * The bytes collected (a view of the buffer) and the budget they hold, which passes to the caller (who
   * releases it when the bytes are no longer needed). The buffer is empty afterwards.
   */
  take(): { readonly bytes: Buffer; readonly reserved: number } {
    const bytes = this.#buffer === undefined ? Buffer.alloc(0) : this.#buffer.subarray(0, this.#length);
    const reserved = this.#reserved;
    this.#buffer = undefined;
    this.#adopted = false;
    this.#length = 0;
    this.#reserved = 0;
    return { bytes, reserved };
  }

  /** Drops the bytes, frees their memory at once, and gives their budget back. */
  discard(): void {
    if (this.#buffer !== undefined && !this.#adopted) detach(this.#buffer);
    this.#budget.release(this.#reserved);
    this.#buffer = undefined;
    this.#adopted = false;
    this.#length = 0;
    this.#reserved = 0;
  }
}

/** Whether `chunk` is the whole of its memory (not a view into a larger or shared one), so keeping it holds no more. */
function ownsWholeMemory(chunk: Uint8Array): boolean {
  return (
    chunk.byteOffset === 0 && chunk.buffer.byteLength === chunk.length && chunk.buffer instanceof ArrayBuffer
  );
}

/**
 * Frees a buffer's memory now rather than at the next GC, by moving its bytes out with
 * `ArrayBuffer.prototype.transfer(0)` (ES2024; TypeScript's ES2023 library lacks it). `buffer` must own its
 * whole `ArrayBuffer` (`allocUnsafeSlow`) and nothing else may use it.
 */
function detach(buffer: Buffer): void {
  (buffer.buffer as ArrayBuffer & { transfer(length: number): ArrayBuffer }).transfer(0);
}
