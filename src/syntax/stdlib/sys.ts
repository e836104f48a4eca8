/** The `sys` namespace: `sys.env(name)`, the value of an environment variable or `""` when it is unset. */
import type { AlloyFunction, Value } from "../value.ts";
import { fixedFunction, stringArgument } from "./args.ts";

/** `sys.env(name)`: Go `os.Getenv`. */
export const env: AlloyFunction = fixedFunction(
  "sys.env",
  1,
  (args) => process.env[stringArgument(args, 0)] ?? "",
);

/** The namespace object. */
export const sysNamespace: ReadonlyMap<string, Value> = new Map<string, Value>([["env", env]]);
