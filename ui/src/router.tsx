/**
 * A small client-side router for the four pages: the path below the `<base>` (the UI prefix) picks the
 * page; links are plain `<a>` with relative hrefs, turned into history navigation.
 */
import { type MouseEvent, type ReactNode, useEffect, useState } from "react";

/** The path below the UI prefix, without a leading `/` (`""`, `component/x`, `graph`, `debug/x`). */
export function currentRoute(): string {
  const base = new URL(document.baseURI).pathname;
  const path = window.location.pathname;
  return decodeURIComponent(path.startsWith(base) ? path.slice(base.length) : path.replace(/^\//, ""));
}

/** Re-renders on navigation; returns the current route. */
export function useRoute(): string {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const onPop = () => setRoute(currentRoute());
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, []);
  return route;
}

/** Navigates to a route below the prefix. */
export function navigate(route: string): void {
  window.history.pushState(null, "", new URL(route, document.baseURI).toString());
  window.dispatchEvent(new PopStateEvent("popstate"));
}

/** A link to a route below the prefix. */
export function Link(props: {
  readonly to: string;
  readonly children: ReactNode;
  readonly className?: string;
}) {
  const href = new URL(props.to, document.baseURI).pathname;
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(props.to);
  };
  return (
    <a href={href} onClick={onClick} className={props.className}>
      {props.children}
    </a>
  );
}

/** The route of a component's page. */
export function componentRoute(id: string): string {
  return `component/${encodeURIComponent(id)}`;
}

/** The route of a component's live debugging page. */
export function debugRoute(id: string): string {
  return `debug/${encodeURIComponent(id)}`;
}
