// Sign-in. In AWS: Cognito's managed login, authorization code flow with PKCE. On the local
// stack: its sign-in page (GET /_local/signin), which mints a local token and returns it in
// the URL fragment. Either way the tokens live in this module's memory only: never in
// localStorage, sessionStorage or a cookie (only the PKCE verifier and the `state` wait in
// sessionStorage across the redirect, as the flow needs). A reload signs in again, which the
// identity provider's own session makes a quick round trip.

export type AuthConfig =
  | { kind: "local"; signInUrl: string; signOutUrl: string }
  | {
      kind: "cognito";
      /** The user pool's managed login domain, e.g. https://atelier.auth.us-east-1.amazoncognito.com */
      domain: string;
      clientId: string;
      /** Registered callback URL of this app's client, e.g. https://shop.example.com/shop/callback */
      redirectUri: string;
      /** Registered sign-out URL, e.g. https://shop.example.com/shop/ */
      signOutUri: string;
      scopes?: string[];
    };

/** What /<app>/config.json holds: read at run time, so one build serves every stage. */
export interface AppConfig {
  /** The API's origin; "" when the page's own origin serves it (the local stack). */
  apiBaseUrl: string;
  auth: AuthConfig;
}

export async function loadConfig(basePath: string): Promise<AppConfig> {
  const response = await fetch(`${basePath}config.json`, { cache: "no-store" });
  if (!response.ok) throw new Error(`config.json answered ${response.status}`);
  return (await response.json()) as AppConfig;
}

export interface User {
  sub: string;
  email: string | null;
  groups: string[];
}

interface Tokens {
  idToken: string;
  refreshToken: string | null;
  expiresAt: number; // epoch ms
}

const REFRESH_AHEAD_MS = 2 * 60 * 1000;
const PENDING_KEY = "atelier.signin.pending"; // PKCE verifier + state + where to return

function decodePayload(jwt: string): Record<string, unknown> {
  const segment = jwt.split(".")[1] ?? "";
  const base64 = segment.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(segment.length / 4) * 4, "=");
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
}

function groupsOf(claim: unknown): string[] {
  if (Array.isArray(claim)) return claim.filter((g): g is string => typeof g === "string");
  return [];
}

function base64Url(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomString(): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(32)));
}

async function challengeOf(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64Url(new Uint8Array(digest));
}

export class Session {
  private tokens: Tokens | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private listeners = new Set<() => void>();

  constructor(
    /** The app's name as the local sign-in page knows it: "shop" or "console". */
    private readonly app: string,
    private readonly config: AuthConfig,
  ) {}

  /** Finish a sign-in the identity provider has just returned from, if this page load is one. */
  async start(): Promise<void> {
    if (this.config.kind === "local") {
      const fragment = new URLSearchParams(window.location.hash.slice(1));
      const token = fragment.get("local_token");
      if (token) {
        window.history.replaceState(null, "", window.location.pathname + window.location.search);
        this.accept({ idToken: token, refreshToken: null, expiresAt: this.expiryOf(token) });
      }
      return;
    }
    const query = new URLSearchParams(window.location.search);
    const code = query.get("code");
    const state = query.get("state");
    const pending = sessionStorage.getItem(PENDING_KEY);
    if (!code || !state || !pending) return;
    sessionStorage.removeItem(PENDING_KEY);
    const { verifier, state: expected, returnTo } = JSON.parse(pending) as { verifier: string; state: string; returnTo: string };
    window.history.replaceState(null, "", returnTo);
    if (state !== expected) return; // not the sign-in this tab started
    await this.exchange({
      grant_type: "authorization_code",
      client_id: this.config.clientId,
      code,
      redirect_uri: this.config.redirectUri,
      code_verifier: verifier,
    });
  }

  get user(): User | null {
    if (!this.tokens) return null;
    const claims = decodePayload(this.tokens.idToken);
    return {
      sub: String(claims.sub ?? ""),
      email: typeof claims.email === "string" ? claims.email : null,
      groups: groupsOf(claims["cognito:groups"]),
    };
  }

