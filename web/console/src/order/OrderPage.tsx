// GET /staff/orders/{id}: the request and what was out of range, amounts and payments, the
// customer, the consultation (read and write), claims and history; the actions its status
// allows, each a Modal (actions.tsx). After an action the page shows the answer's state.
import { useEffect, useState } from "react";
import Alert from "@cloudscape-design/components/alert";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import ColumnLayout from "@cloudscape-design/components/column-layout";
import Container from "@cloudscape-design/components/container";
import ContentLayout from "@cloudscape-design/components/content-layout";
import Flashbar, { type FlashbarProps } from "@cloudscape-design/components/flashbar";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import KeyValuePairs from "@cloudscape-design/components/key-value-pairs";
import Link from "@cloudscape-design/components/link";
import List from "@cloudscape-design/components/list";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Spinner from "@cloudscape-design/components/spinner";
import Table from "@cloudscape-design/components/table";
import Textarea from "@cloudscape-design/components/textarea";
import { asApiError, calendarDate, localTime, money, must, statusLabel, type ApiError, type Schemas } from "@atelier/api";
import { ApiErrorAlert } from "../components/ApiErrorAlert";
import { fieldError } from "../components/fields";
import { OrderBadges, Status } from "../components/OrderBadges";
import { useConsole } from "../context";
import { follow, href } from "../router";
import { OrderAction, type ActionId } from "./actions";

type View = Schemas["StaffOrderView"];

const ACTIONS: Record<string, { id: ActionId; label: string; primary?: boolean }[]> = {
  IN_REVIEW: [
    { id: "decline", label: "Decline" },
    { id: "surcharge", label: "Accept with a surcharge" },
    { id: "accept", label: "Accept", primary: true },
  ],
  IN_PRODUCTION: [
    { id: "cancel", label: "Cancel" },
    { id: "delay", label: "Record a delay" },
    { id: "ship", label: "Ship", primary: true },
  ],
  SHIPPED: [{ id: "deliver", label: "Record delivery", primary: true }],
};

const dash = (value: string | null | undefined) => (value && value.trim() ? value : "—");

