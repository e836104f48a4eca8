/**
 * Errors raised inside functions (stdlib or exported by components). The evaluator turns them into
 * diagnostics composed the way Alloy composes them:
 * - `FunctionError`: prefixed with the callee's source text and positioned at the call
 *   (`encoding.to_json jsonEncode only supports map`, `sys.env expected 1 args, got 0`);
 * - `ArgumentError`: prefixed with the offending argument's source text and positioned at that argument
 *   (`2 should be array, got number`, `secret_val secrets may not be converted into strings`).
 */
export class FunctionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FunctionError";
  }
}

export class ArgumentError extends Error {
  /** 0-based index of the argument the error is about. */
  readonly argIndex: number;
  /** A path into the argument's value (`[2]`, `.field`), printed between its text and the message. */
  readonly path: string;

  constructor(argIndex: number, message: string, path = "") {
    super(message);
    this.name = "ArgumentError";
    this.argIndex = argIndex;
    this.path = path;
  }
}
