/**
 * `/debug/{id}`: live debugging of the profiles passing a component, newest first (time, route, labels,
 * format, size, outcome per downstream), with pause, clear, a label filter and sampling; selecting a row
 * draws its flamegraph. Says how to turn live debugging on when it is off.
 */
import { useEffect, useMemo, useRef, useState } from "react";
import { type EventJSON, formatBytes, readStream } from "./api.ts";
import { FlameView } from "./flame-view.tsx";
import { componentRoute, Link } from "./router.tsx";

/** Rows kept on the page. */
const MAX_ROWS = 500;
const SAMPLING: readonly { readonly label: string; readonly value: string }[] = [
  { label: "all", value: "1" },
  { label: "50%", value: "0.5" },
  { label: "10%", value: "0.1" },
  { label: "1%", value: "0.01" },
];

/** Whether an event's labels match a filter: `name=value` pairs (all must hold) or free text. */
function matches(event: EventJSON, filter: string): boolean {
  const terms = filter
    .trim()
    .split(/[\s,]+/)
    .filter(Boolean);
  return terms.every((term) => {
    const eq = term.indexOf("=");
    if (eq > 0) return event.labels[term.slice(0, eq)] === term.slice(eq + 1);
    return Object.entries(event.labels).some(([k, v]) => k.includes(term) || v.includes(term));
  });
}

function Outcomes(props: { readonly event: EventJSON }) {
  if (props.event.outcomes.length === 0) return <span className="muted">–</span>;
  return (
    <>
      {props.event.outcomes.map((o, i) => (
        <span
          // biome-ignore lint/suspicious/noArrayIndexKey: outcomes have no identity besides their order
          key={i}
          className={`outcome outcome-${o.state}`}
          title={o.reason ?? ""}
        >
          {o.target}: {o.state}
          {o.httpStatus !== undefined ? ` (${o.httpStatus})` : ""}
          {o.reason !== undefined ? ` – ${o.reason}` : ""}
        </span>
      ))}
    </>
  );
}

export function DebugPage(props: { readonly id: string }) {
  const { id } = props;
  const [events, setEvents] = useState<EventJSON[]>([]);
  const [error, setError] = useState<string | undefined>();
  const [paused, setPaused] = useState(false);
  const [filter, setFilter] = useState("");
  const [sampleProb, setSampleProb] = useState("1");
  const [dropped, setDropped] = useState(0);
  const [selected, setSelected] = useState<EventJSON | undefined>();
  const pausedRef = useRef(paused);
  pausedRef.current = paused;

  useEffect(() => {
    const abort = new AbortController();
    setError(undefined);
    readStream(`debug/${encodeURIComponent(id)}?sampleProb=${sampleProb}`, abort.signal, (chunk) => {
      if (chunk === undefined) return;
      const c = chunk as EventJSON | { dropped: number };
      if ("dropped" in c) {
        setDropped((d) => d + c.dropped);
        return;
      }
      if (pausedRef.current) return;
      setEvents((list) => [c, ...list.filter((e) => e.seq !== c.seq)].slice(0, MAX_ROWS));
    }).then(
      () =>
        !abort.signal.aborted &&
        setError("The stream ended (live debugging was turned off or the relay stopped)."),
      (err: unknown) => setError(err instanceof Error ? err.message : String(err)),
    );
    return () => abort.abort();
  }, [id, sampleProb]);

  const shown = useMemo(() => events.filter((e) => matches(e, filter)), [events, filter]);

  return (
    <section className="debug">
      <h1>
        Live debugging: <Link to={componentRoute(id)}>{id}</Link>
      </h1>
      {error !== undefined && (
        <div className="notice">
          <p>{error}</p>
          {error.includes("disabled") && (
            <>
              <p>
                Live debugging is off by default. To turn it on, add this block to the config and reload (
                <code>POST /-/reload</code> or SIGHUP):
              </p>
              <pre className="alloy">{"livedebugging {\n  enabled = true\n}"}</pre>
            </>
          )}
        </div>
      )}
      {(error === undefined || events.length > 0) && (
        <>
          <div className="toolbar">
            <button type="button" onClick={() => setPaused((p) => !p)}>
              {paused ? "Resume" : "Pause"}
            </button>
            <button
              type="button"
              onClick={() => {
                setEvents([]);
                setSelected(undefined);
                setDropped(0);
              }}
            >
              Clear
            </button>
            <input
              type="search"
              placeholder="Filter by label: service_name=api env=prod"
              value={filter}
              onChange={(e) => setFilter(e.target.value)}
              aria-label="Filter by label"
            />
            <label>
              Sampling{" "}
              <select
                value={sampleProb}
                onChange={(e) => setSampleProb(e.target.value)}
                aria-label="Sampling"
              >
                {SAMPLING.map((s) => (
                  <option key={s.value} value={s.value}>
                    {s.label}
                  </option>
                ))}
              </select>
            </label>
            <span className="muted">
              {shown.length} shown{paused ? " · paused" : ""}
              {dropped > 0 ? ` · ${dropped} dropped (this viewer was too slow)` : ""}
            </span>
          </div>
          <div className="debug-body">
            <table className="events">
              <thead>
                <tr>
                  <th>Time</th>
                  <th>Route</th>
                  <th>Labels</th>
                  <th>Format</th>
                  <th>Size</th>
                  <th>Outcome</th>
                </tr>
              </thead>
              <tbody>
                {shown.map((e) => (
                  <tr
                    key={e.seq}
                    className={selected?.seq === e.seq ? "selected event" : "event"}
                    onClick={() => setSelected(e)}
                  >
                    <td className="mono nowrap">{new Date(e.time).toLocaleTimeString()}</td>
                    <td>{e.route}</td>
                    <td className="labels">
                      {Object.entries(e.labels).map(([k, v]) => (
                        <span key={k} className="label">
                          {k}={v}
                        </span>
                      ))}
                    </td>
                    <td>{e.format}</td>
                    <td className="nowrap">{formatBytes(e.size)}</td>
                    <td>
                      <Outcomes event={e} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {shown.length === 0 && error === undefined && (
              <p className="muted">Waiting for profiles to pass through {id}…</p>
            )}
          </div>
        </>
      )}
      {selected !== undefined && (
        <div className="selected-profile">
          <h2>
            Flamegraph of {selected.labels["service_name"] ?? "profile"} at{" "}
            {new Date(selected.time).toLocaleTimeString()}
          </h2>
          <FlameView event={selected} />
        </div>
      )}
    </section>
  );
}
