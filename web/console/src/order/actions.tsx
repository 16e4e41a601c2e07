// The workshop's moves on one order, each a Modal with a Form (POST /staff/orders/{id}/…):
// review (accept, surcharge, decline), delay, ship, deliver, cancel with a full or partial refund.
import { useState } from "react";
import DatePicker from "@cloudscape-design/components/date-picker";
import FormField from "@cloudscape-design/components/form-field";
import Input from "@cloudscape-design/components/input";
import RadioGroup from "@cloudscape-design/components/radio-group";
import Textarea from "@cloudscape-design/components/textarea";
import { money, must, type Schemas } from "@atelier/api";
import { ActionModal, inputError } from "../components/ActionModal";
import { centsOf, fieldError } from "../components/fields";
import { useConsole } from "../context";

type View = Schemas["StaffOrderView"];
export type ActionId = "accept" | "surcharge" | "decline" | "delay" | "ship" | "deliver" | "cancel";

interface Props {
  action: ActionId;
  order: View;
  onDone: (answer: View, message: string) => void;
  onDismiss: () => void;
  onReload: () => void;
}

export function OrderAction(props: Props) {
  switch (props.action) {
    case "accept":
      return <AcceptModal {...props} />;
    case "surcharge":
      return <SurchargeModal {...props} />;
    case "decline":
      return <DeclineModal {...props} />;
    case "delay":
      return <DelayModal {...props} />;
    case "ship":
      return <ShipModal {...props} />;
    case "deliver":
      return <DeliverModal {...props} />;
    case "cancel":
      return <CancelModal {...props} />;
  }
}

function usePath(order: View) {
  return { params: { path: { order_id: order.order_id } } };
}

function AcceptModal({ order, onDone, onDismiss, onReload }: Props) {
  const { api } = useConsole();
  const path = usePath(order);
  const waiving = order.review.surcharge !== null;
  return (
    <ActionModal<View>
      title="Accept the request"
      submitLabel="Accept"
      fields={[]}
      submit={() => must(api.POST("/staff/orders/{order_id}/review", { ...path, body: { decision: "ACCEPT" } }))}
      onDone={(answer) => onDone(answer, "Accepted: production has started.")}
      onDismiss={onDismiss}
      onReload={onReload}
    >
      {() =>
        waiving
          ? "The surcharge asked for is waived and production starts now, at the price already paid."
          : "Production starts now, at the price already paid; the ship-by date is counted from today."
      }
    </ActionModal>
  );
}

function SurchargeModal({ order, onDone, onDismiss, onReload }: Props) {
  const { api } = useConsole();
  const path = usePath(order);
  const [amount, setAmount] = useState("");
  const [note, setNote] = useState("");
  return (
    <ActionModal<View>
      title="Accept with a surcharge"
      submitLabel="Ask for the surcharge"
      fields={["surcharge_cents", "note"]}
      submit={async () => {
        const cents = centsOf(amount);
        if (cents === null || cents === 0) throw inputError("surcharge_cents", "Enter the amount in dollars, e.g. 25.00.");
        return must(
          api.POST("/staff/orders/{order_id}/review", {
            ...path,
            body: { decision: "SURCHARGE", surcharge_cents: cents, note: note.trim() || null },
          }),
        );
      }}
      onDone={(answer) => onDone(answer, "The customer is asked to pay the surcharge within 24 hours.")}
      onDismiss={onDismiss}
      onReload={onReload}
    >
      {(error) => (
        <>
          <FormField
            label="Surcharge (USD)"
            description="What the change costs on top of what was paid. The customer pays it within 24 hours, or the order is cancelled and refunded."
            errorText={fieldError(error, "surcharge_cents")}
          >
            <Input value={amount} onChange={({ detail }) => setAmount(detail.value)} inputMode="decimal" placeholder="25.00" />
          </FormField>
          <FormField label="Note for the customer" description="Why it costs more." errorText={fieldError(error, "note")}>
            <Textarea value={note} onChange={({ detail }) => setNote(detail.value)} />
          </FormField>
        </>
      )}
    </ActionModal>
  );
}

function DeclineModal({ order, onDone, onDismiss, onReload }: Props) {
  const { api } = useConsole();
  const path = usePath(order);
  const [note, setNote] = useState("");
  return (
    <ActionModal<View>
      title="Decline the request"
      submitLabel="Decline and refund"
      fields={["note"]}
      submit={() =>
        must(api.POST("/staff/orders/{order_id}/review", { ...path, body: { decision: "DECLINE", note: note.trim() || null } }))
      }
      onDone={(answer) => onDone(answer, "Declined: the order is cancelled and fully refunded.")}
      onDismiss={onDismiss}
      onReload={onReload}
    >
      {(error) => (
        <FormField
          label="Note for the customer"
          description={`Why the workshop cannot make it. ${money(order.amounts.paid_cents, order.amounts.currency)} is refunded in full.`}
          errorText={fieldError(error, "note")}
        >
          <Textarea value={note} onChange={({ detail }) => setNote(detail.value)} />
        </FormField>
      )}
    </ActionModal>
  );
}

