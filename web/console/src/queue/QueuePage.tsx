import { useEffect, useState } from "react";
import Button from "@cloudscape-design/components/button";
import Header from "@cloudscape-design/components/header";
import Link from "@cloudscape-design/components/link";
import StatusIndicator from "@cloudscape-design/components/status-indicator";
import Table from "@cloudscape-design/components/table";
import { asApiError, calendarDate, localTime, must, type ApiError, type Schemas } from "@atelier/api";
import { ApiErrorAlert } from "../components/ApiErrorAlert";
import { useConsole } from "../context";

type Summary = Schemas["StaffOrderSummary"];

/** GET /staff/orders?status=IN_REVIEW: the requests waiting for a designer. */
export function QueuePage() {
  const { api } = useConsole();
  const [items, setItems] = useState<Summary[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [round, setRound] = useState(0);
  useEffect(() => {
    let current = true;
    must(api.GET("/staff/orders", { params: { query: { status: "IN_REVIEW", limit: 50 } } })).then(
      (page) => current && (setItems(page.items), setError(null)),
      (failure: unknown) => current && setError(asApiError(failure)),
    );
    return () => {
      current = false;
    };
  }, [api, round]);
  return (
    <Table<Summary>
      header={
        <Header
          variant="awsui-h1-sticky"
          counter={items ? `(${items.length})` : undefined}
          actions={<Button iconName="refresh" ariaLabel="Refresh" onClick={() => setRound((n) => n + 1)} />}
        >
          Review queue
        </Header>
      }
      loading={items === null && error === null}
      loadingText="Loading the queue"
      items={items ?? []}
      empty={error ? <ApiErrorAlert error={error} onReload={() => setRound((n) => n + 1)} /> : "No request is waiting for review."}
      columnDefinitions={[
        { id: "order", header: "Order", cell: (o) => <Link>{o.order_id}</Link> },
        { id: "product", header: "Product", cell: (o) => o.product_name },
        { id: "status", header: "Status", cell: (o) => <StatusIndicator type="pending">{o.status}</StatusIndicator> },
        { id: "created", header: "Ordered", cell: (o) => localTime(o.created_at) },
        { id: "ship_by", header: "Ship by", cell: (o) => (o.ship_by ? calendarDate(o.ship_by) : "—") },
      ]}
    />
  );
}
