"""The order's statuses and every legal move between them (docs/design.md, §4)."""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "PENDING_PAYMENT"
    IN_REVIEW = "IN_REVIEW"
    IN_PRODUCTION = "IN_PRODUCTION"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    EXPIRED = "EXPIRED"
    CANCELLED = "CANCELLED"


S = OrderStatus

# Every legal move, with what causes it. A move not listed here is refused, whoever asks.
TRANSITIONS: dict[tuple[OrderStatus | None, OrderStatus], str] = {
    (None, S.PENDING_PAYMENT): "customer places the order",
    (S.PENDING_PAYMENT, S.IN_PRODUCTION): "payment confirmed, request agreed automatically",
    (S.PENDING_PAYMENT, S.IN_REVIEW): "payment confirmed, review required",
    (S.PENDING_PAYMENT, S.EXPIRED): "payment deadline passed",
    (S.PENDING_PAYMENT, S.CANCELLED): "customer cancels",
    (S.EXPIRED, S.IN_PRODUCTION): "a payment made in time arrives late",
    (S.EXPIRED, S.IN_REVIEW): "a payment made in time arrives late",
    (S.IN_REVIEW, S.IN_PRODUCTION): "staff accept, or the surcharge is paid",
    (S.IN_REVIEW, S.CANCELLED): "staff decline, the surcharge is declined or lapses, or the "
    "payment is refunded in full at the provider",
    (S.IN_PRODUCTION, S.CANCELLED): "staff cancel a paid order, or it is refunded in full at "
    "the provider",
    (S.IN_PRODUCTION, S.SHIPPED): "staff ship",
    (S.SHIPPED, S.DELIVERED): "delivery recorded",
    (S.DELIVERED, S.IN_PRODUCTION): "a quality claim is approved",
}
