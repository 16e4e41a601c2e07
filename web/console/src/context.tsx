// What every console screen gets: the typed client and the session (see web/api).
import { createContext, useContext, useEffect, useState, type ReactNode } from "react";
import type { Api, Session, User } from "@atelier/api";

interface Console {
  api: Api;
  session: Session;
}

const ConsoleContext = createContext<Console | null>(null);

export function ConsoleProvider({ api, session, children }: Console & { children: ReactNode }) {
  return <ConsoleContext.Provider value={{ api, session }}>{children}</ConsoleContext.Provider>;
}

export function useConsole(): Console {
  const value = useContext(ConsoleContext);
  if (!value) throw new Error("useConsole outside ConsoleProvider");
  return value;
}

/** The signed-in user; signs in (a redirect) when there is none. */
export function useSignedIn(): User | null {
  const { session } = useConsole();
  const [user, setUser] = useState(session.user);
  useEffect(() => session.subscribe(() => setUser(session.user)), [session]);
  useEffect(() => {
    if (!user) void session.signIn();
  }, [user, session]);
  return user;
}
