import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { connect } from "@atelier/api";
import { ShopProvider } from "./app";
import { Shop } from "./shop";
import "./styles.css";

async function start(): Promise<void> {
  const root = createRoot(document.getElementById("root")!);
  try {
    const { api, session } = await connect("shop", import.meta.env.BASE_URL);
    root.render(
      <StrictMode>
        <ShopProvider api={api} session={session}>
          <Shop />
        </ShopProvider>
      </StrictMode>,
    );
  } catch {
    root.render(<p role="alert">The shop could not start. Reload the page to try again.</p>);
  }
}

void start();
