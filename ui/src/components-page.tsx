/** `/`: every component with its health (colour and message) and links to its page and live debugging. */
import type { ComponentInfo } from "./api.ts";
import { HealthBadge } from "./health.tsx";
import { componentRoute, debugRoute, Link } from "./router.tsx";
import { usePoll } from "./use-poll.ts";

export function ComponentsPage() {
  const { value, error } = usePoll<ComponentInfo[]>("components", 5000);
  return (
    <section>
      <h1>Components</h1>
      {error !== undefined && <p className="error">{error}</p>}
      {value === undefined ? (
        <p>Loading…</p>
      ) : (
        <table className="components">
          <thead>
            <tr>
              <th>Health</th>
              <th>Component</th>
              <th>Message</th>
              <th>Links</th>
            </tr>
          </thead>
          <tbody>
            {value.map((c) => (
              <tr key={c.localID} data-component={c.localID}>
                <td>
                  <HealthBadge state={c.health.state} />
                </td>
                <td className="mono">
                  <Link to={componentRoute(c.localID)}>{c.localID}</Link>
                </td>
                <td>{c.health.message}</td>
                <td className="links">
                  <Link to={componentRoute(c.localID)}>View</Link>
                  {c.liveDebuggingEnabled && <Link to={debugRoute(c.localID)}>Live debugging</Link>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
