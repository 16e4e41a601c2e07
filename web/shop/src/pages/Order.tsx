import { useEffect, useId, useState, type FormEvent } from "react";
import { asApiError, calendarDate, localTime, money, must, statusLabel, type ApiError, type Schemas } from "@atelier/api";
import { navigate, useQuery, useShop, useSignedIn } from "../app";
import { ErrorNote, Loading, useLoad } from "../ui";

type Order = Schemas["OrderView"];

export function OrderPage({ orderId }: { orderId: string }) {
  const user = useSignedIn();
  if (!user) return <Loading />;
  return <OrderDetail orderId={orderId} />;
}

function OrderDetail({ orderId }: { orderId: string }) {
  const { api } = useShop();
  const paid = useQuery().get("paid") === "1";
  const order = useLoad(
    () => must(api.GET("/orders/{order_id}", { params: { path: { order_id: orderId } } })),
    [api, orderId],
  );
  // Back from the checkout: the provider's webhook may land a moment after the redirect.
  const waiting = paid && order.data?.status === "PENDING_PAYMENT";
  useEffect(() => {
    if (!waiting) return;
    const timer = setTimeout(order.reload, 1500);
    return () => clearTimeout(timer);
  }, [waiting, order]);

  if (order.error && !order.data) return <ErrorNote error={order.error} onReload={order.reload} />;
  if (!order.data) return <Loading />;
  const o = order.data;
  return (
    <section className="order">
      <h1>
        {o.product_name} <span className={`status status-${o.status.toLowerCase()}`}>{statusLabel(o.status)}</span>
      </h1>
      <p className="muted">
        Order {o.order_id}, placed {localTime(o.created_at)}
      </p>
      {waiting && <p role="status">Thank you: your payment is being confirmed…</p>}
      <ErrorNote error={order.error} onReload={order.reload} />
      <Payment order={o} onChange={order.reload} />
      <Review order={o} onChange={order.reload} />
      <Timeline order={o} />
      <Request order={o} />
      <Amounts order={o} />
      <Messages orderId={o.order_id} />
      {o.status === "DELIVERED" && o.claim_deadline && <ClaimForm order={o} />}
    </section>
  );
}

/** The checkout link while a payment is due, with the deadline in the customer's own time. */
function Payment({ order, onChange }: { order: Order; onChange: () => void }) {
  const { api } = useShop();
  const [error, setError] = useState<ApiError | null>(null);
  if (order.status !== "PENDING_PAYMENT") return null;
  async function cancel() {
    if (!window.confirm("Cancel this order? Nothing has been paid yet.")) return;
    try {
      await must(api.POST("/orders/{order_id}/cancel", { params: { path: { order_id: order.order_id } } }));
      onChange();
    } catch (failure) {
      setError(asApiError(failure));
    }
  }
  return (
    <div className="panel">
      <h2>Payment</h2>
      <p>
        <strong>{money(order.amounts.total_cents, order.amounts.currency)}</strong> is due by{" "}
        <time dateTime={order.payment_due_at}>{localTime(order.payment_due_at)}</time>.
      </p>
      {order.checkout && (
        <a className="button primary" href={order.checkout.url}>
          Pay now
        </a>
      )}{" "}
      <button type="button" onClick={() => void cancel()}>
        Cancel the order
      </button>
      <ErrorNote error={error} onReload={onChange} />
    </div>
  );
}

/** A designer's review: the reasons, and a surcharge to accept (then pay) or decline. */
function Review({ order, onChange }: { order: Order; onChange: () => void }) {
  const { api } = useShop();
  const [error, setError] = useState<ApiError | null>(null);
  const surcharge = order.review.surcharge;
  if (!order.review.required) return null;
  const path = { params: { path: { order_id: order.order_id } } };
  async function accept() {
    try {
      const updated = await must(api.POST("/orders/{order_id}/surcharge/accept", path));
      if (updated.checkout) window.location.assign(updated.checkout.url);
      else onChange();
    } catch (failure) {
      setError(asApiError(failure));
    }
  }
  async function decline() {
    if (!window.confirm("Decline the surcharge? The order is cancelled and refunded in full.")) return;
    try {
      await must(api.POST("/orders/{order_id}/surcharge/decline", path));
      onChange();
    } catch (failure) {
      setError(asApiError(failure));
    }
  }
  return (
    <div className="panel">
      <h2>Designer review</h2>
      <ul>
        {order.review.reasons.map((reason) => (
          <li key={reason.code + reason.field}>{reason.message}</li>
        ))}
      </ul>
      {surcharge && order.status === "IN_REVIEW" && (
        <div className="review-note">
          <p>
            The designer asks for a surcharge of <strong>{money(surcharge.cents, order.amounts.currency)}</strong>: {surcharge.note}
          </p>
          <p>
            Answer by <time dateTime={surcharge.due_at}>{localTime(surcharge.due_at)}</time>, or the order is cancelled and refunded.
          </p>
          <button type="button" className="primary" onClick={() => void accept()}>
            Accept and pay the surcharge
          </button>{" "}
          <button type="button" onClick={() => void decline()}>
            Decline (cancel and refund)
          </button>
        </div>
      )}
      <ErrorNote error={error} onReload={onChange} />
    </div>
  );
}

