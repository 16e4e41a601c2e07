"""P7 and P11: what each email says, rendered from real orders (in-memory adapters, a fixed
clock), and the notify service that sends them. Amounts in dollars, dates for people in New
York time, the order number and never a storage key."""

from __future__ import annotations

import itertools
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from atelier.adapters.memory import (
    InMemoryEmailSender,
)
from atelier.clock import isoformat_z
from atelier.config import ConfigurationError, Settings
from atelier.domain.claims import ClaimDecision, Remedy
from atelier.domain.errors import ServiceUnavailableError
from atelier.domain.events import DomainEvent
from atelier.domain.order import (
    Contact,
    Delay,
    Order,
    OrderStatus,
    Shipment,
    Surcharge,
)
from atelier.domain.payment_events import PaymentEvent, PaymentEventKind
from atelier.notifications import Email, render_email
from atelier.notifications.formatting import long_date, long_datetime, money
from atelier.notifications.render import EMAIL_EVENT_TYPES
from atelier.services.notify import Notifications
from infra.local.cfn import Resolver, StackContext, load_template_file, parameter_values
from infra.local.template import read_stack
from tests.factories import MONDAY_10AM, ring
from tests.world import World, ring_order

pytestmark = pytest.mark.unit

S = OrderStatus
NEW_YORK = ZoneInfo("America/New_York")
CUSTOMER = "ada@example.com"
STAFF = "workshop@shop.example.com"
SETTINGS = Settings(table_name="t", email_from="orders@shop.example.com", staff_alert_email=STAFF)
# Placed Monday 10:00 New York: payment due Tuesday 10:00; paid at once, ships by next Monday.
DEADLINE = "Tuesday, December 1, 2026, 10:00 AM EST"
SHIP_BY = "Monday, December 7, 2026"
ROOT = Path(__file__).resolve().parents[2]


class Shop(World):
    """The world with one product, a named customer and an outbox."""

    def __init__(self) -> None:
        super().__init__(products=[ring()])
        self.sender = InMemoryEmailSender()
        self.notifications = Notifications(self.orders, self.sender, SETTINGS)
        self._ids = itertools.count(1)

    def place(self, *, name: str = "Ada Lovelace", remarks: str | None = None) -> Order:
        request = ring_order(remarks=remarks, contact=Contact(name, CUSTOMER))
        return self.customer_orders.place(request)

    def pay(self, order: Order, *, at: datetime | None = None) -> Order:
        assert order.checkout is not None
        self.payments.apply(
            PaymentEvent(
                event_id=f"stripe:evt_{next(self._ids)}",
                kind=PaymentEventKind.PAID,
                created=at or self.clock.now(),
                provider_type="checkout.session.completed",
                order_id=order.order_id,
                session_id=order.checkout.session_id,
                payment_intent=f"pi_{order.order_id}",
                amount_cents=order.price.total_cents,
                currency="usd",
            )
        )
        return self.reload(order)

    def approve_claim(self, order: Order, *, carrier: str = "USPS") -> Order:
        """Ship and deliver a paid order, then file, evidence, submit and approve a quality
        claim on it, each through its service (the events are the ones the domain records)."""
        workshop, claims = self.workshop, self.claims
        workshop.ship("staff-1", order.order_id, "UPS", "1Z999")
        self.clock.advance(days=1)
        workshop.deliver("staff-1", order.order_id, self.clock.now())
        claim = claims.file("cust-a", order.order_id, "DAMAGED", "The clasp is loose.")
        photo = b"\xff\xd8\xff\xe0" + b"\x00" * 96
        issued = claims.ticket(
            "cust-a", order.order_id, claim.claim_id, "clasp.jpg", "image/jpeg", len(photo)
        )
        self.evidence.post(issued.ticket.fields["key"], photo)
        assert claims.check_upload(issued.ticket.fields["key"]) == "verified"
        claims.submit("cust-a", order.order_id, claim.claim_id)
        claims.decide(
            "staff-1",
            claim.claim_id,
            ClaimDecision.APPROVE,
            kind=Remedy.REMAKE,
            return_carrier=carrier,
        )
        return self.reload(order)

    def recorded(self, order: Order, event_type: str) -> DomainEvent:
        """The domain event the order's history published, as the relay puts it on the bus."""
        entry = [h for h in self.orders.history[order.order_id] if h.event_type == event_type][-1]
        return DomainEvent(
            event_id=entry.event_id,
            event_type=entry.event_type,
            order_id=order.order_id,
            version=entry.version,
            at=isoformat_z(entry.at),
            actor=entry.actor,
            from_status=None if entry.from_status is None else str(entry.from_status),
            to_status=str(entry.to_status),
            data=dict(entry.data),
        )


