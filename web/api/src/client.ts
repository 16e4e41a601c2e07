// The typed client: every path, parameter and body comes from the API's own openapi.json
// (schema.d.ts is generated; `make web-types` regenerates it, `make test` fails when stale).
import createClient, { type Client, type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";

export type { components, paths };
export type Schemas = components["schemas"];
export type Api = Client<paths>;

export interface ApiOptions {
  /** The API's origin; "" or undefined: this page's origin (the local stack serves both). */
  baseUrl?: string;
  /** The bearer token to send, or null when signed out (public routes still work). */
  token: () => Promise<string | null>;
  /** Called when the API answers 401 to a request that carried a token: the session ended. */
  onSessionEnded?: () => void;
}

export function createApi(options: ApiOptions): Api {
  const client = createClient<paths>({ baseUrl: options.baseUrl || window.location.origin });
  const bearer: Middleware = {
    async onRequest({ request }) {
      const token = await options.token();
      if (token) request.headers.set("Authorization", `Bearer ${token}`);
      return request;
    },
    onResponse({ request, response }) {
      if (response.status === 401 && request.headers.has("Authorization")) {
        options.onSessionEnded?.();
      }
      return response;
    },
  };
  client.use(bearer);
  return client;
}
