/**
 * The set-up most `pyroscope.write` tests start with: a fake Pyroscope answering as the test programs it, and
 * the component with one endpoint on it. Both are stopped by the caller's clean-up (a test's `t`, or
 * `{ after }` of `node:test`), the fake first, as the tests did when they wrote it out.
 */
import type { EndpointArguments } from "../../src/components/pyroscope/write/arguments.ts";
import {
  endpointArgs,
  type RunningWrite,
  startWrite,
  writeArgs,
} from "../../src/components/pyroscope/write/test-harness.ts";
import type { Cleanup } from "./cleanup.ts";
import { type FakePyroscope, type FakePyroscopeOptions, startFakePyroscope } from "./fake-pyroscope.ts";

/** A fake backend and the running component that writes to it. */
export interface WriteToFake {
  readonly fake: FakePyroscope;
  readonly w: RunningWrite;
}

/** Starts the fake (`fakeOptions`), then `pyroscope.write` with one endpoint on it (defaults plus `endpoint`). */
export async function startWriteToFake(
  cleanup: Cleanup,
  fakeOptions: FakePyroscopeOptions = {},
  endpoint: Partial<EndpointArguments> = {},
): Promise<WriteToFake> {
  const fake = await startFakePyroscope(fakeOptions);
  cleanup.after(() => fake.close());
  const w = await startWrite(writeArgs({ endpoint: [endpointArgs({ url: fake.url, ...endpoint })] }));
  cleanup.after(() => w.stop());
  return { fake, w };
}
