"""In-memory adapters: the fakes unit tests and benchmarks run the services on.

They keep the same promises as the DynamoDB adapters (conditional saves, history and due
entries committed with the order, opaque cursors) so a service tested here behaves the same there.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from atelier.adapters.cursor import decode_cursor, encode_cursor
from atelier.adapters.memory_stores import (
    InMemoryEmailSender,
    InMemoryEvidenceStore,
    InMemoryIdempotencyRecords,
)
from atelier.adapters.snapshots import Seen
from atelier.clock import isoformat_z
from atelier.domain.catalog import Product
from atelier.domain.claims import ClaimStatus
from atelier.domain.due import DueKind
from atelier.domain.errors import ConflictError, DuplicateEventError
from atelier.domain.messages import Message
from atelier.domain.order import Checkout, HistoryEntry, Order, OrderStatus, Payment
from atelier.ports import (
    MAX_PARKED_EVENTS,
    OrderDetails,
    Page,
    SessionState,
    SessionStatus,
    payment_request_changed,
    too_many_parked_events,
)

__all__ = [
    "InMemoryEmailSender",
    "InMemoryEvidenceStore",
    "InMemoryIdempotencyRecords",
    "InMemoryOrderRepository",
    "InMemoryPaymentGateway",
    "InMemoryProductRepository",
]


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

    def add(self, product: Product) -> None:
        if product.product_id in self._products:
            raise ConflictError(
                f"There is already a product {product.product_id!r} in the catalog.",
                code="PRODUCT_EXISTS",
            )
        self._products[product.product_id] = product


class InMemoryOrderRepository:
    def __init__(self) -> None:
        self._orders: dict[str, Order] = {}
        self.history: dict[str, list[HistoryEntry]] = {}
        self.due_index: dict[tuple[str, str], datetime] = {}  # (kind, order_id) -> due at
        self.checkout_pointers: dict[str, str] = {}
        self.payment_pointers: dict[str, str] = {}
        self.applied_events: set[str] = set()
        self.parked: dict[str, list[dict[str, Any]]] = {}  # payment intent -> records
        self.messages: dict[str, list[Message]] = {}
        self.writes = 0  # committed transactions, for tests that count them
        self._seen = Seen()

    def _handed_out(self, stored: Order) -> Order:
        """A copy, as a read from storage gives: changing it changes nothing stored."""
        order = copy.deepcopy(stored)
        self._seen.remember(order)
        return order

    def get(self, order_id: str) -> Order | None:
        stored = self._orders.get(order_id)
        return self._handed_out(stored) if stored else None

    def new_payments(self, order: Order) -> tuple[Payment, ...]:
        return self._seen.new_payments(order)

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
        return Page([self._handed_out(o) for o in chunk], next_cursor)

    def add(self, order: Order) -> None:
        if order.order_id in self._orders:
            raise ConflictError("An order with this id exists.", code="CONCURRENT_UPDATE")
        if order.checkout is not None:
            self.checkout_pointers[order.checkout.session_id] = order.order_id
        self._commit(order)

    def save(
        self,
        order: Order,
        *,
        event_id: str | None = None,
        parked: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        if event_id is not None and event_id in self.applied_events:
            raise DuplicateEventError("This provider event was already applied.")
        stored = self._orders.get(order.order_id)
        read = self._seen.of(order)
        if stored is None or (stored.status, stored.version) != (read.status, read.version):
            raise ConflictError(
                "The order changed while this request was handled; read it and try again.",
                code="CONCURRENT_UPDATE",
            )
        new_payments = self._seen.new_payments(order)
        absorbed = {
            p.payment_intent: list((parked or {}).get(p.payment_intent, ())) for p in new_payments
        }
        for intent, ids in absorbed.items():
            if [r["event_id"] for r in self.parked.get(intent, [])] != ids:
                raise ConflictError(
                    "An event was kept for this payment meanwhile; read it and try again.",
                    code="CONCURRENT_UPDATE",
                )
        if event_id is not None:
            self.applied_events.add(event_id)
        for intent, ids in absorbed.items():
            self.parked.pop(intent, None)
            self.applied_events.update(ids)
        for payment in new_payments:
            self.payment_pointers[payment.payment_intent] = order.order_id
        if order.checkout is not None:
            self.checkout_pointers[order.checkout.session_id] = order.order_id
        self._commit(order)

    def park_event(self, payment_intent: str, event_id: str, record: Mapping[str, Any]) -> bool:
        if payment_intent in self.payment_pointers:
            raise ConflictError(
                "The payment was recorded while this event was kept; try again.",
                code="CONCURRENT_UPDATE",
            )
        kept = self.parked.setdefault(payment_intent, [])
        if any(r["event_id"] == event_id for r in kept):
            return False
        if len(kept) >= MAX_PARKED_EVENTS:
            raise too_many_parked_events(payment_intent)
        kept.append(dict(record))
        self.writes += 1
        return True

    def parked_events(self, payment_intent: str) -> list[Mapping[str, Any]]:
        return [dict(r) for r in self.parked.get(payment_intent, [])]

    def find_by_payment_intent(self, payment_intent: str) -> Order | None:
        order_id = self.payment_pointers.get(payment_intent)
        return self.get(order_id) if order_id else None

    def list_by_status(self, status: OrderStatus, *, limit: int, cursor: str | None) -> Page[Order]:
        def sort_key(o: Order) -> str:
            return f"{isoformat_z(o.created_at)}#{o.order_id}"

        queue = sorted((o for o in self._orders.values() if o.status is status), key=sort_key)
        if cursor:
            after = decode_cursor(cursor, ("s", "o"))["s"]
            queue = [o for o in queue if sort_key(o) > after]
        chunk = queue[:limit]
        next_cursor = None
        if len(queue) > limit:
            next_cursor = encode_cursor({"s": sort_key(chunk[-1]), "o": chunk[-1].order_id})
        return Page([self._handed_out(o) for o in chunk], next_cursor)

    def details(self, order_id: str) -> OrderDetails | None:
        order = self.get(order_id)
        if order is None:
            return None
        messages = sorted(self.messages.get(order_id, []), key=lambda m: (m.at, m.message_id))
        return OrderDetails(order, list(self.history.get(order_id, [])), messages)

    def add_message(self, message: Message) -> None:
        self.messages.setdefault(message.order_id, []).append(message)

    def redact_messages(self, order_id: str) -> None:
        self.messages[order_id] = [
            dataclasses.replace(m, text="[erased]") for m in self.messages.get(order_id, [])
        ]

    def claims_by_status(self, status: ClaimStatus, *, limit: int, cursor: str | None) -> Page[str]:
        claims = sorted(
            (c.created_at, c.claim_id)
            for o in self._orders.values()
            for c in o.claims
            if c.status is status
        )
        ids = [claim_id for _, claim_id in claims]
        start = ids.index(cursor) + 1 if cursor in ids else 0
        chunk = ids[start : start + limit]
        more = start + limit < len(ids)
        return Page(chunk, chunk[-1] if more and chunk else None)

    def find_by_checkout_session(self, session_id: str) -> Order | None:
        order_id = self.checkout_pointers.get(session_id)
        return self.get(order_id) if order_id else None

    def due(self, kind: DueKind, until: datetime, *, page_size: int = 100) -> Iterator[str]:
        entries = sorted(
            (at, order_id)
            for (k, order_id), at in self.due_index.items()
            if k == kind and at <= until
        )
        return iter([order_id for _, order_id in entries])

    def _commit(self, order: Order) -> None:
        self.history.setdefault(order.order_id, []).extend(order.new_history)
        for kind in list(DueKind):
            self.due_index.pop((kind, order.order_id), None)
        for kind, at in order.due_entries().items():
            self.due_index[(kind, order.order_id)] = at
        self._seen.remember(order)
        self._orders[order.order_id] = copy.deepcopy(order)
        self.writes += 1


class InMemoryPaymentGateway:
    """A provider with sessions and refunds held in memory; tests pay sessions by hand."""

    provider = "fake"

    def __init__(self) -> None:
        self.sessions: dict[str, SessionStatus] = {}
        self.checkouts: dict[str, tuple[str, int, str, datetime]] = {}  # session -> order...
        self.refunds: dict[str, tuple[str, int, str]] = {}  # idempotency key -> refund

    def create_checkout(
        self,
        *,
        order_id: str,
        amount_cents: int,
        currency: str,
        expires_at: datetime,
        description: str,
        attempt: str = "",
    ) -> Checkout:
        session_id = f"cs_fake_{len(self.sessions) + 1}"
        self.sessions[session_id] = SessionStatus(session_id, SessionState.OPEN)
        self.checkouts[session_id] = (order_id, amount_cents, currency, expires_at)
        return Checkout(self.provider, f"https://pay.example/{session_id}", session_id, expires_at)

    def pay(self, session_id: str, at: datetime, amount_cents: int | None = None) -> SessionStatus:
        _, due, currency, _ = self.checkouts[session_id]
        status = SessionStatus(
            session_id,
            SessionState.COMPLETE,
            payment_intent=f"pi_{session_id}",
            amount_cents=due if amount_cents is None else amount_cents,
            currency=currency,
            paid_at=at,
        )
        self.sessions[session_id] = status
        return status

    def expire_checkout(self, session_id: str) -> SessionStatus:
        status = self.sessions[session_id]
        if status.state is SessionState.OPEN:
            status = SessionStatus(session_id, SessionState.EXPIRED)
            self.sessions[session_id] = status
        return status

    def refund(
        self, *, payment_intent: str, amount_cents: int, idempotency_key: str, reason: str
    ) -> str:
        request = (payment_intent, amount_cents, reason)
        if self.refunds.setdefault(idempotency_key, request) != request:
            raise payment_request_changed("refund")  # as Stripe's idempotency_error
        return f"re_{idempotency_key}"

    def refunded_cents(self, payment_intent: str) -> int:
        return sum(cents for pi, cents, _ in self.refunds.values() if pi == payment_intent)
