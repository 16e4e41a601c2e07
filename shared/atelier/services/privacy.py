"""P6: the design export for reuse (no personal data) and erasure of a customer's personal data
in orders that are finished, keeping amounts and history for the books."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from atelier.domain.catalog import ExpressionOptions
from atelier.domain.errors import ConflictError, InvalidRequestError
from atelier.domain.order import Order, OrderStatus
from atelier.observability import logger
from atelier.ports import Clock, IdempotencyRecords, OrderRepository, Page

# Agreed designs: the request was accepted (in production or later).
DESIGN_STATUSES = (OrderStatus.IN_PRODUCTION, OrderStatus.SHIPPED, OrderStatus.DELIVERED)


@dataclass(frozen=True)
class Design:
    """A customization as the shop may reuse it: never who asked for it, nor which order it was.

    Only what the product publishes is exported: a style, color or expression (a face) chosen
    from the product's range, as the catalog spells it. Whatever the customer typed — a style
    outside the range, an engraving, remarks — is theirs and left out (P6), and so are claim
    photos (defect evidence, not design material), ids and dates."""

    design_id: str  # the design's own: the same choices on the same product, the same id
    product_id: str
    product_name: str
    style: str | None
    color: str | None
    expression: str | None


def _published(value: str | None, options: tuple[str, ...]) -> str | None:
    """`value` in the catalog's spelling when the product offers it, else None."""
    if value is None:
        return None
    return next((o for o in options if o.casefold() == value.casefold()), None)


def design_of(order: Order) -> Design:
    published = order.product.customization
    c = order.customization
    faces = published.expression
    style = _published(c.style, published.style.options)
    color = _published(c.color, published.color.options)
    expression = (
        _published(c.expression, faces.options) if isinstance(faces, ExpressionOptions) else None
    )
    # Built from what is exported and nothing else, so it can lead nowhere the design cannot.
    content = "\n".join([order.product_id, style or "", color or "", expression or ""])
    return Design(
        design_id="dsn_" + hashlib.sha256(content.encode()).hexdigest()[:20],
        product_id=order.product_id,
        product_name=order.product.name,
        style=style,
        color=color,
        expression=expression,
    )


@dataclass
class ErasureReport:
    erased: list[str] = field(default_factory=list)
    already_erased: int = 0
    still_active: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Privacy:
    """P6: what the shop may reuse of a design, and a customer's right to be forgotten."""

    orders: OrderRepository
    clock: Clock
    idempotency: IdempotencyRecords

    def export_designs(
        self, status: OrderStatus, *, product_id: str | None, limit: int, cursor: str | None
    ) -> Page[Design]:
        """Agreed designs, without personal data, a page of one status's queue at a time."""
        if status not in DESIGN_STATUSES:
            raise InvalidRequestError(
                "Designs are exported from agreed orders: IN_PRODUCTION, SHIPPED or DELIVERED.",
                code="NOT_AN_AGREED_STATUS",
            )
        page = self.orders.list_by_status(status, limit=limit, cursor=cursor)
        designs = [design_of(o) for o in page.items if product_id in (None, o.product_id)]
        return Page(designs, page.next_cursor)

    def erase_customer(self, actor: str, customer_id: str) -> ErasureReport:
        """Anonymize every finished order of the customer; active ones are listed, untouched.

        What the Idempotency-Key layer kept for an erased order (its first answer, with the
        contact, remarks and engraving) is deleted by its key, which the order records: before the
        erased order is saved, so a failed save leaves the key for a retry, and again after, so a
        replay that re-stored the answer in between is gone too. A replay then places nothing and
        answers a 409 (`CustomerOrders.place`)."""
        report = ErasureReport()
        now = self.clock.now()
        cursor: str | None = None
        while True:
            page = self.orders.list_for_customer(customer_id, limit=100, cursor=cursor)
            for order in page.items:
                if order.erased:
                    report.already_erased += 1
                    continue
                key = order.idempotency_key
                try:
                    order.erase_personal_data(actor, now)
                except ConflictError:
                    report.still_active.append(order.order_id)
                    continue
                if key is not None:
                    self.idempotency.forget(customer_id, key)
                self.orders.save(order)
                if key is not None:
                    self.idempotency.forget(customer_id, key)
                self.orders.redact_messages(order.order_id)
                report.erased.append(order.order_id)
            cursor = page.next_cursor
            if cursor is None:
                break
        logger.info(
            "personal data erased",
            erased=len(report.erased),
            still_active=len(report.still_active),
        )
        return report
