"""The Order aggregate and its state machine (docs/design.md, §4), one module per concern:
`status` (statuses and legal moves), `values` (value objects), `state` (the fields and the one
place a change is recorded), `window` (the payment window), `ledger` (payments and refunds),
`review` (review and surcharge), `production` (the production watch), `claims`, `privacy`,
and `aggregate`, which composes them into `Order`."""

from atelier.domain.order.aggregate import Order
from atelier.domain.order.ledger import REFUND_REASONS, REFUNDED_AT_PROVIDER, PaymentVerdict
from atelier.domain.order.privacy import ERASED, PAYMENT_EVENT_HORIZON
from atelier.domain.order.production import SHIP_WARNING_TIME
from atelier.domain.order.review import SURCHARGE_WINDOW
from atelier.domain.order.state import ERASED_EMAIL, OrderState
from atelier.domain.order.status import TRANSITIONS, OrderStatus
from atelier.domain.order.values import (
    Address,
    Checkout,
    Contact,
    Delay,
    FailedRefund,
    HistoryEntry,
    IncomingPayment,
    Payment,
    ProductSnapshot,
    Refund,
    Review,
    Shipment,
    ShipWatch,
    Surcharge,
)
from atelier.domain.order.window import MIN_CHECKOUT_WINDOW, PAYMENT_WINDOW

__all__ = [
    "ERASED",
    "ERASED_EMAIL",
    "MIN_CHECKOUT_WINDOW",
    "PAYMENT_EVENT_HORIZON",
    "PAYMENT_WINDOW",
    "REFUNDED_AT_PROVIDER",
    "REFUND_REASONS",
    "SHIP_WARNING_TIME",
    "SURCHARGE_WINDOW",
    "TRANSITIONS",
    "Address",
    "Checkout",
    "Contact",
    "Delay",
    "FailedRefund",
    "HistoryEntry",
    "IncomingPayment",
    "Order",
    "OrderState",
    "OrderStatus",
    "Payment",
    "PaymentVerdict",
    "ProductSnapshot",
    "Refund",
    "Review",
    "ShipWatch",
    "Shipment",
    "Surcharge",
]