def event(order: Order, event_type: str, actor: str = "staff-1", **data: Any) -> DomainEvent:
    """A workshop event as docs/events.md shapes it."""
    return DomainEvent(
        event_id=f"evt_{event_type}",
        event_type=event_type,
        order_id=order.order_id,
        version=order.version + 1,
        at=isoformat_z(MONDAY_10AM),
        actor=actor,
        from_status=str(order.status),
        to_status=str(order.status),
        data=data,
    )


def only(emails: list[Email], kind: str = "customer") -> Email:
    matching = [e for e in emails if e.kind == kind]
    assert len(matching) == 1, emails
    return matching[0]


def both(email: Email) -> str:
    return email.text + "\n" + email.html


@pytest.fixture
def shop() -> Shop:
    return Shop()


@pytest.fixture
def in_production(shop: Shop) -> Order:
    return shop.pay(shop.place())


# ---------------------------------------------------------------- formatting


def test_money_is_dollars_with_thousands_separators_from_integer_cents() -> None:
    assert money(13900) == "$139.00"
    assert money(123400) == "$1,234.00"
    assert money(5) == "$0.05"
    assert money(1234567) == "$12,345.67"
    assert money(2500, "EUR") == "25.00 EUR"


def test_dates_and_times_are_written_for_people_in_the_shop_time_zone() -> None:
    assert long_date(date(2026, 12, 7)) == SHIP_BY
    assert long_datetime(datetime(2026, 12, 1, 15, 0, tzinfo=UTC), NEW_YORK) == DEADLINE
    # Summer time has its own abbreviation, and noon and midnight read as people say them.
    assert (
        long_datetime(datetime(2026, 7, 1, 16, 5, tzinfo=UTC), NEW_YORK)
        == "Wednesday, July 1, 2026, 12:05 PM EDT"
    )
    assert (
        long_datetime(datetime(2026, 12, 2, 5, 0, tzinfo=UTC), NEW_YORK)
        == "Wednesday, December 2, 2026, 12:00 AM EST"
    )


# ---------------------------------------------------------------- P11, email by email


def test_P11_order_placed_gives_the_amount_the_payment_link_and_the_deadline(shop: Shop) -> None:
    order = shop.place()
    email = only(render_email(shop.recorded(order, "OrderPlaced"), order, SETTINGS))

    assert email.to == CUSTOMER
    assert order.order_id in email.subject and "$139.00" in email.subject
    assert email.text.startswith("Hello Ada Lovelace,")
    assert "The amount due is $139.00" in email.text
    assert "$10.00 customization fee" in email.text
    assert f"Please pay by {DEADLINE}." in email.text
    assert "https://pay.example/cs_fake_1" in email.text
    assert '<a href="https://pay.example/cs_fake_1">https://pay.example/cs_fake_1</a>' in email.html
    assert f"Your order number is {order.order_id}." in email.text
    assert "designer will review" not in email.text


def test_P11_order_placed_with_a_request_to_review_says_a_designer_will_look(shop: Shop) -> None:
    order = shop.place(remarks="a thinner band")
    email = only(render_email(shop.recorded(order, "OrderPlaced"), order, SETTINGS))
    assert "a designer will review it before production starts" in email.text


def test_P11_payment_reminder_gives_the_amount_the_link_and_the_deadline(shop: Shop) -> None:
    order = shop.place()
    reminder = event(order, "PaymentReminderDue", "system", payment_due_at="2026-12-01T15:00:00Z")

    email = only(render_email(reminder, order, SETTINGS))

    assert "Reminder" in email.subject and DEADLINE in email.subject
    assert "The amount due is $139.00" in email.text
    assert f"Please pay by {DEADLINE}" in email.text
    assert "https://pay.example/cs_fake_1" in email.text


def test_a_payment_reminder_that_arrives_after_the_payment_sends_nothing(
    shop: Shop, in_production: Order
) -> None:
    reminder = event(in_production, "PaymentReminderDue", "system")
    assert render_email(reminder, in_production, SETTINGS) == []