function DelayModal({ order, onDone, onDismiss, onReload }: Props) {
  const { api } = useConsole();
  const path = usePath(order);
  const [reason, setReason] = useState("");
  const [date, setDate] = useState("");
  return (
    <ActionModal<View>
      title="Record a delay"
      submitLabel="Record the delay"
      fields={["reason", "expected_ship_date"]}
      submit={() => must(api.POST("/staff/orders/{order_id}/delay", { ...path, body: { reason, expected_ship_date: date } }))}
      onDone={(answer) => onDone(answer, "Delay recorded: the customer is told the new date.")}
      onDismiss={onDismiss}
      onReload={onReload}
    >
      {(error) => (
        <>
          <FormField label="Reason" description="Sent to the customer." errorText={fieldError(error, "reason")}>
            <Textarea value={reason} onChange={({ detail }) => setReason(detail.value)} />
          </FormField>
          <FormField
            label="Expected ship date"
            description="A working day after today, shop time."
            constraintText="YYYY/MM/DD"
            errorText={fieldError(error, "expected_ship_date")}
          >
            <DatePicker
              value={date}
              onChange={({ detail }) => setDate(detail.value)}
              placeholder="YYYY/MM/DD"
              i18nStrings={{ openCalendarAriaLabel: (selected) => (selected ? `Change the date, ${selected}` : "Choose a date") }}
            />
          </FormField>
        </>
      )}
    </ActionModal>
  );
}

function ShipModal({ order, onDone, onDismiss, onReload }: Props) {
  const { api } = useConsole();
  const path = usePath(order);
  const [carrier, setCarrier] = useState("");
  const [tracking, setTracking] = useState("");
  return (
    <ActionModal<View>
      title="Ship the order"
      submitLabel="Record the shipment"
      fields={["carrier", "tracking_number"]}
      submit={() =>
        must(api.POST("/staff/orders/{order_id}/ship", { ...path, body: { carrier, tracking_number: tracking.trim() } }))
      }
      onDone={(answer) => onDone(answer, "Shipped: the customer is emailed the tracking number.")}
      onDismiss={onDismiss}
      onReload={onReload}
    >
      {(error) => (
        <>
          <FormField label="Carrier" errorText={fieldError(error, "carrier")}>
            <Input value={carrier} onChange={({ detail }) => setCarrier(detail.value)} placeholder="UPS" />
          </FormField>
          <FormField label="Tracking number" errorText={fieldError(error, "tracking_number")}>
            <Input value={tracking} onChange={({ detail }) => setTracking(detail.value)} />
          </FormField>
        </>
      )}
    </ActionModal>
  );
}

function DeliverModal({ order, onDone, onDismiss, onReload }: Props) {
  const { api } = useConsole();
  const path = usePath(order);
  return (
    <ActionModal<View>
      title="Record the delivery"
      submitLabel="Delivered"
      fields={["delivered_at"]}
      submit={() => must(api.POST("/staff/orders/{order_id}/deliver", { ...path, body: {} }))}
      onDone={(answer) => onDone(answer, "Delivered: the claim window is open.")}
      onDismiss={onDismiss}
      onReload={onReload}
    >
      {() =>
        `Records that ${order.shipment?.carrier ?? "the carrier"} delivered it now; the 7 working days for a quality claim start today.`
      }
    </ActionModal>
  );
}

function CancelModal({ order, onDone, onDismiss, onReload }: Props) {
  const { api } = useConsole();
  const path = usePath(order);
  const [reason, setReason] = useState("");
  const [refund, setRefund] = useState<"full" | "partial">("full");
  const [amount, setAmount] = useState("");
  const paid = money(order.amounts.paid_cents - order.amounts.refunded_cents, order.amounts.currency);
  return (
    <ActionModal<View>
      title="Cancel the order"
      submitLabel="Cancel the order"
      fields={["reason", "refund_cents"]}
      submit={async () => {
        let refund_cents: number | null = null;
        if (refund === "partial") {
          refund_cents = centsOf(amount);
          if (refund_cents === null) throw inputError("refund_cents", "Enter the refund in dollars, e.g. 40.00.");
        }
        return must(api.POST("/staff/orders/{order_id}/cancel", { ...path, body: { reason, refund_cents } }));
      }}
      onDone={(answer) => onDone(answer, "Cancelled: the customer is emailed with the refund.")}
      onDismiss={onDismiss}
      onReload={onReload}
    >
      {(error) => (
        <>
          <FormField label="Reason" description="Sent to the customer." errorText={fieldError(error, "reason")}>
            <Textarea value={reason} onChange={({ detail }) => setReason(detail.value)} />
          </FormField>
          <FormField label="Refund">
            <RadioGroup
              value={refund}
              onChange={({ detail }) => setRefund(detail.value as "full" | "partial")}
              items={[
                { value: "full", label: `Full refund (${paid})` },
                { value: "partial", label: "Partial refund" },
              ]}
            />
          </FormField>
          {refund === "partial" && (
            <FormField label="Refund amount (USD)" errorText={fieldError(error, "refund_cents")}>
              <Input value={amount} onChange={({ detail }) => setAmount(detail.value)} inputMode="decimal" placeholder="40.00" />
            </FormField>
          )}
        </>
      )}
    </ActionModal>
  );
}
