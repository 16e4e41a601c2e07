import "@cloudscape-design/global-styles/index.css";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { connect } from "@atelier/api";
import { ConsoleApp } from "./ConsoleApp";
import { ConsoleProvider } from "./context";

async function start(): Promise<void> {
  const root = createRoot(document.getElementById("root")!);
  try {
    const { api, session } = await connect("console", import.meta.env.BASE_URL);
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