def test_P11_payment_confirmed_gives_ship_by(shop: Shop, in_production: Order) -> None:
    email = only(
        render_email(shop.recorded(in_production, "PaymentConfirmed"), in_production, SETTINGS)
    )
    assert email.subject == f"Payment confirmed for order {in_production.order_id}"
    assert "We have received your payment of $139.00" in email.text
    assert f"in production and will ship by {SHIP_BY}." in email.text
    assert "reviewing" not in email.text


def test_P11_payment_confirmed_for_a_request_in_review_says_a_designer_is_reviewing(
    shop: Shop,
) -> None:
    order = shop.pay(shop.place(remarks="a thinner band"))
    assert order.status is S.IN_REVIEW

    email = only(render_email(shop.recorded(order, "PaymentConfirmed"), order, SETTINGS))

    assert "A designer is reviewing your customization request." in email.text
    assert "will ship by" not in email.text


def test_review_accepted_tells_the_customer_production_started_and_ship_by(shop: Shop) -> None:
    order = shop.pay(shop.place(remarks="a thinner band"))
    order.status, order.ship_by = S.IN_PRODUCTION, date(2026, 12, 8)
    accepted = event(order, "ReviewAccepted", ship_by="2026-12-08")

    email = only(render_email(accepted, order, SETTINGS))

    assert "It will ship by Tuesday, December 8, 2026." in email.text


def test_P11_surcharge_requested_gives_amount_note_and_deadline(shop: Shop) -> None:
    order = shop.pay(shop.place(remarks="a thinner band"))
    due = MONDAY_10AM + timedelta(hours=24)
    order.review = replace(
        order.review, surcharge=Surcharge(2500, "A thinner band & hand finishing.", due)
    )
    requested = event(order, "SurchargeRequested", surcharge_cents=2500, due_at=isoformat_z(due))

    email = only(render_email(requested, order, SETTINGS))

    assert "$25.00" in email.subject
    assert "costs an extra $25.00" in email.text
    assert "The designer's note: A thinner band & hand finishing." in email.text
    assert "A thinner band &amp; hand finishing." in email.html
    assert f"by {DEADLINE}" in email.text
    assert "your payment of $139.00 is refunded in full" in email.text


def test_P11_order_expired(shop: Shop) -> None:
    order = shop.place()
    email = only(render_email(event(order, "OrderExpired", "expiry-sweep"), order, SETTINGS))
    assert email.subject == f"Order {order.order_id} has expired"
    assert f"by {DEADLINE}, so the order has expired" in email.text


def test_P11_a_customer_cancelling_an_unpaid_order_is_told_no_payment_was_taken(
    shop: Shop,
) -> None:
    order = shop.place()
    order.cancel_by_customer(shop.clock.now())
    shop.orders.save(order)

    email = only(render_email(shop.recorded(order, "OrderCancelled"), order, SETTINGS))

    assert "is cancelled, as you asked" in email.text
    assert "No payment was taken for this order, so there is nothing to refund." in email.text


def test_P11_a_paid_order_cancelled_by_staff_gives_the_refund_and_the_reason(
    in_production: Order,
) -> None:
    cancelled = event(
        in_production, "OrderCancelled", reason="Materials unavailable", refund_cents=6950
    )
    email = only(render_email(cancelled, in_production, SETTINGS))
    assert "Reason: Materials unavailable" in email.text
    assert "We are refunding $69.50" in email.text
    assert "nothing to refund" not in email.text


def test_P11_a_refund_the_provider_refused_is_promised_by_customer_service(
    in_production: Order,
) -> None:
    cancelled = event(
        in_production,
        "OrderCancelled",
        reason="Materials unavailable",
        refund_cents=0,
        refund_failed_cents=13900,
    )
    email = only(render_email(cancelled, in_production, SETTINGS))
    assert "We could not refund $139.00 automatically" in email.text
    assert "customer service will contact you" in email.text
    assert "No refund is due" not in email.text


def test_P11_a_declined_request_gives_the_note_and_the_full_refund(shop: Shop) -> None:
    order = shop.pay(shop.place(remarks="make it gold-plated titanium"))
    declined = event(
        order, "OrderDeclined", note="We do not work with titanium.", refund_cents=13900
    )
    email = only(render_email(declined, order, SETTINGS))
    assert "we cannot make your request" in email.subject
    assert "The designer's note: We do not work with titanium." in email.text
    assert "We are refunding $139.00" in email.text


