/** The flamegraph of a selected event: a sample type picker and d3-flame-graph's chart. */
import flamegraph from "d3-flame-graph";
import { select } from "d3-selection";
import { useEffect, useRef, useState } from "react";
import type { EventJSON } from "./api.ts";
import { type Decoded, loadProfile } from "./flamegraph.ts";

export function FlameView(props: { readonly event: EventJSON }) {
  const { event } = props;
  const [index, setIndex] = useState(0);
  const [decoded, setDecoded] = useState<Decoded | undefined>();
  const [sampleType, setSampleType] = useState(0);
  const [error, setError] = useState<string | undefined>();
  const chart = useRef<HTMLDivElement>(null);

  useEffect(() => {
    let stale = false;
    setDecoded(undefined);
    setError(undefined);
    setSampleType(0);
    loadProfile(event, index).then(
      (d) => {
        if (stale) return;
        // the last sample type is the one Pyroscope shows first (cpu, wall, inuse_space)
        setSampleType(Math.max(0, d.sampleTypes.length - 1));
        setDecoded(d);
      },
      (err: unknown) => !stale && setError(err instanceof Error ? err.message : String(err)),
    );
    return () => {
      stale = true;
    };
  }, [event, index]);

  useEffect(() => {
    const el = chart.current;
    if (el === null || decoded === undefined) return;
    el.replaceChildren();
    const fg = flamegraph()
      .width(Math.max(400, el.clientWidth))
      .cellHeight(18)
      .minFrameSize(2)
      .transitionDuration(0)
      .sort(true);
    select(el).datum(decoded.tree(sampleType)).call(fg);
    return () => {
      fg.destroy();
      el.replaceChildren();
    };
  }, [decoded, sampleType]);

  return (
    <div className="flame">
      <div className="toolbar">
        {event.profiles > 1 && (
          <label>
            Profile{" "}
            <select value={index} onChange={(e) => setIndex(Number(e.target.value))}>
              {Array.from({ length: event.profiles }, (_, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: the profiles of an event are numbered
                <option key={i} value={i}>
                  {i + 1} of {event.profiles}
                </option>
              ))}
            </select>
          </label>
        )}
        {decoded !== undefined && (
          <label>
            Sample type{" "}
            <select
              aria-label="Sample type"
              value={sampleType}
              onChange={(e) => setSampleType(Number(e.target.value))}
            >
              {decoded.sampleTypes.map((t, i) => (
                <option key={t} value={i}>
                  {t}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      {error !== undefined && <p className="notice">{error}</p>}
      {decoded === undefined && error === undefined && <p className="muted">Loading the profile…</p>}
      <div ref={chart} className="flame-chart" />
    </div>
  );
}
