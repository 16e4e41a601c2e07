// What both apps do before their first render: read /<app>/config.json, finish a sign-in the
// identity provider has just returned from, and build the typed client on that session.
import { createApi, type Api } from "./client";
import { Session, loadConfig } from "./auth";

export async function connect(app: string, basePath: string): Promise<{ api: Api; session: Session }> {
  const config = await loadConfig(basePath);
  const session = new Session(app, config.auth);
  await session.start();
  const api = createApi({
    baseUrl: config.apiBaseUrl,
    token: () => session.token(),
    onSessionEnded: () => session.clear(),
  });
  return { api, session };
}