def test_P11_a_late_payment_refund_says_how_much_and_why(shop: Shop) -> None:
    order = shop.place()
    shop.clock.advance(hours=25)
    order = shop.pay(order, at=shop.clock.now())
    assert order.refunded_cents == 13900

    email = only(render_email(shop.recorded(order, "RefundIssued"), order, SETTINGS))

    assert email.subject == f"Refund of $139.00 for order {order.order_id}"
    assert "We have refunded $139.00" in email.text
    assert f"after the payment deadline ({DEADLINE})" in email.text


def test_a_refund_that_is_part_of_a_cancellation_sends_no_second_email(
    in_production: Order,
) -> None:
    refund = event(in_production, "RefundIssued", refund_cents=13900, part_of="evt_cancel")
    assert render_email(refund, in_production, SETTINGS) == []


def test_a_refund_with_a_reason_gives_that_reason(in_production: Order) -> None:
    refund = event(in_production, "RefundIssued", refund_cents=500, reason="A goodwill refund.")
    email = only(render_email(refund, in_production, SETTINGS))
    assert "Why: A goodwill refund." in email.text and "$5.00" in email.text


def test_P7_a_delay_email_gives_the_reason_and_the_new_date(in_production: Order) -> None:
    in_production.delay = Delay("The stone supplier is late.", date(2026, 12, 9))
    delayed = event(
        in_production,
        "DelayRecorded",
        reason="The stone supplier is late.",
        expected_ship_date="2026-12-09",
    )
    email = only(render_email(delayed, in_production, SETTINGS))
    assert "Wednesday, December 9, 2026" in email.subject
    assert "The reason: The stone supplier is late." in email.text
    assert "We now expect to ship it by Wednesday, December 9, 2026." in email.text


def test_P7_a_missed_ship_date_apologises_to_the_customer_and_alerts_staff(
    in_production: Order,
) -> None:
    missed = event(in_production, "ShipDeadlineMissed", "sla-watch", ship_date="2026-12-07")

    emails = render_email(missed, in_production, SETTINGS)

    customer, staff = only(emails, "customer"), only(emails, "staff")
    assert customer.to == CUSTOMER and staff.to == STAFF
    assert "We are sorry" in customer.text and f"did not ship by {SHIP_BY}" in customer.text
    assert "The order is late" in customer.text and "new expected ship date" in customer.text
    assert in_production.order_id in staff.subject and SHIP_BY in staff.subject
    assert "Hello" not in staff.text


def test_P7_the_day_before_ship_by_only_staff_are_warned(in_production: Order) -> None:
    warning = event(in_production, "ShipDeadlineApproaching", "sla-watch", ship_date="2026-12-07")
    emails = render_email(warning, in_production, SETTINGS)
    assert [e.kind for e in emails] == ["staff"]
    assert f"must ship by {SHIP_BY}" in emails[0].text


def test_P11_shipped_gives_carrier_and_tracking_number(in_production: Order) -> None:
    in_production.status = S.SHIPPED
    in_production.shipment = Shipment("UPS", "1Z999AA10123456784", MONDAY_10AM)
    shipped = event(
        in_production, "OrderShipped", carrier="UPS", tracking_number="1Z999AA10123456784"
    )
    email = only(render_email(shipped, in_production, SETTINGS))
    assert "Carrier: UPS" in email.text
    assert "Tracking number: 1Z999AA10123456784" in email.text


def test_P8_a_staff_message_tells_the_customer_without_the_text_and_a_customer_one_tells_staff(
    in_production: Order,
) -> None:
    from_staff = event(in_production, "MessagePosted", "staff", author="staff", message_id="m1")
    from_customer = event(in_production, "MessagePosted", "cust-a", author="customer")

    to_customer = only(render_email(from_staff, in_production, SETTINGS))
    to_staff = only(render_email(from_customer, in_production, SETTINGS), "staff")

    assert "sent you a message" in to_customer.text
    assert "Sign in to the shop" in to_customer.text
    assert to_staff.to == STAFF and "in production" in to_staff.text


def test_a_dispute_alerts_staff(in_production: Order) -> None:
    disputed = event(in_production, "PaymentDisputed", "payment-provider", payment_intent="pi_9")
    email = only(render_email(disputed, in_production, SETTINGS), "staff")
    assert "dispute" in email.text and "pi_9" in email.text and "$139.00" in email.text


