import "@cloudscape-design/global-styles/index.css";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { Session, createApi, loadConfig } from "@atelier/api";
import { ConsoleApp } from "./ConsoleApp";
import { ConsoleProvider } from "./context";

async function start(): Promise<void> {
  const root = createRoot(document.getElementById("root")!);
  try {
    const config = await loadConfig(import.meta.env.BASE_URL);
    const session = new Session("console", config.auth);
    await session.start();
    const api = createApi({
      baseUrl: config.apiBaseUrl,
      token: () => session.token(),
      onSessionEnded: () => session.clear(),
    });
    root.render(
      <StrictMode>
        <ConsoleProvider api={api} session={session}>
          <ConsoleApp />
        </ConsoleProvider>
      </StrictMode>,
    );
  } catch {
    root.render(<p role="alert">The console could not start. Reload the page to try again.</p>);
  }
}

void start();
