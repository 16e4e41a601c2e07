// GET /staff/designs (P6): agreed designs for reuse, without anything that names a customer
// or an order; by order status (delivered by default) and product, a page at a time.
import Button from "@cloudscape-design/components/button";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import Pagination from "@cloudscape-design/components/pagination";
import Select from "@cloudscape-design/components/select";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import { must, type Schemas } from "@atelier/api";
import { ApiErrorAlert } from "../components/ApiErrorAlert";
import { useCursorPages } from "../components/useCursorPages";
import { useConsole } from "../context";
import { setQuery, useQuery } from "../router";

type Design = Schemas["DesignView"];
type OrderStatus = Schemas["OrderStatus"];

const STATUSES: { value: OrderStatus; label: string }[] = [
  { value: "DELIVERED", label: "Delivered" },
  { value: "SHIPPED", label: "Shipped" },
  { value: "IN_PRODUCTION", label: "In production" },
];

export function DesignsPage() {
  const { api } = useConsole();
  const query = useQuery();
  const status = STATUSES.find((s) => s.value === query.get("status")) ?? STATUSES[0]!;
  const productId = query.get("product") ?? "";
  const pages = useCursorPages(`${status.value}/${productId}`, (cursor) =>
    must(
      api.GET("/staff/designs", {
        params: { query: { status: status.value, product_id: productId || null, limit: 25, cursor } },
      }),
    ),
  );
  return (
    <Table<Design>
      variant="full-page"
      header={
        <Header
          variant="awsui-h1-sticky"
          description="Agreed designs the terms let the shop reuse (P6): published options only, never engraving text, remarks, contact or ids."
          actions={<Button iconName="refresh" ariaLabel="Refresh the designs" onClick={pages.reload} />}
        >
          Design export
        </Header>
      }
      filter={
        <SpaceBetween direction="horizontal" size="s">
          <Select
            inlineLabelText="Orders"
            ariaLabel="Orders in status"
            selectedOption={status}
            options={STATUSES}
            onChange={({ detail }) => setQuery({ status: detail.selectedOption.value ?? null })}
          />
          <Input
            type="search"
            ariaLabel="Product id"
            placeholder="Product id, e.g. signet-ring"
            value={productId}
            onChange={({ detail }) => setQuery({ product: detail.value.trim() || null })}
          />
        </SpaceBetween>
      }
      pagination={<Pagination {...pages.pagination} />}
      loading={pages.loading}
      loadingText="Loading the designs"
      items={pages.items ?? []}
      trackBy="design_id"
      wrapLines
      empty={pages.error ? <ApiErrorAlert error={pages.error} onReload={pages.reload} /> : "No agreed design matches."}
      columnDefinitions={[
        { id: "design", header: "Design", cell: (d) => d.design_id },
        { id: "product", header: "Product", cell: (d) => `${d.product_name} (${d.product_id})` },
        { id: "style", header: "Style", cell: (d) => d.style ?? "—" },
        { id: "color", header: "Color", cell: (d) => d.color ?? "—" },
        { id: "expression", header: "Expression", cell: (d) => d.expression ?? "—" },
      ]}
    />
  );
}
