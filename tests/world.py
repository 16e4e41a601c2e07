"""The unit tests' world: the in-memory adapters on an injected clock, and the service objects
built on them as `bootstrap.Container` builds them on the real ones.

`World().place()` places an order of the ring; `event()` makes a provider event about it, and
`apply()` and `sweep()` run the payment flow.
"""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from atelier.adapters.memory import (
    InMemoryEvidenceStore,
    InMemoryIdempotencyRecords,
    InMemoryOrderRepository,
    InMemoryPaymentGateway,
    InMemoryProductRepository,
)
from atelier.bootstrap import Container
from atelier.clock import FixedClock
from atelier.config import Settings
from atelier.domain.calendar import WorkingCalendar
from atelier.domain.catalog import Product
from atelier.domain.customization import Customization
from atelier.domain.order import Address, Contact, Order
from atelier.domain.payment_events import PaymentEvent, PaymentEventKind
from atelier.ports import PaymentGateway
from atelier.services.catalog import Catalog
from atelier.services.claims import Claims
from atelier.services.customer_orders import CustomerOrders
from atelier.services.payments import Payments
from atelier.services.placing import PlaceOrder
from atelier.services.privacy import Privacy
from atelier.services.settlement import Outcome
from atelier.services.sweep import SweepReport
from atelier.services.workshop import Workshop
from tests.factories import MONDAY_10AM, charm, ring

CALENDAR = WorkingCalendar()
FEE_CENTS = 1000


def ring_order(customer: str = "cust-a", remarks: str | None = None, **fields: Any) -> PlaceOrder:
    """A request for the ring, size 7, oval: in range unless `remarks` are given."""
    values: dict[str, Any] = {
        "customer_id": customer,
        "product_id": "signet-ring",
        "size": "7",
        "customization": Customization.of(style="oval", remarks=remarks),
        "contact": Contact("Ada", "ada@example.com"),
        "shipping_address": Address("1 Main St", "Springfield", "62701", "US"),
        "accept_terms_version": "2026-11-01",
    }
    values.update(fields)
    return PlaceOrder(**values)


class _NoReader:
    def read(self, raw_body: bytes, signature_header: str | None, now: datetime) -> PaymentEvent:
        raise AssertionError("the unit tests apply events; they read no signed webhook")


class World:
    """The in-memory adapters, and `bootstrap.Container`'s own wiring of the services on them:
    each adapter is put where the container would build the real one."""

    def __init__(
        self,
        now: datetime = MONDAY_10AM,
        calendar: WorkingCalendar = CALENDAR,
        *,
        products: list[Product] | None = None,
        gateway: PaymentGateway | None = None,
        fee_cents: int = FEE_CENTS,
    ) -> None:
        self.clock = FixedClock(now)
        self.calendar = calendar
        self.products = InMemoryProductRepository(products or [ring(), charm()])
        self.orders = InMemoryOrderRepository()
        self.gateway: Any = gateway or InMemoryPaymentGateway()
        self.evidence = InMemoryEvidenceStore(self.clock)
        self.idempotency = InMemoryIdempotencyRecords()
        self._events = itertools.count(1)
        settings = Settings(table_name="unit-tests", customization_fee_cents=fee_cents)
        self.container = Container(settings=settings, clock=self.clock)
        # The container's adapters are cached properties: a value in the instance's dict is
        # what they answer, and the services are built from them.
        vars(self.container).update(
            products=self.products,
            orders=self.orders,
            gateway=self.gateway,
            evidence_store=self.evidence,
            idempotency_records=self.idempotency,
            calendar=calendar,
            payment_events=_NoReader(),
        )

    # ------------------------------------------------------------ the services

    @property
    def customer_orders(self) -> CustomerOrders:
        return self.container.customer_orders

    @property
    def payments(self) -> Payments:
        return self.container.payments

    @property
    def workshop(self) -> Workshop:
        return self.container.workshop

    @property
    def claims(self) -> Claims:
        return self.container.claims

    @property
    def privacy(self) -> Privacy:
        return self.container.privacy

    @property
    def catalog(self) -> Catalog:
        return self.container.catalog

    # ------------------------------------------------------------ shortcuts

    def place(self, remarks: str | None = None, **fields: Any) -> Order:
        return self.customer_orders.place(ring_order(remarks=remarks, **fields))

    def event(
        self,
        order: Order,
        kind: PaymentEventKind = PaymentEventKind.PAID,
        *,
        at: datetime | None = None,
        amount: int | None = None,
        intent: str | None = None,
        currency: str = "usd",
        event_id: str | None = None,
        refunded: int | None = None,
    ) -> PaymentEvent:
        session = order.checkout.session_id if order.checkout else None
        return PaymentEvent(
            event_id=event_id or f"stripe:evt_{next(self._events)}",
            kind=kind,
            created=at or self.clock.now(),
            provider_type=str(kind),
            order_id=order.order_id,
            session_id=session,
            payment_intent=intent or f"pi_{order.order_id}",
            amount_cents=order.price.total_cents if amount is None else amount,
            currency=currency,
            refunded_total_cents=refunded,
        )

    def apply(self, event: PaymentEvent) -> Outcome:
        return self.payments.apply(event)

    def sweep(self) -> SweepReport:
        return self.payments.expire_overdue()

    def reload(self, order: Order) -> Order:
        found = self.orders.get(order.order_id)
        assert found is not None
        return found