interface Step {
  label: string;
  at: string | null;
  done: boolean;
}

/** The order's life so far, from the times the API gives. */
function Timeline({ order }: { order: Order }) {
  const steps: Step[] = [{ label: "Ordered", at: localTime(order.created_at), done: true }];
  const stopped = order.status === "CANCELLED" || order.status === "EXPIRED";
  steps.push({ label: "Paid", at: order.paid_at ? localTime(order.paid_at) : null, done: Boolean(order.paid_at) });
  if (order.review.required) {
    const agreed = ["IN_PRODUCTION", "SHIPPED", "DELIVERED"].includes(order.status);
    steps.push({ label: "Reviewed by a designer", at: null, done: agreed });
  }
  const making = ["IN_PRODUCTION", "SHIPPED", "DELIVERED"].includes(order.status);
  steps.push({
    label: "In the workshop",
    at: order.ship_by ? `ships by ${calendarDate(order.delay?.expected_ship_date ?? order.ship_by)}` : null,
    done: making,
  });
  steps.push({
    label: "Shipped",
    at: order.shipment ? localTime(order.shipment.shipped_at) : null,
    done: Boolean(order.shipment),
  });
  steps.push({
    label: "Delivered",
    at: order.shipment?.delivered_at ? localTime(order.shipment.delivered_at) : null,
    done: Boolean(order.shipment?.delivered_at),
  });
  return (
    <div className="panel">
      <h2>Status</h2>
      <ol className="timeline">
        {steps.map((step) => (
          <li key={step.label} className={step.done ? "done" : ""}>
            <span>{step.label}</span> {step.at && <span className="muted">{step.at}</span>}
          </li>
        ))}
        {stopped && (
          <li className="stopped">
            <span>{statusLabel(order.status)}</span>
            {order.amounts.refunded_cents > 0 && (
              <span className="muted"> refunded {money(order.amounts.refunded_cents, order.amounts.currency)}</span>
            )}
          </li>
        )}
      </ol>
      {order.delay && (
        <p className="warn">
          Delayed: {order.delay.reason}. Now expected to ship by {calendarDate(order.delay.expected_ship_date)}.
        </p>
      )}
      {order.shipment && (
        <p>
          Shipped with {order.shipment.carrier}, tracking number <strong>{order.shipment.tracking_number}</strong>.
        </p>
      )}
    </div>
  );
}

function Request({ order }: { order: Order }) {
  const c = order.customization;
  const rows: [string, string | null][] = [
    ["Size", order.size],
    ["Style", c.style],
    ["Color", c.color],
    ["Expression", c.expression],
    ["Remarks", c.remarks],
  ];
  return (
    <div className="panel">
      <h2>Your request</h2>
      <dl>
        {rows
          .filter(([, value]) => value)
          .map(([label, value]) => (
            <div key={label}>
              <dt>{label}</dt>
              <dd>{value}</dd>
            </div>
          ))}
      </dl>
    </div>
  );
}