def test_P11_an_approved_claim_gives_the_return_label(shop: Shop, in_production: Order) -> None:
    """P11: the email is rendered from the ClaimApproved event the domain records (its
    return label is a carrier and a reference, not a text), never from a hand-made dict."""
    order = shop.approve_claim(in_production)
    approved = shop.recorded(order, "ClaimApproved")
    claim = order.claim(approved.data["claim_id"])
    assert claim.resolution is not None and claim.resolution.return_label is not None
    label = claim.resolution.return_label

    email = only(render_email(approved, order, SETTINGS))

    assert "We will remake the piece" in email.text
    assert order.ship_by is not None
    assert f"It will ship by {long_date(order.ship_by)}." in email.text
    assert (
        f"Please send the piece back with this prepaid return label: USPS, reference "
        f"{label.reference}" in email.text
    )
    assert label.reference in email.html


def test_P11_the_return_label_comes_from_the_event_when_the_order_lacks_it(
    shop: Shop, in_production: Order
) -> None:
    """The order is the first source; the event's own label (as the domain shapes it) the
    fallback, as for every other fact the emails show."""
    order = shop.approve_claim(in_production)
    approved = shop.recorded(order, "ClaimApproved")
    without_claims = replace(order, claims=())

    email = only(render_email(approved, without_claims, SETTINGS))

    reference = approved.data["return_label"]["reference"]
    assert f"return label: USPS, reference {reference}" in email.text


def test_P11_a_rejected_claim_gives_the_note(in_production: Order) -> None:
    rejected = event(in_production, "ClaimRejected", note="The photos show wear from use.")
    email = only(render_email(rejected, in_production, SETTINGS))
    assert "could not approve it" in email.text
    assert "The reviewer's note: The photos show wear from use." in email.text


@pytest.mark.parametrize("event_type", ["PaymentFailed", "OrderDelivered", "SomethingNew"])
def test_other_events_send_no_email(in_production: Order, event_type: str) -> None:
    assert render_email(event(in_production, event_type), in_production, SETTINGS) == []


# ---------------------------------------------------------------- what no email may hold


def test_every_value_is_escaped_in_the_html(shop: Shop) -> None:
    order = shop.place(name='<script>alert("x")</script>')
    email = only(render_email(shop.recorded(order, "OrderPlaced"), order, SETTINGS))
    assert "<script>" not in email.html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in email.html
    assert email.text.startswith('Hello <script>alert("x")</script>,')  # plain text is text


def test_a_return_label_that_is_not_http_is_not_made_a_link(
    shop: Shop, in_production: Order
) -> None:
    order = shop.approve_claim(in_production, carrier="javascript:alert(1)")
    email = only(render_email(shop.recorded(order, "ClaimApproved"), order, SETTINGS))
    assert "<a " not in email.html
    assert "javascript:alert(1), reference RL-" in email.text


def every_email(shop: Shop, order: Order) -> list[Email]:
    data: dict[str, Any] = {
        "refund_cents": 13900,
        "reason": "r",
        "note": "n",
        "author": "staff",
        "ship_date": "2026-12-07",
        "carrier": "UPS",
        "tracking_number": "1Z",
    }
    emails: list[Email] = []
    for event_type in EMAIL_EVENT_TYPES:
        if event_type == "ClaimApproved":  # the event as the domain records it
            approved = shop.approve_claim(order)
            emails += render_email(shop.recorded(approved, event_type), approved, SETTINGS)
            continue
        emails += render_email(event(order, event_type, **data), order, SETTINGS)
    return emails


def test_no_email_shows_a_storage_key_only_the_order_number(
    shop: Shop, in_production: Order
) -> None:
    emails = every_email(shop, in_production)
    assert len(emails) >= len(EMAIL_EVENT_TYPES) - 1  # the reminder of a paid order is moot
    for email in emails:
        assert in_production.order_id in email.subject
        for key in ("ORDER#", "CUSTOMER#", "HISTORY#", "pk", "gsi1", "cust-a"):
            assert key not in both(email), (key, email.subject)
        assert "$" not in re.sub(r"\$[0-9][0-9,]*\.[0-9]{2}", "", both(email)), email.subject


def test_a_staff_alert_without_a_staff_address_is_a_configuration_error(
    in_production: Order,
) -> None:
    unset = Settings(table_name="t", email_from="orders@shop.example.com")
    with pytest.raises(ConfigurationError, match="STAFF_ALERT_EMAIL"):
        render_email(event(in_production, "PaymentDisputed"), in_production, unset)


