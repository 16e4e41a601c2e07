// The signed-in shell: top navigation, side navigation, and (for now) one queue. The console's
// screens (the queues, an order, claims, the catalog; docs/web.md) grow from here: one folder
// a page, every table, form and status from Cloudscape, filters and page in the URL.
import AppLayout from "@cloudscape-design/components/app-layout";
import Flashbar from "@cloudscape-design/components/flashbar";
import SideNavigation from "@cloudscape-design/components/side-navigation";
import Spinner from "@cloudscape-design/components/spinner";
import TopNavigation from "@cloudscape-design/components/top-navigation";
import { useConsole, useSignedIn } from "./context";
import { QueuePage } from "./queue/QueuePage";

export function ConsoleApp() {
  const { session } = useConsole();
  const user = useSignedIn();
  if (!user) return <Spinner size="large" />;
  const staff = user.groups.includes("staff");
  return (
    <>
      <TopNavigation
        identity={{ href: import.meta.env.BASE_URL, title: "Atelier workshop" }}
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
            header={{ href: import.meta.env.BASE_URL, text: "Workshop" }}
            activeHref={import.meta.env.BASE_URL}
            items={[{ type: "link", text: "Review queue", href: import.meta.env.BASE_URL }]}
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
        content={<QueuePage />}
      />
    </>
  );
}
