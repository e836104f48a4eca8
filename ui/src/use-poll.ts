/** Polls a JSON API path every `intervalMs`, keeping the last value and error. */
import { useEffect, useState } from "react";
import { getJSON } from "./api.ts";

/** The last value (or error) of `path`, refreshed every `intervalMs`. */
export function usePoll<T>(
  path: string,
  intervalMs: number,
): { value: T | undefined; error: string | undefined } {
  const [state, setState] = useState<{ value: T | undefined; error: string | undefined }>({
    value: undefined,
    error: undefined,
  });
  useEffect(() => {
    let stopped = false;
    const load = () =>
      getJSON<T>(path).then(
        (value) => !stopped && setState({ value, error: undefined }),
        (err: unknown) => !stopped && setState((s) => ({ value: s.value, error: String(err) })),
      );
    void load();
    const timer = setInterval(load, intervalMs);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [path, intervalMs]);
  return state;
}
