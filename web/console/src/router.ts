// The console's few routes with no dependency: the History API, the path and query read
// with useSyncExternalStore, and navigate() for Cloudscape's onFollow (Link, SideNavigation).
import { useSyncExternalStore } from "react";
import { href, inApp, navigate, subscribe } from "@atelier/api";

export { href, navigate, setQuery } from "@atelier/api";

/** The path inside the console: "/", "/orders/ord_…", "/claims", … */
export function usePath(): string {
  return inApp(useSyncExternalStore(subscribe, () => window.location.pathname));
}

export function useQuery(): URLSearchParams {
  return new URLSearchParams(useSyncExternalStore(subscribe, () => window.location.search));
}

/** For Cloudscape's onFollow: same-app links move without a reload (which would sign in again). */
export function follow(event: CustomEvent<{ href?: string; external?: boolean }>): void {
  const target = event.detail.href;
  if (!target || event.detail.external || !target.startsWith(href(""))) return;
  event.preventDefault();
  navigate(inApp(target));
}