# ---------------------------------------------------------------- the notify service


def test_notify_reads_the_order_and_sends_its_emails(shop: Shop, in_production: Order) -> None:
    missed = event(in_production, "ShipDeadlineMissed", "sla-watch", ship_date="2026-12-07")
    report = shop.notifications.send(missed)
    assert (report.sent, report.kinds) == (2, ["customer", "staff"])
    assert [e.to for e in shop.sender.sent] == [CUSTOMER, STAFF]


def test_notify_for_an_unknown_order_sends_nothing(shop: Shop, in_production: Order) -> None:
    stray = replace(event(in_production, "OrderShipped"), order_id="ord_missing")
    report = shop.notifications.send(stray)
    assert report.sent == 0 and shop.sender.sent == []


def test_notify_lets_a_failed_send_raise_so_the_event_is_retried(
    shop: Shop, in_production: Order
) -> None:
    shop.sender.fail_next = 1
    with pytest.raises(ServiceUnavailableError):
        shop.notifications.send(shop.recorded(in_production, "PaymentConfirmed"))
    assert shop.sender.sent == []


def test_notify_logs_ids_and_counts_never_personal_data(
    shop: Shop, in_production: Order, caplog: pytest.LogCaptureFixture
) -> None:
    shop.notifications.send(shop.recorded(in_production, "PaymentConfirmed"))
    records = [r.__dict__ for r in caplog.records if r.module == "notify"]
    assert [(r["msg"], r.get("kind"), r.get("count")) for r in records] == [
        ("email sent", "customer", None),
        ("event notified", None, 1),
    ]
    assert all(r["order_id"] == in_production.order_id for r in records)
    logged = repr(records)
    for personal in ("Ada", CUSTOMER, "Main St", "Signet", "$139.00"):
        assert personal not in logged


# ---------------------------------------------------------------- the template's rules


def test_the_notifier_has_one_bus_rule_per_email_event_type() -> None:
    template = load_template_file(ROOT / "template.yaml")
    resolver = Resolver(template, StackContext(), parameter_values(template, {}))
    stack = read_stack(template, resolver, ROOT)
    notifier = stack.functions["NotifierFunction"]
    bus = stack.functions["EventRelayFunction"].environment["EVENT_BUS_NAME"]

    patterns = {rule.event_name: rule.pattern for rule in notifier.rules}

    assert set(patterns) == set(EMAIL_EVENT_TYPES)
    for event_type, pattern in patterns.items():
        assert pattern == {"source": ["atelier.orders"], "detail-type": [event_type]}
    assert {rule.bus for rule in notifier.rules} == {bus}
    assert {(rule.max_retries, rule.max_event_age_s) for rule in notifier.rules} == {(8, 86400)}
    assert notifier.async_retries == 2
    assert notifier.environment["STAFF_ALERT_EMAIL"] == STAFF
    assert notifier.environment["EMAIL_FROM"] == "orders@shop.example.com"


# ---------------------------------------------------------------- money at the provider


def provider_event(shop: Shop, order: Order, kind: PaymentEventKind, **fields: Any) -> Order:
    """A provider event applied through the payment service; the order as it then is."""
    shop.payments.apply(
        PaymentEvent(
            event_id=f"stripe:evt_{next(shop._ids)}",
            kind=kind,
            created=fields.pop("created", shop.clock.now()),
            provider_type=str(kind),
            payment_intent=fields.pop("payment_intent", f"pi_{order.order_id}"),
            **fields,
        )
    )
    return shop.reload(order)


def test_P11_a_full_refund_at_the_provider_tells_the_customer_and_tells_staff_to_stop(
    shop: Shop, in_production: Order
) -> None:
    """The order is cancelled; the customer hears of the refund, and the workshop that the piece
    must not be made."""
    order = provider_event(
        shop, in_production, PaymentEventKind.REFUNDED, refunded_total_cents=13900
    )
    emails = render_email(shop.recorded(order, "OrderCancelled"), order, SETTINGS)
    customer, staff = only(emails), only(emails, "staff")
    assert customer.to == CUSTOMER
    assert "Reason: refunded at the provider" in customer.text
    assert "We are refunding $139.00" in customer.text
    assert staff.to == STAFF
    assert staff.subject == (
        f"[Atelier] Order {order.order_id} cancelled: refunded in full at the payment provider"
    )
    assert "Stop work on the piece" in staff.text and "$139.00" in staff.text


