/**
 * The connect handler of one RPC (push's `Push`, OTLP's gRPC `Export`), built with the body limit in force and
 * rebuilt only when that limit changes: connect fixes `readMaxBytes` when a router is created, while the
 * limit follows the component's arguments. Bodies are gunzipped within the in-flight budget (`budgetedGzip`).
 */
import { type ConnectRouter, type ConnectRouterOptions, createConnectRouter } from "@connectrpc/connect";
import type { UniversalHandler } from "@connectrpc/connect/protocol";
import { budgetedGzip } from "./inflate.ts";

/** A function of the body limit (0: none) to the handler at `path` of what `register` puts on a router. */
export function handlerByLimit(
  path: string,
  options: Omit<ConnectRouterOptions, "acceptCompression" | "readMaxBytes">,
  register: (router: ConnectRouter) => void,
): (readMaxBytes: number) => UniversalHandler {
  let built: { readonly limit: number; readonly handler: UniversalHandler } | undefined;
  return (readMaxBytes) => {
    if (built?.limit !== readMaxBytes) {
      const router = createConnectRouter({
        ...options,
        acceptCompression: [budgetedGzip],
        ...(readMaxBytes > 0 ? { readMaxBytes } : {}),
      });
      register(router);
      const handler = router.handlers.find((h) => h.requestPath === path);
      if (handler === undefined) throw new Error(`no handler for ${path}`);
      built = { limit: readMaxBytes, handler };
    }
    return built.handler;
  };
}
