// GET /staff/products (retired ones too, after the active): the catalog, a page at a time.
import Button from "@cloudscape-design/components/button";
import Header from "@cloudscape-design/components/header";
import Link from "@cloudscape-design/components/link";
import Pagination from "@cloudscape-design/components/pagination";
import SpaceBetween from "@cloudscape-design/components/space-between";
import StatusIndicator from "@cloudscape-design/components/status-indicator";
import Table from "@cloudscape-design/components/table";
import { money, must, type Schemas } from "@atelier/api";
import { ApiErrorAlert } from "../components/ApiErrorAlert";
import { useCursorPages } from "../components/useCursorPages";
import { useConsole } from "../context";
import { follow, href, navigate } from "../router";

type Product = Schemas["StaffProductView"];

export function CatalogPage() {
  const { api } = useConsole();
  const pages = useCursorPages("catalog", (cursor) =>
    must(api.GET("/staff/products", { params: { query: { limit: 25, cursor, include_inactive: true } } })),
  );
  return (
    <Table<Product>
      variant="full-page"
      header={
        <Header
          variant="awsui-h1-sticky"
          description="What customers can order, and the range each piece can be customized within. Retired pieces are listed after the active ones."
          actions={
            <SpaceBetween direction="horizontal" size="xs">
              <Button iconName="refresh" ariaLabel="Refresh the catalog" onClick={pages.reload} />
              <Button variant="primary" onClick={() => navigate("/catalog/new")}>
                New product
              </Button>
            </SpaceBetween>
          }
        >
          Catalog
        </Header>
      }
      pagination={<Pagination {...pages.pagination} />}
      loading={pages.loading}
      loadingText="Loading the catalog"
      items={pages.items ?? []}
      trackBy="product_id"
      wrapLines
      empty={pages.error ? <ApiErrorAlert error={pages.error} onReload={pages.reload} /> : "The catalog is empty."}
      columnDefinitions={[
        {
          id: "name",
          header: "Product",
          cell: (p) => (
            <Link href={href(`/catalog/${p.product_id}`)} onFollow={follow}>
              {p.name}
            </Link>
          ),
        },
        { id: "id", header: "Id", cell: (p) => p.product_id },
        { id: "price", header: "Price", cell: (p) => money(p.price_cents, p.currency) },
        { id: "sizes", header: "Sizes", cell: (p) => (p.sizes.length ? p.sizes.join(", ") : "—") },
        {
          id: "expression",
          header: "Expression",
          cell: (p) =>
            p.customization.expression.kind === "text"
              ? `Engraving, up to ${p.customization.expression.max_length}`
              : `Choice of ${p.customization.expression.options.length}`,
        },
        {
          id: "active",
          header: "Status",
          cell: (p) => (p.active ? <StatusIndicator>Active</StatusIndicator> : <StatusIndicator type="stopped">Retired</StatusIndicator>),
        },
      ]}
    />
  );
}
