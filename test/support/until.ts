/** Waiting in a test for something that happens asynchronously (a log line, a delivery, a file). */

/**
 * Polls `probe` every 10 ms until it gives something other than `undefined` or `false`, and resolves with
 * that; fails with `timed out waiting for <what>` after `ms` (a bound for a loaded machine, never a measure of
 * speed). A probe that throws fails at once.
 */
export async function until<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
