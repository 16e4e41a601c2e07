"""The Order aggregate: one class per concern, composed; placing an order."""

from __future__ import annotations

from datetime import datetime, timedelta

from atelier.domain.catalog import Product
from atelier.domain.customization import Customization, ReviewReason
from atelier.domain.events import EventType
from atelier.domain.order.claims import ClaimsDesk
from atelier.domain.order.privacy import Privacy
from atelier.domain.order.review import ReviewDesk
from atelier.domain.order.state import S
from atelier.domain.order.values import Address, Checkout, Contact, ProductSnapshot, Review
from atelier.domain.order.window import PAYMENT_WINDOW, PaymentWindow
from atelier.domain.pricing import Price


class Order(ReviewDesk, ClaimsDesk, PaymentWindow, Privacy):
    """An order and its state machine. Each concern is a class of its own over the same state
    (`OrderState`); this one only composes them and places new orders."""

    @classmethod
    def place(
        cls,
        *,
        order_id: str,
        customer_id: str,
        product: Product,
        size: str | None,
        customization: Customization,
        reasons: list[ReviewReason],
        contact: Contact,
        shipping_address: Address,
        price: Price,
        terms_version: str,
        checkout: Checkout,
        now: datetime,
        reminder_lead: timedelta = timedelta(hours=4),
        idempotency_key: str | None = None,
    ) -> Order:
        due = now + PAYMENT_WINDOW
        order = cls(
            order_id=order_id,
            customer_id=customer_id,
            status=S.PENDING_PAYMENT,
            product_id=product.product_id,
            product=ProductSnapshot.of(product),
            size=size,
            customization=customization,
            contact=contact,
            shipping_address=shipping_address,
            price=price,
            terms_version=terms_version,
            created_at=now,
            payment_due_at=due,
            review=Review(required=bool(reasons), reasons=tuple(reasons)),
            checkout=checkout,
            reminder_at=due - reminder_lead if reminder_lead < PAYMENT_WINDOW else None,
            idempotency_key=idempotency_key,
            version=0,
        )
        order._record(
            EventType.ORDER_PLACED,
            "customer",
            "order placed",
            now,
            to=S.PENDING_PAYMENT,
            data={"total_cents": price.total_cents, "review_required": bool(reasons)},
        )
        return order
