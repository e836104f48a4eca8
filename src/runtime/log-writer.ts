/**
 * Writes log lines to a file descriptor (standard error) synchronously when it can, without ever throwing
 * or blocking when it cannot. Standard error is often a pipe to a supervisor or a log shipper; when the
 * reader falls behind, a synchronous write to a non-blocking pipe fails with `EAGAIN` or writes only part of
 * the line. A log call must not crash the relay or lose half a line because of that: what cannot be written
 * now is kept (up to a bound) and written as soon as the pipe takes it; past the bound, lines are dropped and
 * a line says how many.
 */
import { writeSync as fsWriteSync } from "node:fs";

/** The most bytes held back while the descriptor is not writable. */
export const MAX_PENDING_BYTES = 8 * 1024 * 1024;

/** How often a held-back backlog is retried. */
const RETRY_MS = 5;

type WriteSync = (fd: number, buffer: Uint8Array, offset: number, length: number) => number;

/** Options for tests: a stand-in for `fs.writeSync`. */
export interface FdWriterOptions {
  readonly writeSync?: WriteSync;
  readonly maxPendingBytes?: number;
}

/** A line writer for `fd`. The returned function never throws. */
export function createFdWriter(fd: number, options: FdWriterOptions = {}): (text: string) => void {
  const writeSync: WriteSync = options.writeSync ?? ((f, b, o, l) => fsWriteSync(f, b, o, l));
  const maxPending = options.maxPendingBytes ?? MAX_PENDING_BYTES;
  const pending: Buffer[] = [];
  let pendingBytes = 0;
  let dropped = 0;
  let timer: NodeJS.Timeout | undefined;

  /** Writes as much of `buf` as the descriptor takes; returns the unwritten rest (empty when all went). */
  const writeSome = (buf: Buffer): Buffer => {
    let offset = 0;
    while (offset < buf.length) {
      let n: number;
      try {
        n = writeSync(fd, buf, offset, buf.length - offset);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "EAGAIN" || code === "EWOULDBLOCK") return buf.subarray(offset);
        // EPIPE, EBADF, ...: nobody is reading; there is nowhere to write logs to.
        return Buffer.alloc(0);
      }
      offset += n;
    }
    return Buffer.alloc(0);
  };

  const drain = (): void => {
    timer = undefined;
    if (dropped > 0) {
      const note = Buffer.from(
        `level=warn msg="log lines dropped: the log output was not being read" count=${dropped}\n`,
      );
      dropped = 0;
      pending.push(note);
      pendingBytes += note.length;
    }
    while (pending.length > 0) {
      const head = pending[0]!;
      const rest = writeSome(head);
      pendingBytes -= head.length - rest.length;
      if (rest.length > 0) {
        pending[0] = rest;
        schedule();
        return;
      }
      pending.shift();
    }
  };

  const schedule = (): void => {
    if (timer === undefined) {
      timer = setTimeout(drain, RETRY_MS);
      timer.unref();
    }
  };

  return (text: string): void => {
    const buf = Buffer.from(text);
    if (pending.length > 0) {
      if (pendingBytes + buf.length > maxPending) {
        dropped++;
        return;
      }
      pending.push(buf);
      pendingBytes += buf.length;
      return;
    }
    const rest = writeSome(buf);
    if (rest.length > 0) {
      pending.push(rest);
      pendingBytes += rest.length;
      schedule();
    }
  };
}