  /** The ID token to send (it carries `email` and `cognito:groups`), or null when signed out. */
  async token(): Promise<string | null> {
    if (this.tokens && Date.now() >= this.tokens.expiresAt) await this.refresh();
    return this.tokens?.idToken ?? null;
  }

  /** Leave for the sign-in page; come back to `returnTo` (this page by default). */
  async signIn(returnTo: string = window.location.pathname + window.location.search, switchUser = false): Promise<void> {
    if (this.config.kind === "local") {
      const url = new URL(this.config.signInUrl, window.location.origin);
      url.searchParams.set("app", this.app);
      url.searchParams.set("return", returnTo);
      if (switchUser) url.searchParams.set("prompt", "login");
      window.location.assign(url.toString());
      return;
    }
    const verifier = randomString();
    const state = randomString();
    sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state, returnTo }));
    const url = new URL("/oauth2/authorize", this.config.domain);
    url.searchParams.set("response_type", "code");
    url.searchParams.set("client_id", this.config.clientId);
    url.searchParams.set("redirect_uri", this.config.redirectUri);
    url.searchParams.set("scope", (this.config.scopes ?? ["openid", "email"]).join(" "));
    url.searchParams.set("state", state);
    url.searchParams.set("code_challenge_method", "S256");
    url.searchParams.set("code_challenge", await challengeOf(verifier));
    if (switchUser) url.searchParams.set("prompt", "login");
    window.location.assign(url.toString());
  }

  signOut(): void {
    this.clear();
    if (this.config.kind === "local") {
      const url = new URL(this.config.signOutUrl, window.location.origin);
      url.searchParams.set("return", `/${this.app}/`);
      window.location.assign(url.toString());
      return;
    }
    const url = new URL("/logout", this.config.domain);
    url.searchParams.set("client_id", this.config.clientId);
    url.searchParams.set("logout_uri", this.config.signOutUri);
    window.location.assign(url.toString());
  }

  /** Forget the tokens (the API said the session ended); the next sign-in starts afresh. */
  clear(): void {
    clearTimeout(this.timer);
    this.tokens = null;
    this.notify();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }

  private expiryOf(idToken: string): number {
    const exp = decodePayload(idToken).exp;
    return typeof exp === "number" ? exp * 1000 : Date.now() + 60 * 60 * 1000;
  }

  private accept(tokens: Tokens): void {
    this.tokens = tokens;
    clearTimeout(this.timer);
    if (tokens.refreshToken) {
      // Refreshed ahead of expiry, so a request never waits on (or fails for) a stale token.
      const wait = Math.max(tokens.expiresAt - Date.now() - REFRESH_AHEAD_MS, 1000);
      this.timer = setTimeout(() => void this.refresh(), wait);
    }
    this.notify();
  }

  private async refresh(): Promise<void> {
    const refreshToken = this.tokens?.refreshToken;
    if (this.config.kind !== "cognito" || !refreshToken) {
      this.clear();
      return;
    }
    await this.exchange({ grant_type: "refresh_token", client_id: this.config.clientId, refresh_token: refreshToken }, refreshToken);
  }

  private async exchange(form: Record<string, string>, previousRefresh: string | null = null): Promise<void> {
    if (this.config.kind !== "cognito") return;
    try {
      const response = await fetch(new URL("/oauth2/token", this.config.domain), {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(form),
      });
      if (!response.ok) throw new Error(String(response.status));
      const answer = (await response.json()) as { id_token: string; refresh_token?: string; expires_in: number };
      this.accept({
        idToken: answer.id_token,
        refreshToken: answer.refresh_token ?? previousRefresh, // a refresh grant keeps the old one
        expiresAt: Date.now() + answer.expires_in * 1000,
      });
    } catch {
      this.clear();
    }
  }
}
