// Both apps' routing without a router library: the History API under the app's base path
// ("/shop", "/console"). The apps' hooks read the path and query with useSyncExternalStore
// over `subscribe`; `navigate` and `setQuery` tell them the address changed.

const BASE = import.meta.env.BASE_URL.replace(/\/$/, "");

export function subscribe(listener: () => void): () => void {
  window.addEventListener("popstate", listener);
  return () => window.removeEventListener("popstate", listener);
}

/** The path inside the app ("/", "/orders/ord_…") of a full path under its base. */
export function inApp(pathname: string): string {
  return pathname.startsWith(BASE) ? pathname.slice(BASE.length) || "/" : pathname;
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