@pytest.mark.parametrize("shipped", [False, True])
def test_P11_a_partial_or_after_shipment_refund_at_the_provider_alerts_staff(
    shop: Shop, in_production: Order, shipped: bool
) -> None:
    if shipped:
        in_production.ship("staff-1", "UPS", "1Z999", shop.clock.now())
        shop.orders.save(in_production)
    order = provider_event(
        shop, in_production, PaymentEventKind.REFUNDED, refunded_total_cents=2000
    )
    emails = render_email(shop.recorded(order, "RefundIssued"), order, SETTINGS)
    assert "We have refunded $20.00" in only(emails).text
    staff = only(emails, "staff")
    assert staff.subject == (
        f"[Atelier] Order {order.order_id}: $20.00 refunded at the payment provider"
    )
    assert "REFUNDED_AT_PROVIDER" in staff.text
    if shipped:
        assert "after it shipped" in staff.text
    else:
        assert "part of its payment" in staff.text and "still in production" in staff.text


def test_P11_a_refund_that_failed_at_the_provider_alerts_staff(shop: Shop) -> None:
    """A refund that bounced used to go unnoticed."""
    order = shop.place()
    shop.clock.advance(hours=25)
    order = shop.pay(order, at=shop.clock.now())
    (refund_id,) = order.payments[0].refund_ids
    order = provider_event(
        shop,
        order,
        PaymentEventKind.REFUND_FAILED,
        refund_id=refund_id,
        amount_cents=13900,
        failure_reason="expired_or_canceled_card",
    )
    emails = render_email(shop.recorded(order, "RefundFailed"), order, SETTINGS)
    assert [e.kind for e in emails] == ["staff"]
    staff = emails[0]
    assert staff.subject == f"[Atelier] A refund of $139.00 failed on order {order.order_id}"
    assert refund_id in staff.text and "expired or canceled card" in staff.text
    assert "REFUND_FAILED" in staff.text


def test_P11_a_refund_the_provider_refused_at_once_alerts_staff_too(shop: Shop) -> None:
    from atelier.domain.errors import PaymentProviderRefusedError

    order = shop.place()
    shop.clock.advance(hours=25)

    def refuse(**kwargs: Any) -> str:
        raise PaymentProviderRefusedError("refused")

    shop.gateway.refund = refuse  # type: ignore[method-assign]
    order = shop.pay(order, at=shop.clock.now())
    staff = only(render_email(shop.recorded(order, "RefundFailed"), order, SETTINGS), "staff")
    assert "$139.00" in staff.subject


def test_P11_a_wrong_amount_refund_says_the_order_can_still_be_paid_with_a_fresh_link(
    shop: Shop,
) -> None:
    """The order stays payable, and the email says so with a link that works (the paid session
    cannot be paid again)."""
    order = shop.place()
    assert order.checkout is not None
    paid_session = order.checkout.session_id
    status = shop.gateway.pay(paid_session, at=shop.clock.now(), amount_cents=100)
    order = provider_event(
        shop,
        order,
        PaymentEventKind.PAID,
        payment_intent=status.payment_intent,
        order_id=order.order_id,
        session_id=paid_session,
        amount_cents=100,
        currency="usd",
    )
    assert order.status is S.PENDING_PAYMENT
    assert order.checkout is not None and order.checkout.session_id != paid_session
    assert shop.gateway.sessions[order.checkout.session_id].state == "open"

    email = only(render_email(shop.recorded(order, "RefundIssued"), order, SETTINGS))
    assert "We have refunded $1.00" in email.text
    assert "not the amount due ($139.00)" in email.text
    assert (
        f"Your order is still waiting for its payment of $139.00. You can pay it by {DEADLINE} "
        f"here: {order.checkout.url}"
    ) in email.text
    assert f'href="{order.checkout.url}"' in email.html


def test_a_refund_of_a_late_payment_does_not_offer_a_link(shop: Shop) -> None:
    order = shop.place()
    shop.clock.advance(hours=25)
    order = shop.pay(order, at=shop.clock.now())
    email = only(render_email(shop.recorded(order, "RefundIssued"), order, SETTINGS))
    assert "still waiting" not in email.text and "https://" not in email.text
