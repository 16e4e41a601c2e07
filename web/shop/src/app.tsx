// The app's plumbing: the typed client and the session, handed to every page.
import { createContext, useContext, useEffect, useState, useSyncExternalStore, type ReactNode } from "react";
import { href, inApp, navigate as go, subscribe, type Api, type Session, type User } from "@atelier/api";

interface Shop {
  api: Api;
  session: Session;
}

const ShopContext = createContext<Shop | null>(null);

export function ShopProvider({ api, session, children }: Shop & { children: ReactNode }) {
  return <ShopContext.Provider value={{ api, session }}>{children}</ShopContext.Provider>;
}

export function useShop(): Shop {
  const shop = useContext(ShopContext);
  if (!shop) throw new Error("useShop outside ShopProvider");
  return shop;
}

export function useUser(): User | null {
  const { session } = useShop();
  const [user, setUser] = useState(session.user);
  useEffect(() => session.subscribe(() => setUser(session.user)), [session]);
  return user;
}

/** The signed-in customer, or null while the browser goes to the sign-in page. */
export function useSignedIn(): User | null {
  const { session } = useShop();
  const user = useUser();
  useEffect(() => {
    if (!user) void session.signIn();
  }, [user, session]);
  return user;
}

// ---------------------------------------------------------------------------- the router
// A few routes and no dependency: the History API, and <Link> for same-app navigation.

export { href } from "@atelier/api";

export function usePath(): string {
  return inApp(useSyncExternalStore(subscribe, () => window.location.pathname));
}

export function useQuery(): URLSearchParams {
  return new URLSearchParams(useSyncExternalStore(subscribe, () => window.location.search));
}

/** To another page of the shop, at its top. */
export function navigate(path: string): void {
  go(path);
  window.scrollTo(0, 0);
}

export function Link({ to, children, className }: { to: string; children: ReactNode; className?: string }) {
  return (
    <a
      href={href(to)}
      className={className}
      onClick={(event) => {
        if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
        event.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}
