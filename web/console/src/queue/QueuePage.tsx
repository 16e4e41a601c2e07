// GET /staff/orders?status=…: one queue a status, oldest first, a page at a time with the
// API's cursors; the status and the attention filter live in the URL (?status=&attention=).
import Button from "@cloudscape-design/components/button";
import Header from "@cloudscape-design/components/header";
import Link from "@cloudscape-design/components/link";
import Pagination from "@cloudscape-design/components/pagination";
import Select, { type SelectProps } from "@cloudscape-design/components/select";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import { calendarDate, localTime, must, statusLabel, type Schemas } from "@atelier/api";
import { ApiErrorAlert } from "../components/ApiErrorAlert";
import { DaysLeft, FLAG_LABELS, OrderBadges, Status } from "../components/OrderBadges";
import { useCursorPages } from "../components/useCursorPages";
import { useConsole } from "../context";
import { follow, href, setQuery, useQuery } from "../router";

type Summary = Schemas["StaffOrderSummary"];
type OrderStatus = Schemas["OrderStatus"];

export const QUEUES: { status: OrderStatus; title: string; empty: string }[] = [
  { status: "IN_REVIEW", title: "Review queue", empty: "No request is waiting for review." },
  { status: "IN_PRODUCTION", title: "In production", empty: "Nothing is in production." },
  { status: "SHIPPED", title: "Shipped", empty: "Nothing is on its way." },
  { status: "DELIVERED", title: "Delivered", empty: "No order has been delivered yet." },
  { status: "PENDING_PAYMENT", title: "Waiting for payment", empty: "No order is waiting for payment." },
  { status: "CANCELLED", title: "Cancelled", empty: "No order was cancelled." },
  { status: "EXPIRED", title: "Expired", empty: "No order expired unpaid." },
];

const ATTENTION: SelectProps.Option[] = [
  { value: "", label: "All orders on this page" },
  { value: "late", label: "Late" },
  { value: "due", label: "Due within 1 working day" },
  { value: "delayed", label: "Delayed" },
  { value: "review", label: "Out of range (reviewed)" },
  ...Object.entries(FLAG_LABELS).map(([value, label]) => ({ value, label })),
];

function matches(order: Summary, attention: string): boolean {
  if (!attention) return true;
  if (attention === "late") return (order.working_days_left ?? 0) < 0;
  if (attention === "due") return order.working_days_left !== null && order.working_days_left <= 1;
  if (attention === "review") return order.review_required;
  if (attention === "delayed") return order.delayed;
  return order.flags.includes(attention);
}

export function QueuePage() {
  const { api } = useConsole();
  const query = useQuery();
  const queue = QUEUES.find((q) => q.status === query.get("status")) ?? QUEUES[0]!;
  const attention = query.get("attention") ?? "";
  const pages = useCursorPages(queue.status, (cursor) =>
    must(api.GET("/staff/orders", { params: { query: { status: queue.status, limit: 25, cursor } } })),
  );
  const shown = (pages.items ?? []).filter((o) => matches(o, attention));
  const statusOptions = QUEUES.map((q) => ({ value: q.status, label: q.title }));
  return (
    <Table<Summary>
      variant="full-page"
      header={
        <Header
          variant="awsui-h1-sticky"
          counter={pages.items ? `(${shown.length}${attention ? ` of ${pages.items.length}` : ""} on this page)` : undefined}
          description="Oldest first. Working days are counted to the ship-by date, or to the delay's date once one is recorded."
          actions={<Button iconName="refresh" ariaLabel="Refresh the queue" onClick={pages.reload} />}
        >
          {queue.title}
        </Header>
      }
      filter={
        <SpaceBetween direction="horizontal" size="s">
          <Select
            inlineLabelText="Queue"
            ariaLabel="Queue"
            selectedOption={statusOptions.find((o) => o.value === queue.status) ?? null}
            options={statusOptions}
            onChange={({ detail }) => setQuery({ status: detail.selectedOption.value ?? null })}
          />
          <Select
            inlineLabelText="Needs attention"
            ariaLabel="Needs attention"
            selectedOption={ATTENTION.find((o) => o.value === attention) ?? ATTENTION[0]!}
            options={ATTENTION}
            onChange={({ detail }) => setQuery({ attention: detail.selectedOption.value || null })}
          />
        </SpaceBetween>
      }
      pagination={<Pagination {...pages.pagination} />}
      loading={pages.loading}
      loadingText="Loading the queue"
      items={shown}
      trackBy="order_id"
      wrapLines
      empty={pages.error ? <ApiErrorAlert error={pages.error} onReload={pages.reload} /> : attention ? "No order on this page needs that." : queue.empty}
      columnDefinitions={[
        {
          id: "order",
          header: "Order",
          cell: (o) => (
            <Link href={href(`/orders/${o.order_id}`)} onFollow={follow}>
              {o.order_id}
            </Link>
          ),
        },
        { id: "product", header: "Product", cell: (o) => o.product_name },
        { id: "status", header: "Status", cell: (o) => <Status status={o.status} label={statusLabel(o.status)} /> },
        {
          id: "attention",
          header: "Attention",
          cell: (o) => <OrderBadges flags={o.flags} late={(o.working_days_left ?? 0) < 0} delayed={o.delayed} />,
        },
        { id: "left", header: "Working days left", cell: (o) => <DaysLeft days={o.working_days_left} /> },
        { id: "ship_by", header: "Ship by", cell: (o) => (o.ship_by ? calendarDate(o.ship_by) : "—") },
        { id: "created", header: "Ordered", cell: (o) => localTime(o.created_at) },
      ]}
    />
  );
}