export function OrderPage({ orderId }: { orderId: string }) {
  const { api } = useConsole();
  const [order, setOrder] = useState<View | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [round, setRound] = useState(0);
  const [action, setAction] = useState<ActionId | null>(null);
  const [flash, setFlash] = useState<FlashbarProps.MessageDefinition[]>([]);
  const reload = () => setRound((n) => n + 1);

  useEffect(() => {
    let live = true;
    must(api.GET("/staff/orders/{order_id}", { params: { path: { order_id: orderId } } })).then(
      (found) => live && (setOrder(found), setError(null)),
      (failure: unknown) => live && setError(asApiError(failure)),
    );
    return () => {
      live = false;
    };
  }, [api, orderId, round]);

  if (!order) return error ? <ApiErrorAlert error={error} onReload={reload} /> : <Spinner size="large" />;
  const a = order.amounts;
  const cur = (cents: number) => money(cents, a.currency);
  const actions = order.claims.some((c) => c.status === "SUBMITTED") ? [] : (ACTIONS[order.status] ?? []);
  // The view has no working_days_left: late when the watch's alert came after the last delay.
  const lastOf = (type: string) => order.history.reduce((last, h, i) => (h.event_type === type ? i : last), -1);
  const lastMissed = lastOf("ShipDeadlineMissed");
  const lastDelay = lastOf("DelayRecorded");
  const late = order.status === "IN_PRODUCTION" && lastMissed > lastDelay;
  const delayed = order.delay !== null && order.status === "IN_PRODUCTION";

  return (
    <ContentLayout
      header={
        <SpaceBetween size="m">
          <Header
            variant="h1"
            description={`${order.product_name}${order.size ? `, size ${order.size}` : ""} · ordered ${localTime(order.created_at)}`}
            actions={
              <SpaceBetween direction="horizontal" size="xs">
                {actions.map((act) => (
                  <Button key={act.id} variant={act.primary ? "primary" : "normal"} onClick={() => setAction(act.id)}>
                    {act.label}
                  </Button>
                ))}
                <Button iconName="refresh" ariaLabel="Reload the order" onClick={reload} />
              </SpaceBetween>
            }
          >
            {order.order_id}
          </Header>
          <SpaceBetween direction="horizontal" size="s">
            <Status status={order.status} label={statusLabel(order.status)} />
            <OrderBadges flags={order.flags} late={late} delayed={delayed} />
          </SpaceBetween>
          <Flashbar items={flash} />
          {error && <ApiErrorAlert error={error} onReload={reload} />}
        </SpaceBetween>
      }
    >
      <SpaceBetween size="l">
        <Container header={<Header variant="h2">The request</Header>}>
          <SpaceBetween size="m">
            {order.review.required && (
              <Alert type={order.status === "IN_REVIEW" ? "warning" : "info"} header="Outside the piece's range">
                <ul>
                  {order.review.reasons.map((r) => (
                    <li key={`${r.field}-${r.code}`}>
                      <b>{statusLabel(r.field)}</b>: {r.message}
                    </li>
                  ))}
                </ul>
              </Alert>
            )}
            <KeyValuePairs
              columns={3}
              items={[
                { label: "Product", value: `${order.product_name} (${order.product_id})` },
                { label: "Size", value: dash(order.size) },
                { label: "Style", value: dash(order.customization.style) },
                { label: "Color", value: dash(order.customization.color) },
                { label: "Expression", value: dash(order.customization.expression) },
                { label: "Remarks", value: dash(order.customization.remarks) },
              ]}
            />
          </SpaceBetween>
        </Container>

        <ColumnLayout columns={2}>
          <Container header={<Header variant="h2">Amounts and payment</Header>}>
            <KeyValuePairs
              columns={2}
              items={[
                { label: "Product", value: cur(a.product_cents) },
                { label: "Customization fee", value: cur(a.customization_fee_cents) },
                {
                  label: "Surcharge",
                  value: order.review.surcharge
                    ? `${cur(order.review.surcharge.cents)} asked, due ${localTime(order.review.surcharge.due_at)}: ${order.review.surcharge.note}`
                    : cur(a.surcharge_cents),
                },
                { label: "Total", value: cur(a.total_cents) },
                { label: "Paid", value: `${cur(a.paid_cents)}${order.paid_at ? ` on ${localTime(order.paid_at)}` : ""}` },
                { label: "Refunded", value: cur(a.refunded_cents) },
                { label: "Payment due", value: order.paid_at ? "Paid" : localTime(order.payment_due_at) },
                { label: "Terms version", value: order.terms_version },
              ]}
            />
          </Container>
          <Container header={<Header variant="h2">Production and shipping</Header>}>
            <KeyValuePairs
              columns={2}
              items={[
                { label: "Ship by", value: order.ship_by ? calendarDate(order.ship_by) : "—" },
                {
                  label: "Delay",
                  value: order.delay ? `${calendarDate(order.delay.expected_ship_date)}: ${order.delay.reason}` : "—",
                },
                {
                  label: "Shipment",
                  value: order.shipment
                    ? `${order.shipment.carrier} ${order.shipment.tracking_number}, ${localTime(order.shipment.shipped_at)}`
                    : "—",
                },
                { label: "Delivered", value: order.shipment?.delivered_at ? localTime(order.shipment.delivered_at) : "—" },
                { label: "Claim deadline", value: order.claim_deadline ? localTime(order.claim_deadline) : "—" },
              ]}
            />
          </Container>
        </ColumnLayout>

        <ColumnLayout columns={2}>
          <Container header={<Header variant="h2">Customer</Header>}>
            <KeyValuePairs
              columns={2}
              items={[
                { label: "Name", value: order.contact.name },
                { label: "Email", value: <Link href={`mailto:${order.contact.email}`}>{order.contact.email}</Link> },
                { label: "Phone", value: dash(order.contact.phone) },
                { label: "Customer id", value: order.customer_id },
                {
                  label: "Ship to",
                  value: [
                    order.shipping_address.line1,
                    order.shipping_address.line2,
                    order.shipping_address.city,
                    `${order.shipping_address.region ?? ""} ${order.shipping_address.postal_code}`.trim(),
                    order.shipping_address.country,
                  ]
                    .filter(Boolean)
                    .join(", "),
                },
              ]}
            />
          </Container>
          <Consultation order={order} onSent={reload} />
        </ColumnLayout>

        {order.claims.length > 0 && (
          <Table
            header={<Header variant="h2">Quality claims</Header>}
            wrapLines
            items={order.claims}
            trackBy="claim_id"
            columnDefinitions={[
              {
                id: "claim",
                header: "Claim",
                cell: (c) => (
                  <Link href={href(`/claims?status=${c.status}&claim=${c.claim_id}`)} onFollow={follow}>
                    {c.claim_id}
                  </Link>
                ),
              },
              { id: "status", header: "Status", cell: (c) => <Status status={c.status} label={statusLabel(c.status)} /> },
              { id: "reason", header: "Reason", cell: (c) => statusLabel(c.reason) },
              { id: "description", header: "Description", cell: (c) => c.description },
              { id: "evidence", header: "Files", cell: (c) => c.evidence.length },
            ]}
          />
        )}

        <Table
          header={<Header variant="h2">History</Header>}
          wrapLines
          items={order.history}
          columnDefinitions={[
            { id: "at", header: "When", cell: (h) => localTime(h.at) },
            { id: "what", header: "What", cell: (h) => h.event_type },
            { id: "status", header: "Status", cell: (h) => (h.from_status && h.from_status !== h.to_status ? `${statusLabel(h.from_status)} → ${statusLabel(h.to_status)}` : statusLabel(h.to_status)) },
            { id: "who", header: "Who", cell: (h) => h.actor },
            { id: "why", header: "Why", cell: (h) => dash(h.reason) },
          ]}
          empty="No history yet."
        />
      </SpaceBetween>

      {action && (
        <OrderAction
          action={action}
          order={order}
          onDismiss={() => setAction(null)}
          onReload={reload}
          onDone={(answer, message) => {
            setOrder(answer);
            setAction(null);
            setFlash([
              { type: "success", content: message, id: "done", dismissible: true, dismissLabel: "Dismiss", onDismiss: () => setFlash([]) },
            ]);
          }}
        />
      )}
    </ContentLayout>
  );
}

