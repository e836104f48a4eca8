/**
 * A worker of `run --workers=N`: an `Agent` without an HTTP server (the primary serves the relay's routes),
 * with `worker: { index, count }` so components know their slot. It loads the config sources its primary
 * sends, answers the primary's questions, forwards the live debugging events the primary's UI watches, and
 * on `shutdown` (or SIGINT/SIGTERM, which a terminal sends to the whole process group) stops its components
 * as one process does and exits 0; a second signal exits at once. SIGHUP is ignored: the primary reloads
 * every worker together. If the primary goes away, node:cluster ends the worker.
 */
import { Agent } from "../runtime/agent.ts";
import { cliRegistry } from "../runtime/cli-registry.ts";
import { errorText } from "../runtime/logging.ts";
import { collectFamilies } from "../runtime/metrics.ts";
import { getComponent, listComponents } from "../server/components-api.ts";
import {
  type FromWorker,
  isToWorker,
  type LoadReply,
  type Request,
  type StatusReply,
  type WorkerSettings,
} from "./protocol.ts";

/** Starts the worker's agent and serves its primary until told to stop. */
export function runWorker(settings: WorkerSettings): void {
  process.title = `profile-relay worker ${settings.index}`; // what ps and top show
  const agent = Agent.create({
    configPath: settings.configPath,
    storagePath: settings.storagePath,
    minStability: settings.minStability,
    stopDeadlineMs: settings.stopDeadlineMs,
    registry: cliRegistry(),
    worker: { index: settings.index, count: settings.count },
  });
  const send = (message: FromWorker): void => {
    if (process.connected) process.send!(message);
  };
  agent.liveDebugging.forwardTo((componentId, event) => send({ type: "live", componentId, event }));

  let stopping = false;
  const stop = (): void => {
    if (stopping) {
      process.exit(1);
    }
    stopping = true;
    agent.shutdown().then(
      () => process.exit(0),
      (err: unknown) => {
        agent.logger.error({ err: errorText(err) }, "shutdown failed");
        agent.flushLogs();
        process.exit(1);
      },
    );
  };
  process.on("SIGHUP", () => {});
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);

  process.on("message", (message: unknown) => {
    if (!isToWorker(message)) return;
    switch (message.type) {
      case "shutdown":
        if (!stopping) stop();
        return;
      case "live":
        agent.liveDebugging.setRemoteWatch(new Set(message.watched), message.counting);
        return;
      case "request":
        answer(agent, message.request).then(
          (value) => send({ type: "reply", id: message.id, value }),
          (err: unknown) => send({ type: "reply", id: message.id, value: undefined, error: errorText(err) }),
        );
    }
  });
  send({ type: "up" });
}

async function answer(agent: Agent, request: Request): Promise<unknown> {
  switch (request.kind) {
    case "load": {
      const outcome = await agent.loadSources(request.sources);
      const reply: LoadReply = {
        error: outcome.error,
        diagnostics: outcome.diagnostics,
        logging: agent.loggingConfig,
        liveDebugging: agent.liveDebugging.enabled,
      };
      return reply;
    }
    case "status": {
      const reply: StatusReply = {
        unhealthy: agent.unhealthyComponentNames(),
        components: listComponents(agent.controller, agent.liveDebugging),
      };
      return reply;
    }
    case "metrics":
      return collectFamilies(agent.metricsSources());
    case "componentMetrics": {
      const node = agent.controller.node(request.id);
      return node === undefined ? undefined : node.registry.getMetricsAsJSON();
    }
    case "component":
      return getComponent(agent.controller, request.id, agent.liveDebugging);
  }
}
