"""Which emails a domain event sends (P7, P11), and their text and HTML.

The event says what happened; the order (read by the caller) gives the contact and the facts
the event does not carry. Where a fact is on the order (a surcharge, a delay, a shipment) the
order's value is used and the event's `data` is the fallback, so an email never shows a value
older than what the customer can see in the shop.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from zoneinfo import ZoneInfo

from atelier.clock import parse_iso
from atelier.config import Settings
from atelier.domain.events import DomainEvent, EventType
from atelier.domain.order import Order, OrderStatus
from atelier.notifications import templates as t
from atelier.notifications.facts import Facts, Values
from atelier.notifications.layout import LINKABLE, Email, EmailTemplate, fill
from atelier.observability import logger

Rendering = list[tuple[EmailTemplate, Values]]


def render_email(event: DomainEvent, order: Order, settings: Settings) -> list[Email]:
    """The emails `event` sends, to the customer and/or staff; none for other events."""
    build = _BUILDERS.get(event.event_type)
    if build is None:
        logger.debug(
            "no email for this event", event_id=event.event_id, event_type=event.event_type
        )
        return []
    facts = Facts(event, order, ZoneInfo(settings.shop_timezone))
    emails = []
    for template, values in build(facts):
        if template.kind == "customer":
            to = order.contact.email
        else:
            to = settings.required("staff_alert_email")
        emails.append(fill(template, {**facts.common(), **values}, to))
    return emails


def _order_placed(f: Facts) -> Rendering:
    total = f.cents("total_cents")
    checkout = f.order.checkout
    return [
        (
            t.ORDER_PLACED,
            {
                "total": f.money(total if total is not None else f.order.price.total_cents),
                "fee": f.money(f.order.price.customization_fee_cents),
                "deadline": f.when(f.order.payment_due_at),
                "payment_url": checkout.url if checkout is not None else "",
                "review": "yes" if f.order.review.required else "",
            },
        )
    ]


def _payment_reminder(f: Facts) -> Rendering:
    if f.order.status is not OrderStatus.PENDING_PAYMENT:
        return []  # paid, cancelled or expired since: a reminder would only confuse
    checkout = f.order.checkout
    return [
        (
            t.PAYMENT_REMINDER,
            {
                "deadline": f.when(f.data_time("payment_due_at") or f.order.payment_due_at),
                "payment_url": checkout.url if checkout is not None else "",
            },
        )
    ]


def _payment_confirmed(f: Facts) -> Rendering:
    paid = f.cents("paid_cents")
    ship_by = f.data_date("ship_by") or f.order.ship_by
    flag = f.data.get("review_required")
    if isinstance(flag, bool):
        review = flag
    else:
        review = ship_by is None and f.order.status is OrderStatus.IN_REVIEW
    return [
        (
            t.PAYMENT_CONFIRMED,
            {
                "paid": f.money(paid if paid is not None else f.order.paid_cents),
                "ship_by": f.day(ship_by),
                "review": "yes" if review else "",
                "surcharge_paid": "yes" if f.data.get("surcharge") is True else "",
            },
        )
    ]


def _review_accepted(f: Facts) -> Rendering:
    return [(t.REVIEW_ACCEPTED, {"ship_by": f.day(f.data_date("ship_by") or f.order.ship_by)})]


def _surcharge_requested(f: Facts) -> Rendering:
    surcharge = f.order.review.surcharge
    cents: int | None
    due: datetime | None
    if surcharge is not None:
        cents, note, due = surcharge.cents, surcharge.note, surcharge.due_at
    else:
        cents, note, due = f.cents("surcharge_cents"), f.text("note"), f.data_time("due_at")
    return [
        (
            t.SURCHARGE_REQUESTED,
            {
                "surcharge": f.money(cents) if cents is not None else "",
                "note": note.strip(),
                "deadline": f.when(due),
            },
        )
    ]


def _order_expired(f: Facts) -> Rendering:
    return [(t.ORDER_EXPIRED, {"deadline": f.when(f.order.payment_due_at)})]


def _order_cancelled(f: Facts) -> Rendering:
    # The customer's own cancellation (of the order, or of a surcharge) needs no reason read
    # back to them; the shop's (staff, or a lapsed surcharge) gives its reason.
    by_customer = f.event.actor == "customer"
    values = {
        "reason": "" if by_customer else f.text("reason"),
        "note": f.text("note"),
        "by_customer": "yes" if by_customer else "",
        **f.refund_values(),
    }
    rendering: Rendering = [(t.ORDER_CANCELLED, values)]
    if f.event.actor == "payment-provider":
        # Refunded in full in the provider's dashboard: the workshop must stop.
        refund = f.cents("refund_cents")
        staff = {
            "refund": f.money(refund) if refund else "",
            "payment_intent": f.text("payment_intent"),
        }
        rendering.append((t.PROVIDER_REFUND_CANCELLED_STAFF, staff))
    return rendering


def _order_declined(f: Facts) -> Rendering:
    values = {"note": f.text("note"), "reason": f.text("reason"), **f.refund_values()}
    return [(t.ORDER_DECLINED, values)]


def _refund_issued(f: Facts) -> Rendering:
    if f.data.get("part_of"):
        return []  # the cancellation's own email already gives the refund
    refund = f.cents("refund_cents")
    if not refund:
        return []
    values = {"refund": f.money(refund), "why": _refund_reason(f, refund), **_still_payable(f)}
    rendering: Rendering = [(t.REFUND_ISSUED, values)]
    alert = f.text("staff_alert")
    if alert in ("partial", "after_shipment"):
        staff = {
            "refund": f.money(refund),
            "payment_intent": f.text("payment_intent"),
            alert: "yes",
        }
        rendering.append((t.PROVIDER_REFUND_STAFF, staff))
    return rendering


def _still_payable(f: Facts) -> Values:
    """A refused payment (of the wrong amount) leaves the order payable: what is due, by
    when, and where, while its checkout is open and its deadline had not passed."""
    order = f.order
    due = order.amount_due()
    checkout = order.checkout
    at = f.data_time("at") or _event_time(f)
    if due is None or checkout is None or (at is not None and at > due[1]):
        return {}
    cents, deadline = due
    return {"due": f.money(cents), "deadline": f.when(deadline), "payment_url": checkout.url}


def _event_time(f: Facts) -> datetime | None:
    try:
        return parse_iso(f.event.at)
    except (TypeError, ValueError):
        return None


def _refund_failed(f: Facts) -> Rendering:
    failed = f.cents("failed_cents")
    reason = f.text("failure_reason").replace("_", " ")
    values = {
        "failed": f.money(failed) if failed else "",
        "refund_id": f.text("refund_id"),
        "payment_intent": f.text("payment_intent"),
        "failure_reason": reason,
    }
    return [(t.REFUND_FAILED_STAFF, values)]


def _refund_reason(f: Facts, refund: int) -> str:
    """Why money went back: the event's own reason when it gives one, otherwise what the
    refunded payment shows (the order keeps each payment, with its time and amount)."""
    given = f.text("reason")
    if given:
        return given.rstrip(".")
    if f.event.actor == "payment-provider":
        return "the shop refunded it through our payment provider"
    order = f.order
    refused = [p for p in order.payments if not p.accepted and p.refunded_cents == refund]
    if not refused:
        return "the shop refunded it"
    payment = refused[-1]
    if payment.paid_at > order.payment_due_at:
        return (
            "your payment was made after the payment deadline "
            f"({f.when(order.payment_due_at)}), when the order could no longer be paid"
        )
    if (payment.amount_cents, payment.currency) != (order.price.total_cents, order.price.currency):
        return (
            f"the amount paid ({f.money(payment.amount_cents)}) was not the amount due "
            f"({f.money(order.price.total_cents)})"
        )
    return "the order was no longer waiting for a payment (it was already paid or cancelled)"


def _delay_recorded(f: Facts) -> Rendering:
    delay = f.order.delay
    reason = delay.reason if delay is not None else f.text("reason")
    expected = delay.expected_ship_date if delay is not None else f.data_date("expected_ship_date")
    return [(t.DELAY_RECORDED, {"reason": reason.strip(), "expected_ship_date": f.day(expected)})]


def _watched_date(f: Facts) -> date | None:
    """The ship date the SLA watch was following: the event's, else the delay's or ship_by."""
    given = f.data_date("ship_date") or f.data_date("ship_by")
    if given is not None:
        return given
    if f.order.delay is not None:
        return f.order.delay.expected_ship_date
    return f.order.ship_by


def _ship_deadline_missed(f: Facts) -> Rendering:
    values = {"ship_by": f.day(_watched_date(f))}
    return [(t.SHIP_DEADLINE_MISSED, values), (t.SHIP_DEADLINE_MISSED_STAFF, values)]


def _ship_deadline_approaching(f: Facts) -> Rendering:
    return [(t.SHIP_DEADLINE_APPROACHING, {"ship_by": f.day(_watched_date(f))})]


def _order_shipped(f: Facts) -> Rendering:
    shipment = f.order.shipment
    if shipment is not None:
        carrier, tracking = shipment.carrier, shipment.tracking_number
    else:
        carrier, tracking = f.text("carrier"), f.text("tracking_number")
    return [(t.ORDER_SHIPPED, {"carrier": carrier, "tracking_number": tracking})]


def _message_posted(f: Facts) -> Rendering:
    author = f.data.get("author")
    if author == "staff":
        return [(t.MESSAGE_FOR_CUSTOMER, {})]
    if author == "customer":
        return [(t.MESSAGE_FOR_STAFF, {})]
    return []


def _payment_disputed(f: Facts) -> Rendering:
    return [(t.PAYMENT_DISPUTED, {"payment_intent": f.text("payment_intent")})]


def _return_label(f: Facts) -> str:
    """The claim's return label as people read it ("USPS, reference RL-…"): from the claim
    on the order, else from the event, which carries it as `{carrier, reference}`."""
    claim_id = f.text("claim_id")
    claim = next((c for c in f.order.claims if c.claim_id == claim_id), None)
    label = claim.resolution.return_label if claim and claim.resolution else None
    if label is not None:
        carrier, reference = label.carrier, label.reference
    else:
        given = f.data.get("return_label")
        if not isinstance(given, Mapping):
            return ""
        carrier, reference = str(given.get("carrier") or ""), str(given.get("reference") or "")
    carrier, reference = carrier.strip(), reference.strip()
    if LINKABLE.match(reference):
        return reference  # a carrier's label page: the link says it all
    if carrier and reference:
        return f"{carrier}, reference {reference}"
    return carrier or reference


def _claim_approved(f: Facts) -> Rendering:
    label = _return_label(f)
    linkable = LINKABLE.match(label) is not None
    kind = f.text("kind").lower()
    ship_by = f.data_date("ship_by")
    if ship_by is None and f.order.status is OrderStatus.IN_PRODUCTION:
        ship_by = f.order.ship_by
    return [
        (
            t.CLAIM_APPROVED,
            {
                "resolution": kind if kind in ("remake", "replace") else "",
                "ship_by": f.day(ship_by),
                "note": f.text("note"),
                "return_label_url": label if linkable else "",
                "return_label": "" if linkable else label,
            },
        )
    ]


def _claim_rejected(f: Facts) -> Rendering:
    return [(t.CLAIM_REJECTED, {"note": f.text("note")})]


_BUILDERS: dict[str, Callable[[Facts], Rendering]] = {
    EventType.ORDER_PLACED: _order_placed,
    EventType.PAYMENT_REMINDER_DUE: _payment_reminder,
    EventType.PAYMENT_CONFIRMED: _payment_confirmed,
    EventType.REVIEW_ACCEPTED: _review_accepted,
    EventType.SURCHARGE_REQUESTED: _surcharge_requested,
    EventType.ORDER_EXPIRED: _order_expired,
    EventType.ORDER_CANCELLED: _order_cancelled,
    EventType.ORDER_DECLINED: _order_declined,
    EventType.REFUND_ISSUED: _refund_issued,
    EventType.REFUND_FAILED: _refund_failed,
    EventType.DELAY_RECORDED: _delay_recorded,
    EventType.SHIP_DEADLINE_MISSED: _ship_deadline_missed,
    EventType.SHIP_DEADLINE_APPROACHING: _ship_deadline_approaching,
    EventType.ORDER_SHIPPED: _order_shipped,
    EventType.MESSAGE_POSTED: _message_posted,
    EventType.PAYMENT_DISPUTED: _payment_disputed,
    EventType.CLAIM_APPROVED: _claim_approved,
    EventType.CLAIM_REJECTED: _claim_rejected,
}

# The event types that send email: the notifier's rules on the bus are one per type.
EMAIL_EVENT_TYPES = tuple(_BUILDERS)