/** P8: the thread, and a message to the customer (POST /staff/orders/{id}/messages). */
function Consultation({ order, onSent }: { order: View; onSent: () => void }) {
  const { api } = useConsole();
  const [text, setText] = useState("");
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const send = async () => {
    setBusy(true);
    try {
      await must(api.POST("/staff/orders/{order_id}/messages", { params: { path: { order_id: order.order_id } }, body: { text } }));
      setText("");
      setError(null);
      onSent();
    } catch (failure) {
      setError(asApiError(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Container header={<Header variant="h2" counter={`(${order.messages.length})`}>Consultation</Header>}>
      <SpaceBetween size="m">
        {order.messages.length === 0 && <Box color="text-status-inactive">No message yet.</Box>}
        {order.messages.length > 0 && (
          <List
            ariaLabel="Messages"
            items={order.messages}
            renderItem={(m) => ({
              id: m.message_id,
              content: m.text,
              secondaryContent: `${m.author === "customer" ? order.contact.name : "Workshop"} · ${localTime(m.at)}`,
            })}
          />
        )}
        {error && !fieldError(error, "text") && <ApiErrorAlert error={error} onReload={onSent} />}
        <FormField label="Write to the customer" description="They are emailed." errorText={fieldError(error, "text")} stretch>
          <Textarea value={text} onChange={({ detail }) => setText(detail.value)} rows={3} />
        </FormField>
        <Button onClick={() => void send()} loading={busy} disabled={!text.trim()}>
          Send
        </Button>
      </SpaceBetween>
    </Container>
  );
}
