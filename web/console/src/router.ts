// The console's few routes with no dependency: the History API, the path and query read
// with useSyncExternalStore, and navigate() for Cloudscape's onFollow (Link, SideNavigation).
import { useSyncExternalStore } from "react";

const BASE = import.meta.env.BASE_URL.replace(/\/$/, ""); // "/console"

function subscribe(listener: () => void): () => void {
  window.addEventListener("popstate", listener);
  return () => window.removeEventListener("popstate", listener);
}

/** The path inside the console: "/", "/orders/ord_…", "/claims", … */
export function usePath(): string {
  const path = useSyncExternalStore(subscribe, () => window.location.pathname);
  return path.startsWith(BASE) ? path.slice(BASE.length) || "/" : path;
}

export function useQuery(): URLSearchParams {
  const search = useSyncExternalStore(subscribe, () => window.location.search);
  return new URLSearchParams(search);
}

export function href(path: string): string {
  return BASE + path;
}

export function navigate(path: string, replace = false): void {
  if (replace) window.history.replaceState(null, "", href(path));
  else window.history.pushState(null, "", href(path));
  window.dispatchEvent(new PopStateEvent("popstate"));
}

/** Set (or remove, with null) query parameters, keeping the path: filters live in the URL. */
export function setQuery(changes: Record<string, string | null>): void {
  const url = new URL(window.location.href);
  for (const [key, value] of Object.entries(changes)) {
    if (value === null || value === "") url.searchParams.delete(key);
    else url.searchParams.set(key, value);
  }
  window.history.replaceState(null, "", url.pathname + url.search);
  window.dispatchEvent(new PopStateEvent("popstate"));
}

/** For Cloudscape's onFollow: same-app links move without a reload (which would sign in again). */
export function follow(event: CustomEvent<{ href?: string; external?: boolean }>): void {
  const target = event.detail.href;
  if (!target || event.detail.external || !target.startsWith(BASE)) return;
  event.preventDefault();
  navigate(target.slice(BASE.length) || "/");
}
