// The signed-in shell: top navigation, side navigation, and the screen the path names
// (docs/web.md): the queues, an order, claims, the catalog, design export, erasure.
import { lazy, Suspense } from "react";
import AppLayout from "@cloudscape-design/components/app-layout";
import Flashbar from "@cloudscape-design/components/flashbar";
import SideNavigation from "@cloudscape-design/components/side-navigation";
import Spinner from "@cloudscape-design/components/spinner";
import TopNavigation from "@cloudscape-design/components/top-navigation";
import { useConsole, useSignedIn } from "./context";
import { QUEUES, QueuePage } from "./queue/QueuePage";
import { OrderPage } from "./order/OrderPage";
import { follow, href, usePath, useQuery } from "./router";

// The less used screens load on first visit (route-level code splitting).
const ClaimsPage = lazy(() => import("./claims/ClaimsPage").then((m) => ({ default: m.ClaimsPage })));
const CatalogPage = lazy(() => import("./catalog/CatalogPage").then((m) => ({ default: m.CatalogPage })));
const ProductPage = lazy(() => import("./catalog/ProductPage").then((m) => ({ default: m.ProductPage })));
const DesignsPage = lazy(() => import("./privacy/DesignsPage").then((m) => ({ default: m.DesignsPage })));
const ErasurePage = lazy(() => import("./privacy/ErasurePage").then((m) => ({ default: m.ErasurePage })));

function Screen({ path }: { path: string }) {
  const order = /^\/orders\/([^/]+)$/.exec(path);
  if (order) return <OrderPage orderId={decodeURIComponent(order[1]!)} />;
  const product = /^\/catalog\/([^/]+)$/.exec(path);
  if (product) return <ProductPage productId={product[1] === "new" ? null : decodeURIComponent(product[1]!)} />;
  if (path === "/claims") return <ClaimsPage />;
  if (path === "/catalog") return <CatalogPage />;
  if (path === "/designs") return <DesignsPage />;
  if (path === "/erasure") return <ErasurePage />;
  return <QueuePage />;
}

export function ConsoleApp() {
  const { session } = useConsole();
  const user = useSignedIn();
  const path = usePath();
  const query = useQuery();
  if (!user) return <Spinner size="large" />;
  const staff = user.groups.includes("staff");
  const active =
    path === "/" ? href(`/?status=${query.get("status") ?? "IN_REVIEW"}`) : href(`/${path.split("/")[1]}`);
  return (
    <>
      <TopNavigation
        identity={{ href: href("/"), title: "Atelier workshop", onFollow: follow }}
        i18nStrings={{ overflowMenuTriggerText: "More", overflowMenuTitleText: "All" }}
        utilities={[
          {
            type: "menu-dropdown",
            text: user.email ?? user.sub,
            iconName: "user-profile",
            items: [
              { id: "switch", text: "Switch user" },
              { id: "signout", text: "Sign out" },
            ],
            onItemClick: ({ detail }) => {
              if (detail.id === "signout") session.signOut();
              else void session.signIn(window.location.pathname, true);
            },
          },
        ]}
      />
      <AppLayout
        navigation={
          <SideNavigation
            header={{ href: href("/"), text: "Workshop" }}
            activeHref={active}
            onFollow={follow}
            items={[
              {
                type: "section",
                text: "Orders",
                items: QUEUES.slice(0, 4).map((q) => ({ type: "link", text: q.title, href: href(`/?status=${q.status}`) })),
              },
              { type: "link", text: "Quality claims", href: href("/claims") },
              { type: "divider" },
              { type: "link", text: "Catalog", href: href("/catalog") },
              { type: "link", text: "Design export", href: href("/designs") },
              { type: "link", text: "Customer erasure", href: href("/erasure") },
            ]}
          />
        }
        toolsHide
        ariaLabels={{
          navigation: "Side navigation",
          navigationToggle: "Open the side navigation",
          navigationClose: "Close the side navigation",
          notifications: "Notifications",
        }}
        notifications={
          staff ? undefined : (
            <Flashbar
              items={[
                {
                  type: "error",
                  header: "This account is not staff",
                  content: "The console's data is for the workshop's staff. Sign in with a staff account.",
                  id: "not-staff",
                },
              ]}
            />
          )
        }
        content={
          <Suspense fallback={<Spinner size="large" />}>
            <Screen path={path} />
          </Suspense>
        }
      />
    </>
  );
}
