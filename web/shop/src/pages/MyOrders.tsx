import { useState } from "react";
import { localTime, money, must, statusLabel, type Schemas } from "@atelier/api";
import { Link, useShop, useSignedIn } from "../app";
import { ErrorNote, Loading, useLoad } from "../ui";

type Order = Schemas["OrderView"];

/** GET /orders: the customer's orders, newest first, a page at a time (next_cursor). */
export function MyOrders() {
  const user = useSignedIn();
  if (!user) return <Loading />;
  return <OrderList />;
}

function OrderList() {
  const { api } = useShop();
  const [cursor, setCursor] = useState<string | null>(null);
  const [earlier, setEarlier] = useState<Order[]>([]);
  const page = useLoad(() => must(api.GET("/orders", { params: { query: { limit: 20, cursor } } })), [api, cursor]);
  const orders = [...earlier, ...(page.data?.items ?? [])];
  return (
    <section>
      <h1>My orders</h1>
      <ErrorNote error={page.error} onReload={page.reload} />
      {!page.data && !page.error && <Loading />}
      {page.data && orders.length === 0 && (
        <p>
          No orders yet. <Link to="/">Browse the catalog</Link>.
        </p>
      )}
      <ul className="orders">
        {orders.map((order) => (
          <li key={order.order_id}>
            <Link to={`/orders/${encodeURIComponent(order.order_id)}`}>{order.product_name}</Link>
            <span className={`status status-${order.status.toLowerCase()}`}>{statusLabel(order.status)}</span>
            <span>{money(order.amounts.total_cents, order.amounts.currency)}</span>
            <span className="muted">ordered {localTime(order.created_at)}</span>
          </li>
        ))}
      </ul>
      {page.data?.next_cursor && (
        <button
          type="button"
          onClick={() => {
            setEarlier(orders);
            setCursor(page.data?.next_cursor ?? null);
          }}
        >
          Show older orders
        </button>
      )}
    </section>
  );
}
