/**
 * `/component/{id}`: health and message, the evaluated arguments and exports, references in and out, links
 * to the docs and live debugging, and the component's own figures as rates (polled totals).
 */
import { useEffect, useRef, useState } from "react";
import { AlloyBody } from "./alloy-value.tsx";
import { type ComponentInfo, type Figures, formatBytes } from "./api.ts";
import { HealthBadge } from "./health.tsx";
import { componentRoute, debugRoute, Link } from "./router.tsx";
import { usePoll } from "./use-poll.ts";

const FIGURES_INTERVAL_MS = 2000;

/** Alloy's reference page of a component; profile-relay's own components have none there. */
function docsURL(name: string): string | undefined {
  if (name === "pyroscope.capture") return undefined;
  return `https://grafana.com/docs/alloy/latest/reference/components/${name.split(".")[0]}/${name}/`;
}

/** Per-second rates between the last two polls of the figures. */
function useRates(id: string) {
  const { value } = usePoll<Figures>(`figures/${encodeURIComponent(id)}`, FIGURES_INTERVAL_MS);
  const last = useRef<{ at: number; figures: Figures } | undefined>(undefined);
  const [rates, setRates] = useState<{ profiles: number; bytes: number; errors: number } | undefined>();
  useEffect(() => {
    if (value === undefined) return;
    const now = performance.now();
    const prev = last.current;
    if (prev !== undefined && now > prev.at) {
      const s = (now - prev.at) / 1000;
      setRates({
        profiles: Math.max(0, value.profiles - prev.figures.profiles) / s,
        bytes: Math.max(0, value.bytes - prev.figures.bytes) / s,
        errors: Math.max(0, value.errors - prev.figures.errors) / s,
      });
    }
    last.current = { at: now, figures: value };
  }, [value]);
  return { figures: value, rates };
}

function FiguresView(props: { readonly id: string }) {
  const { figures, rates } = useRates(props.id);
  if (figures === undefined) return <p className="muted">Loading figures…</p>;
  return (
    <>
      <div className="figures">
        <div className="figure">
          <span className="figure-value">{rates === undefined ? "…" : rates.profiles.toFixed(2)}</span>
          <span className="figure-label">profiles/s</span>
          <span className="muted">{figures.profiles} in total</span>
        </div>
        <div className="figure">
          <span className="figure-value">{rates === undefined ? "…" : `${formatBytes(rates.bytes)}/s`}</span>
          <span className="figure-label">bytes/s</span>
          <span className="muted">{formatBytes(figures.bytes)} in total</span>
        </div>
        <div className="figure">
          <span className="figure-value">{rates === undefined ? "…" : rates.errors.toFixed(2)}</span>
          <span className="figure-label">errors/s</span>
          <span className="muted">{figures.errors} in total</span>
        </div>
      </div>
      {figures.endpoints.length > 0 && (
        <table className="endpoints">
          <thead>
            <tr>
              <th>Endpoint</th>
              <th>Sent</th>
              <th>Retried</th>
              <th>Dropped</th>
              <th>Queue depth</th>
              <th>Oldest queued</th>
            </tr>
          </thead>
          <tbody>
            {figures.endpoints.map((e) => (
              <tr key={e.endpoint}>
                <td className="mono">{e.endpoint}</td>
                <td>
                  {e.sentProfiles} ({formatBytes(e.sentBytes)})
                </td>
                <td>{e.retries}</td>
                <td>{e.droppedProfiles}</td>
                <td>{e.queueItems}</td>
                <td>{e.oldestAgeSeconds > 0 ? `${e.oldestAgeSeconds.toFixed(0)} s` : "–"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function References(props: { readonly ids: readonly string[] }) {
  if (props.ids.length === 0) return <p className="muted">None</p>;
  return (
    <ul>
      {props.ids.map((id) => (
        <li key={id} className="mono">
          <Link to={componentRoute(id)}>{id}</Link>
        </li>
      ))}
    </ul>
  );
}

export function ComponentPage(props: { readonly id: string }) {
  const { value: c, error } = usePoll<ComponentInfo>(`components/${encodeURIComponent(props.id)}`, 5000);
  if (c === undefined) return error === undefined ? <p>Loading…</p> : <p className="error">{error}</p>;
  const docs = docsURL(c.name);
  return (
    <section className="component">
      <h1 className="mono">{c.localID}</h1>
      <p className="links">
        {docs !== undefined && (
          <a href={docs} target="_blank" rel="noreferrer">
            Documentation
          </a>
        )}
        {c.liveDebuggingEnabled && <Link to={debugRoute(c.localID)}>Live debugging</Link>}
      </p>
      <h2>Health</h2>
      <p className="health-line">
        <HealthBadge state={c.health.state} /> <span>{c.health.message}</span>{" "}
        <span className="muted">(since {new Date(c.health.updatedTime).toLocaleString()})</span>
      </p>
      <h2>Figures</h2>
      <FiguresView id={c.localID} />
      <h2>Arguments</h2>
      <AlloyBody body={c.arguments} empty="All arguments have their default values." />
      <h2>Exports</h2>
      <AlloyBody body={c.exports} empty="No exports." />
      <div className="refs">
        <div>
          <h2>References (out)</h2>
          <References ids={c.referencesTo} />
        </div>
        <div>
          <h2>Referenced by (in)</h2>
          <References ids={c.referencedBy} />
        </div>
      </div>
    </section>
  );
}
