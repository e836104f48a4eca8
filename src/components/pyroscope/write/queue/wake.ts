/**
 * A wake-up call for a loop that sleeps until there is work: `notify()` wakes the current (or the next)
 * `wait()`, which also ends after an optional timeout. Notifications while nobody waits are remembered once.
 */
export class Wake {
  #resolve: (() => void) | undefined;
  #pending = false;

  /** Wakes the waiter, or the next one when nobody waits. */
  notify(): void {
    const resolve = this.#resolve;
    if (resolve === undefined) {
      this.#pending = true;
      return;
    }
    this.#resolve = undefined;
    resolve();
  }

  /** Resolves on the next `notify()` (at once if one came since the last wait) or after `timeoutMs`. */
  wait(timeoutMs?: number): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              this.#resolve = undefined;
              resolve();
            }, timeoutMs);
      this.#resolve = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
