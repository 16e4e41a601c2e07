"""In-memory adapters: the fakes unit tests and benchmarks run the services on.

They keep the same promises as the DynamoDB adapters (conditional saves, history and due
entries committed with the order, opaque cursors) so a service tested here behaves the same there.
"""

from __future__ import annotations

import copy
from datetime import datetime

from atelier.adapters.cursor import decode_cursor, encode_cursor
from atelier.clock import isoformat_z
from atelier.domain.catalog import Product
from atelier.domain.errors import ConflictError
from atelier.domain.order import HistoryEntry, Order
from atelier.ports import Page


class InMemoryProductRepository:
    def __init__(self, products: list[Product] | None = None) -> None:
        self._products: dict[str, Product] = {p.product_id: p for p in products or []}

    def get(self, product_id: str) -> Product | None:
        return self._products.get(product_id)

    def list(
        self, *, limit: int, cursor: str | None, include_inactive: bool = False
    ) -> Page[Product]:
        ordered = sorted(
            (p for p in self._products.values() if include_inactive or p.active),
            key=lambda p: (not p.active, p.product_id),
        )
        start = 0
        if cursor:
            after = decode_cursor(cursor, ("p", "id"))["id"]
            start = next((i + 1 for i, p in enumerate(ordered) if p.product_id == after), 0)
        chunk = ordered[start : start + limit]
        more = start + limit < len(ordered)
        next_cursor = (
            encode_cursor(
                {
                    "p": "CATALOG#ACTIVE" if chunk[-1].active else "CATALOG#INACTIVE",
                    "id": chunk[-1].product_id,
                }
            )
            if more and chunk
            else None
        )
        return Page(chunk, next_cursor)

    def save(self, product: Product) -> None:
        self._products[product.product_id] = product


class InMemoryOrderRepository:
    def __init__(self) -> None:
        self._orders: dict[str, Order] = {}
        self.history: dict[str, list[HistoryEntry]] = {}
        self.due: dict[tuple[str, str], datetime] = {}  # (kind, order_id) -> due at
        self.checkout_pointers: dict[str, str] = {}
        self.writes = 0  # committed transactions, for tests that count them

    def get(self, order_id: str) -> Order | None:
        stored = self._orders.get(order_id)
        return copy.deepcopy(stored) if stored else None

    def list_for_customer(self, customer_id: str, *, limit: int, cursor: str | None) -> Page[Order]:
        def sort_key(o: Order) -> str:
            return f"{isoformat_z(o.created_at)}#{o.order_id}"

        mine = sorted(
            (o for o in self._orders.values() if o.customer_id == customer_id),
            key=sort_key,
            reverse=True,
        )
        if cursor:
            after = decode_cursor(cursor, ("s", "o"))["s"]
            mine = [o for o in mine if sort_key(o) < after]
        chunk = mine[:limit]
        next_cursor = None
        if len(mine) > limit:
            next_cursor = encode_cursor({"s": sort_key(chunk[-1]), "o": chunk[-1].order_id})
        return Page([copy.deepcopy(o) for o in chunk], next_cursor)

    def add(self, order: Order) -> None:
        if order.order_id in self._orders:
            raise ConflictError("An order with this id exists.", code="CONCURRENT_UPDATE")
        if order.checkout is not None:
            self.checkout_pointers[order.checkout.session_id] = order.order_id
        self._commit(order)

    def save(self, order: Order) -> None:
        stored = self._orders.get(order.order_id)
        if (
            order.persisted is None
            or stored is None
            or (stored.status, stored.version) != (order.persisted.status, order.persisted.version)
        ):
            raise ConflictError(
                "The order changed while this request was handled; read it and try again.",
                code="CONCURRENT_UPDATE",
            )
        self._commit(order)

    def _commit(self, order: Order) -> None:
        self.history.setdefault(order.order_id, []).extend(order.new_history)
        for kind, _ in order.persisted.due if order.persisted else ():
            self.due.pop((kind, order.order_id), None)
        for kind, at in order.due_entries().items():
            self.due[(kind, order.order_id)] = at
        order.mark_persisted()
        self._orders[order.order_id] = copy.deepcopy(order)
        self.writes += 1
