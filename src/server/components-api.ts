/**
 * The components API (`/api/v0/web/components` and `/api/v0/web/components/{id}`), with the JSON shape of
 * Alloy's `component.Info.MarshalJSON`; the web UI sits on it. In the list, `arguments`, `exports` and
 * `debugInfo` are empty bodies, as Alloy sends them; the detail view fills `arguments` and `exports` with
 * their alloyjson encoding (secrets as `(secret)`, defaults left out). `liveDebuggingEnabled` says, as in
 * Alloy, whether the component supports live debugging (publishes to the hub), not whether it is on.
 */
import { encodeBody, encodeExports, type JSONStatement } from "../runtime/alloyjson.ts";
import type { ComponentNode } from "../runtime/component-node.ts";
import type { Controller } from "../runtime/controller.ts";
import type { LiveDebugging } from "../runtime/livedebugging/hub.ts";

/** One component as the API shows it. */
export interface ComponentJSON {
  readonly name: string;
  readonly type: "block";
  readonly localID: string;
  readonly moduleID: string;
  readonly label: string;
  readonly referencesTo: readonly string[];
  readonly referencedBy: readonly string[];
  readonly dataFlowEdgesTo: readonly string[];
  readonly health: { readonly state: string; readonly message: string; readonly updatedTime: string };
  readonly original: string;
  readonly arguments: readonly JSONStatement[];
  readonly exports: readonly JSONStatement[];
  readonly debugInfo: readonly JSONStatement[];
  readonly liveDebuggingEnabled: boolean;
}

/** Every component of the running config, dependencies first. */
export function listComponents(controller: Controller, live?: LiveDebugging): ComponentJSON[] {
  return controller.nodes().map((n) => componentJSON(controller, n, false, live));
}

/** One component with its arguments and exports; `undefined` when there is no such component. */
export function getComponent(
  controller: Controller,
  id: string,
  live?: LiveDebugging,
): ComponentJSON | undefined {
  const node = controller.node(id);
  return node === undefined ? undefined : componentJSON(controller, node, true, live);
}

function componentJSON(
  controller: Controller,
  node: ComponentNode,
  detail: boolean,
  live: LiveDebugging | undefined,
): ComponentJSON {
  const health = node.health();
  const referencesTo = controller.referencesTo(node.id);
  return {
    name: node.name,
    type: "block",
    localID: node.id,
    moduleID: "",
    label: node.label,
    referencesTo,
    referencedBy: controller.referencedBy(node.id),
    dataFlowEdgesTo: referencesTo,
    health: { state: health.state, message: health.message, updatedTime: health.updatedTime.toISOString() },
    original: "",
    arguments: detail && node.args !== undefined ? encodeBody(node.registration.args, node.args) : [],
    exports: detail ? encodeExports(node.exports) : [],
    debugInfo: [],
    liveDebuggingEnabled: live?.supports(node.id) ?? false,
  };
}