function Amounts({ order }: { order: Order }) {
  const a = order.amounts;
  const m = (cents: number) => money(cents, a.currency);
  return (
    <div className="panel">
      <h2>Amounts</h2>
      <dl>
        <div><dt>Piece</dt><dd>{m(a.product_cents)}</dd></div>
        <div><dt>Customization fee</dt><dd>{m(a.customization_fee_cents)}</dd></div>
        {a.surcharge_cents > 0 && <div><dt>Surcharge</dt><dd>{m(a.surcharge_cents)}</dd></div>}
        <div><dt>Total</dt><dd><strong>{m(a.total_cents)}</strong></dd></div>
        <div><dt>Paid</dt><dd>{m(a.paid_cents)}</dd></div>
        {a.refunded_cents > 0 && <div><dt>Refunded</dt><dd>{m(a.refunded_cents)}</dd></div>}
      </dl>
    </div>
  );
}

/** The consultation thread with the designers (P8): GET and POST /orders/{id}/messages. */
function Messages({ orderId }: { orderId: string }) {
  const { api } = useShop();
  const id = useId();
  const path = { params: { path: { order_id: orderId } } };
  const thread = useLoad(() => must(api.GET("/orders/{order_id}/messages", path)), [api, orderId]);
  const [text, setText] = useState("");
  const [error, setError] = useState<ApiError | null>(null);
  async function send(event: FormEvent) {
    event.preventDefault();
    try {
      await must(api.POST("/orders/{order_id}/messages", { ...path, body: { text } }));
      setText("");
      setError(null);
      thread.reload();
    } catch (failure) {
      setError(asApiError(failure));
    }
  }
  return (
    <div className="panel">
      <h2>Messages with the designers</h2>
      <ErrorNote error={thread.error} onReload={thread.reload} />
      {thread.data?.items.length === 0 && <p className="muted">No messages yet. Ask the designers anything about your piece.</p>}
      <ol className="thread">
        {thread.data?.items.map((message) => (
          <li key={message.message_id} className={message.author === "customer" ? "mine" : ""}>
            <span className="muted">
              {message.author === "customer" ? "You" : "Designer"}, {localTime(message.at)}
            </span>
            <p>{message.text}</p>
          </li>
        ))}
      </ol>
      <form onSubmit={(event) => void send(event)}>
        <label htmlFor={id}>Write a message</label>
        <textarea id={id} value={text} rows={2} maxLength={4000} onChange={(event) => setText(event.target.value)} />
        <ErrorNote error={error} />
        <button type="submit" disabled={!text.trim()}>
          Send
        </button>
      </form>
    </div>
  );
}

const REASONS = [
  ["DAMAGED", "Damaged", "it arrived broken, bent or scratched"],
  ["DEFECTIVE", "Defective", "a production defect: a loose stone, a bad clasp, a flawed casting"],
  ["NOT_AS_SPECIFIED", "Not as specified", "a serious difference from the request we agreed"],
] as const;

/** Starts a quality claim (P9, P10); the evidence is added on the claim's own page. */
function ClaimForm({ order }: { order: Order }) {
  const { api } = useShop();
  const [reason, setReason] = useState<string>("DAMAGED");
  const [description, setDescription] = useState("");
  const [error, setError] = useState<ApiError | null>(null);
  const id = useId();
  async function file(event: FormEvent) {
    event.preventDefault();
    try {
      const claim = await must(
        api.POST("/orders/{order_id}/claims", {
          params: { path: { order_id: order.order_id } },
          body: { reason, description },
        }),
      );
      navigate(`/orders/${encodeURIComponent(order.order_id)}/claims/${encodeURIComponent(claim.claim_id)}`);
    } catch (failure) {
      setError(asApiError(failure));
    }
  }
  return (
    <form className="panel" onSubmit={(event) => void file(event)}>
      <h2>Report a quality problem</h2>
      <p>
        Until <time dateTime={order.claim_deadline ?? ""}>{localTime(order.claim_deadline ?? "")}</time>. We take back or remake a
        piece for quality reasons only; a photo or video shows us the problem.
      </p>
      <fieldset>
        <legend>What is wrong?</legend>
        {REASONS.map(([value, label, hint]) => (
          <label key={value} className="check">
            <input type="radio" name="reason" value={value} checked={reason === value} onChange={() => setReason(value)} />{" "}
            {label} <span className="muted">({hint})</span>
          </label>
        ))}
      </fieldset>
      <label htmlFor={id}>Describe it</label>
      <textarea id={id} value={description} rows={3} maxLength={2000} onChange={(event) => setDescription(event.target.value)} />
      <ErrorNote error={error} />
      <button type="submit" disabled={!description.trim()}>
        Start the claim
      </button>
    </form>
  );
}
