"""P3 and P4 through the payment service, on in-memory adapters and an injected clock."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from atelier.domain.errors import ConflictError, PaymentProviderRefusedError
from atelier.domain.order import TRANSITIONS, OrderStatus
from atelier.domain.payment_events import PaymentEventKind
from atelier.services.settlement import Outcome
from tests.factories import MONDAY_10AM
from tests.world import CALENDAR, World

pytestmark = pytest.mark.unit
S = OrderStatus


@pytest.fixture
def world():
    return World()


def test_P4_paid_and_agreed_goes_to_production_with_ship_by_from_the_calendar(world):
    order = world.place()
    assert world.apply(world.event(order)) is Outcome.CONFIRMED
    paid = world.reload(order)
    assert paid.status is S.IN_PRODUCTION
    assert paid.paid_at == MONDAY_10AM
    # Paid Monday 10:00 New York: ship by the next Monday (the example of docs/design.md §3).
    assert paid.ship_by.isoformat() == "2026-12-07"
    assert paid.paid_cents == 13900 and paid.refunded_cents == 0
    assert paid.checkout is None
    # P7: staff are warned at 09:00 New York on the working day before; late from the next day.
    assert paid.due_entries() == {
        "SHIP_WARNING": datetime(2026, 12, 4, 14, 0, tzinfo=UTC),
        "SHIP_LATE": datetime(2026, 12, 8, 5, 0, tzinfo=UTC),
    }
    assert world.orders.payment_pointers[f"pi_{order.order_id}"] == order.order_id


def test_P4_paid_but_not_agreed_goes_to_a_designer_without_ship_by(world):
    order = world.place(remarks="please make the band thinner")
    world.apply(world.event(order))
    paid = world.reload(order)
    assert paid.status is S.IN_REVIEW
    assert paid.ship_by is None


def test_the_same_event_delivered_20_times_applies_once(world):
    order = world.place()
    event = world.event(order)
    outcomes = [world.apply(event) for _ in range(20)]
    assert outcomes[0] is Outcome.CONFIRMED
    assert set(outcomes[1:]) == {Outcome.DUPLICATE}
    history = world.orders.history[order.order_id]
    assert [h.event_type for h in history] == ["OrderPlaced", "PaymentConfirmed"]


def test_the_same_payment_under_another_event_id_is_a_duplicate(world):
    order = world.place()
    world.apply(world.event(order))
    assert world.apply(world.event(order)) is Outcome.DUPLICATE
    assert world.gateway.refunds == {}


def test_P3_a_payment_made_at_the_deadline_counts_even_when_the_webhook_is_late(world):
    order = world.place()
    world.clock.advance(hours=30)
    assert world.apply(world.event(order, at=order.payment_due_at)) is Outcome.CONFIRMED
    assert world.reload(order).status is S.IN_PRODUCTION


def test_P3_a_payment_made_in_time_reinstates_an_order_the_sweep_expired(world):
    order = world.place()
    world.clock.advance(hours=24, seconds=1)
    assert world.sweep()["expired"] == 1
    assert world.reload(order).status is S.EXPIRED
    world.apply(world.event(order, at=order.payment_due_at - timedelta(minutes=1)))
    reinstated = world.reload(order)
    assert reinstated.status is S.IN_PRODUCTION
    last = world.orders.history[order.order_id][-1]
    assert (last.from_status, last.to_status) == (S.EXPIRED, S.IN_PRODUCTION)
    assert "after the order expired" in last.reason


def test_P3_a_payment_made_after_the_deadline_is_refunded_and_the_order_stays_expired(world):
    order = world.place()
    world.clock.advance(hours=25)
    world.sweep()
    late = world.event(order, at=world.clock.now())
    assert world.apply(late) is Outcome.REFUNDED
    after = world.reload(order)
    assert after.status is S.EXPIRED
    assert after.paid_cents == after.refunded_cents == 13900
    assert [r[1] for r in world.gateway.refunds.values()] == [13900]


def test_P3_a_payment_on_a_cancelled_order_is_refunded(world):
    order = world.place()
    order.cancel_by_customer(world.clock.now())
    world.orders.save(order)
    assert world.apply(world.event(order)) is Outcome.REFUNDED
    assert world.reload(order).status is S.CANCELLED
    assert world.reload(order).refunded_cents == 13900


@pytest.mark.parametrize("amount, currency", [(13899, "usd"), (13900, "eur"), (100, "usd")])
def test_wrong_amount_or_currency_is_not_a_payment_it_is_flagged_and_refunded(
    world, amount, currency
):
    order = world.place()
    assert world.apply(world.event(order, amount=amount, currency=currency)) is Outcome.REFUNDED
    after = world.reload(order)
    assert after.status is S.PENDING_PAYMENT
    assert "PAYMENT_AMOUNT_MISMATCH" in after.flags
    assert after.refunded_cents == amount
    assert not after.is_paid


def test_a_refund_is_issued_exactly_once_when_the_event_is_retried(world):
    order = world.place()
    world.clock.advance(hours=25)
    event = world.event(order, at=world.clock.now())
    world.apply(event)
    world.apply(event)
    assert len(world.gateway.refunds) == 1


def test_a_second_payment_for_an_order_already_paid_is_refunded(world):
    order = world.place()
    world.apply(world.event(order))
    assert world.apply(world.event(order, intent="pi_second")) is Outcome.REFUNDED
    after = world.reload(order)
    assert after.status is S.IN_PRODUCTION
    assert (after.paid_cents, after.refunded_cents) == (27800, 13900)


def test_an_async_failure_is_recorded_and_the_order_stays_payable(world):
    order = world.place()
    assert world.apply(world.event(order, PaymentEventKind.FAILED)) is Outcome.RECORDED
    after = world.reload(order)
    assert after.status is S.PENDING_PAYMENT
    assert world.orders.history[order.order_id][-1].event_type == "PaymentFailed"


def test_a_provider_refund_is_recorded_once(world):
    order = world.place()
    world.apply(world.event(order))
    refunded = world.event(order, PaymentEventKind.REFUNDED, refunded=5000)
    assert world.apply(refunded) is Outcome.RECORDED
    assert world.apply(world.event(order, PaymentEventKind.REFUNDED, refunded=5000)) is (
        Outcome.DUPLICATE
    )
    assert world.reload(order).refunded_cents == 5000


@pytest.mark.parametrize("named", ["the other order", "ord_nobody", None])
def test_a_provider_refund_naming_another_order_is_recorded_on_the_payments_order(world, named):
    """Stripe's charge metadata (the order id) can be edited in its dashboard: the payment
    intent decides, through its pointer, when the named order does not have that payment."""
    paid, other = world.place(), world.place()
    world.apply(world.event(paid))
    refund = world.event(paid, PaymentEventKind.REFUNDED, refunded=5000)
    order_id = other.order_id if named == "the other order" else named
    assert world.apply(type(refund)(**{**refund.__dict__, "order_id": order_id})) is (
        Outcome.RECORDED
    )
    assert world.reload(paid).refunded_cents == 5000
    assert world.reload(other).refunded_cents == 0


def test_a_dispute_flags_the_order_once(world):
    order = world.place()
    world.apply(world.event(order))
    assert world.apply(world.event(order, PaymentEventKind.DISPUTED)) is Outcome.RECORDED
    assert world.apply(world.event(order, PaymentEventKind.DISPUTED)) is Outcome.DUPLICATE
    assert world.reload(order).flags == ("DISPUTED",)


def test_events_for_unknown_orders_and_types_are_acknowledged_and_change_nothing(world):
    order = world.place()
    writes = world.orders.writes
    ghost = world.event(order)
    ghost = type(ghost)(**{**ghost.__dict__, "order_id": "ord_nobody"})
    assert world.apply(ghost) is Outcome.IGNORED
    assert world.apply(world.event(order, PaymentEventKind.IGNORED)) is Outcome.IGNORED
    assert world.orders.writes == writes
    # (A refund of a payment no order records yet is kept, not ignored: see the parking tests.)


def test_a_session_expired_event_expires_a_due_order_but_not_a_paid_one(world):
    due = world.place()
    paid = world.place()
    world.apply(world.event(paid))
    world.clock.advance(hours=24, seconds=5)
    assert world.apply(world.event(due, PaymentEventKind.SESSION_EXPIRED)) is Outcome.EXPIRED
    assert world.reload(due).status is S.EXPIRED
    expired_after_paid = world.event(paid, PaymentEventKind.SESSION_EXPIRED)
    assert world.apply(expired_after_paid) is Outcome.IGNORED
    assert world.reload(paid).status is S.IN_PRODUCTION


def test_a_completed_after_an_expired_event_still_counts_if_paid_in_time(world):
    order = world.place()
    world.clock.advance(hours=24, seconds=5)
    world.apply(world.event(order, PaymentEventKind.SESSION_EXPIRED))
    world.apply(world.event(order, at=order.payment_due_at - timedelta(seconds=1)))
    assert world.reload(order).status is S.IN_PRODUCTION


# ---------------------------------------------------------------------------- the sweep


def test_P3_the_sweep_one_second_before_the_deadline_leaves_the_order(world):
    order = world.place()
    world.clock.set(order.payment_due_at - timedelta(seconds=1))
    assert world.sweep()["expired"] == 0
    assert world.reload(order).status is S.PENDING_PAYMENT


def test_P3_the_sweep_one_second_after_the_deadline_expires_it_and_a_rerun_writes_nothing(world):
    order = world.place()
    world.clock.set(order.payment_due_at + timedelta(seconds=1))
    assert world.sweep()["expired"] == 1
    assert world.reload(order).status is S.EXPIRED
    assert world.gateway.sessions[order.checkout.session_id].state == "expired"
    writes = world.orders.writes
    second = world.sweep()
    assert (second["expired"], second["failed"]) == (0, 0)
    assert world.orders.writes == writes


def test_the_sweep_applies_a_payment_the_provider_reports_instead_of_expiring(world):
    order = world.place()
    world.gateway.pay(order.checkout.session_id, at=order.payment_due_at - timedelta(minutes=5))
    world.clock.set(order.payment_due_at + timedelta(minutes=10))
    report = world.sweep()
    assert (report["paid"], report["expired"]) == (1, 0)
    assert world.reload(order).status is S.IN_PRODUCTION


def test_a_stale_due_entry_for_a_paid_order_is_left_alone(world):
    order = world.place()
    world.apply(world.event(order))
    world.orders.due_index[("PAYMENT", order.order_id)] = order.payment_due_at  # left behind
    world.clock.set(order.payment_due_at + timedelta(hours=1))
    writes = world.orders.writes
    report = world.sweep()
    assert report["skipped"] == 1 and report["expired"] == 0
    assert world.orders.writes == writes
    assert world.reload(order).status is S.IN_PRODUCTION


def test_one_order_failing_does_not_stop_the_sweep(world, monkeypatch):
    first, second = world.place(), world.place()
    world.clock.set(second.payment_due_at + timedelta(seconds=1))
    real_expire = world.gateway.expire_checkout

    def flaky(session_id):
        if session_id == first.checkout.session_id:
            raise RuntimeError("provider down")
        return real_expire(session_id)

    monkeypatch.setattr(world.gateway, "expire_checkout", flaky)
    report = world.sweep()
    assert (report["expired"], report["failed"]) == (1, 1)
    assert report.failures == [first.order_id]
    assert world.reload(second).status is S.EXPIRED
    assert world.reload(first).status is S.PENDING_PAYMENT


def test_P11_one_payment_reminder_four_hours_before_the_deadline(world):
    order = world.place()
    world.clock.set(order.payment_due_at - timedelta(hours=4, seconds=1))
    assert world.payments.send_reminders()["reminded"] == 0
    world.clock.advance(seconds=1)
    assert world.payments.send_reminders()["reminded"] == 1
    assert world.payments.send_reminders()["reminded"] == 0
    events = [h.event_type for h in world.orders.history[order.order_id]]
    assert events.count("PaymentReminderDue") == 1


def test_no_reminder_for_an_order_paid_before_it_was_due(world):
    order = world.place()
    world.apply(world.event(order))
    world.clock.set(order.payment_due_at - timedelta(hours=1))
    assert world.payments.send_reminders()["reminded"] == 0


# ---------------------------------------------------------------------------- races


@pytest.mark.parametrize("first", ["webhook", "sweep"])
def test_webhook_and_sweep_interleaved_exactly_one_wins_and_the_loser_writes_nothing(world, first):
    """Both read the order, then commit in either order (stepped, not threaded)."""
    order = world.place()
    world.clock.set(order.payment_due_at + timedelta(seconds=1))
    paid_in_time = order.payment_due_at - timedelta(seconds=30)
    incoming_event = world.event(order, at=paid_in_time)

    by_webhook, by_sweep = world.reload(order), world.reload(order)
    from atelier.services.settlement import take_payment

    take_payment(by_webhook, _incoming(incoming_event), world.gateway, world.clock.now(), CALENDAR)
    by_sweep.expire(world.clock.now(), actor="expiry-sweep")

    winner, loser = (by_webhook, by_sweep) if first == "webhook" else (by_sweep, by_webhook)
    world.orders.save(winner)
    writes = world.orders.writes
    with pytest.raises(ConflictError):
        world.orders.save(loser)
    assert world.orders.writes == writes
    final = world.reload(order)
    assert final.status is (S.IN_PRODUCTION if first == "webhook" else S.EXPIRED)
    history = [h.event_type for h in world.orders.history[order.order_id]]
    assert history.count("PaymentConfirmed") + history.count("OrderExpired") == 1


def _incoming(event):
    from atelier.domain.order import IncomingPayment

    return IncomingPayment(
        event.payment_intent,
        event.amount_cents,
        event.currency.upper(),
        event.created,
        event.session_id,
    )


# ---------------------------------------------------------------------------- orderings

STEPS = ("paid", "failed", "sweep", "paid_again")


@settings(max_examples=24, deadline=None)
@given(st.permutations(STEPS))
def test_any_ordering_of_paid_failed_sweep_and_duplicate_ends_the_same(order_of_steps):
    """A payment made in time wins whatever order the events arrive in; no illegal history."""
    world = World()
    order = world.place()
    world.clock.set(order.payment_due_at + timedelta(minutes=1))
    paid = world.event(order, at=order.payment_due_at - timedelta(minutes=10))
    failed = world.event(order, PaymentEventKind.FAILED)
    for step in order_of_steps:
        if step in ("paid", "paid_again"):
            world.apply(paid)
        elif step == "failed":
            world.apply(failed)
        else:
            world.sweep()
    final = world.reload(order)
    assert final.status is S.IN_PRODUCTION
    assert final.paid_cents - final.refunded_cents == final.price.total_cents
    history = world.orders.history[order.order_id]
    assert [h.event_type for h in history].count("PaymentConfirmed") == 1
    assert [h.version for h in history] == list(range(1, len(history) + 1))
    for entry in history:
        if entry.from_status != entry.to_status:
            assert (entry.from_status, entry.to_status) in TRANSITIONS


# ---------------------------------------------------------------------------- checkout and cancel


def renew(world, order):
    return world.customer_orders.renew_checkout("cust-a", order.order_id)


def test_a_fresh_checkout_closes_the_old_session_and_can_be_paid(world):
    order = world.place()
    old_session = order.checkout.session_id
    renewed = renew(world, order)
    assert renewed.checkout.session_id != old_session
    assert world.gateway.sessions[old_session].state == "expired"
    assert world.orders.checkout_pointers[renewed.checkout.session_id] == order.order_id
    paid = world.event(renewed)
    assert paid.session_id == renewed.checkout.session_id
    assert world.apply(paid) is Outcome.CONFIRMED


def test_no_fresh_checkout_in_the_last_30_minutes(world):
    order = world.place()
    world.clock.set(order.payment_due_at - timedelta(minutes=29))
    with pytest.raises(ConflictError) as caught:
        renew(world, order)
    assert caught.value.code == "PAYMENT_WINDOW_CLOSING"
    world.clock.set(order.payment_due_at - timedelta(minutes=30))
    assert renew(world, order).checkout is not None


def test_a_fresh_checkout_for_a_session_paid_meanwhile_applies_that_payment(world):
    order = world.place()
    world.gateway.pay(order.checkout.session_id, at=world.clock.now())
    renewed = renew(world, order)
    assert renewed.status is S.IN_PRODUCTION
    assert renewed.checkout is None


def test_cancelling_closes_the_checkout_so_it_cannot_be_paid(world):

    order = world.place()
    world.customer_orders.cancel("cust-a", order.order_id)
    assert world.gateway.sessions[order.checkout.session_id].state == "expired"


def test_cancelling_an_order_the_provider_says_is_paid_applies_the_payment_instead(world):

    order = world.place()
    world.gateway.pay(order.checkout.session_id, at=world.clock.now())
    with pytest.raises(ConflictError) as caught:
        world.customer_orders.cancel("cust-a", order.order_id)
    assert caught.value.code == "ORDER_NOT_CANCELLABLE"
    assert world.reload(order).status is S.IN_PRODUCTION


# ---------------------------------------------------------------------------- review findings


def test_P3_an_order_whose_session_was_paid_the_wrong_amount_still_expires(world):
    order = world.place()
    session = order.checkout.session_id
    status = world.gateway.pay(session, at=world.clock.now(), amount_cents=100)
    wrong = world.event(order, amount=100, intent=status.payment_intent)
    assert world.apply(wrong) is Outcome.REFUNDED
    # That session cannot be paid again: a fresh one takes its place.
    fresh = world.reload(order).checkout
    assert fresh is not None and fresh.session_id != session
    assert world.orders.checkout_pointers[fresh.session_id] == order.order_id
    world.clock.set(order.payment_due_at + timedelta(minutes=1))
    assert world.sweep()["expired"] == 1
    after = world.reload(order)
    assert after.status is S.EXPIRED
    assert after.due_entries() == {}
    assert world.gateway.sessions[fresh.session_id].state == "expired"


def test_no_fresh_checkout_after_a_wrong_amount_in_the_last_30_minutes(world):
    order = world.place()
    session = order.checkout.session_id
    world.clock.set(order.payment_due_at - timedelta(minutes=29))
    status = world.gateway.pay(session, at=world.clock.now(), amount_cents=100)
    world.apply(world.event(order, amount=100, intent=status.payment_intent))
    assert world.reload(order).checkout is None


def test_a_refund_the_provider_refuses_for_good_is_flagged_not_retried_forever(world, monkeypatch):
    order = world.place()
    order.cancel_by_customer(world.clock.now())
    world.orders.save(order)

    def refuse(**kwargs):
        raise PaymentProviderRefusedError("no")

    monkeypatch.setattr(world.gateway, "refund", refuse)
    assert world.apply(world.event(order)) is Outcome.REFUND_FAILED
    after = world.reload(order)
    assert "REFUND_FAILED" in after.flags
    assert (after.paid_cents, after.refunded_cents) == (13900, 0)
    assert world.orders.history[order.order_id][-1].event_type == "RefundFailed"


def test_the_webhook_and_the_sweep_refuse_the_same_payment_with_one_refund(world):
    order = world.place()
    status = world.gateway.pay(order.checkout.session_id, at=world.clock.now(), amount_cents=50)
    world.clock.set(order.payment_due_at + timedelta(minutes=1))
    by_webhook, by_sweep = world.reload(order), world.reload(order)
    from atelier.services.settlement import close_checkout, take_payment

    incoming = _incoming(world.event(order, amount=50, intent=status.payment_intent))
    take_payment(by_webhook, incoming, world.gateway, world.clock.now(), CALENDAR)
    close_checkout(by_sweep, world.gateway, world.clock.now(), CALENDAR)
    assert len(world.gateway.refunds) == 1


# ---------------------------------------------------------------------------- money at the provider


def refund_failed(world, order, refund_id, cents, *, intent=None, made_at=None, event_id=None):
    return replace(
        world.event(order, PaymentEventKind.REFUND_FAILED, intent=intent, event_id=event_id),
        order_id=None,
        amount_cents=cents,
        refund_id=refund_id,
        refund_created=made_at,
        failure_reason="expired_or_canceled_card",
    )


def history_types(world, order):
    return [h.event_type for h in world.orders.history[order.order_id]]


@pytest.mark.parametrize("status", ["IN_PRODUCTION", "IN_REVIEW"])
def test_P4_a_full_refund_at_the_provider_of_an_unshipped_order_cancels_it(world, status):
    """The piece is not made for money that went back."""
    order = world.place(remarks="thinner band" if status == "IN_REVIEW" else None)
    world.apply(world.event(order))
    assert world.reload(order).status is S(status)
    full = world.event(order, PaymentEventKind.REFUNDED, refunded=13900)
    assert world.apply(full) is Outcome.RECORDED
    after = world.reload(order)
    assert after.status is S.CANCELLED
    assert (after.paid_cents, after.refunded_cents) == (13900, 13900)
    assert after.due_entries() == {}  # no ship warning for a piece that is not made
    last = world.orders.history[order.order_id][-1]
    assert (last.event_type, last.actor, last.reason) == (
        "OrderCancelled",
        "payment-provider",
        "refunded at the provider",
    )
    assert last.data["refund_cents"] == 13900
    assert history_types(world, order).count("RefundIssued") == 0  # one email, the cancel's


def test_P4_a_partial_refund_at_the_provider_flags_the_order_for_staff(world):
    order = world.place()
    world.apply(world.event(order))
    assert world.apply(world.event(order, PaymentEventKind.REFUNDED, refunded=2000)) is (
        Outcome.RECORDED
    )
    after = world.reload(order)
    assert after.status is S.IN_PRODUCTION
    assert after.flags == ("REFUNDED_AT_PROVIDER",)
    assert after.refunded_cents == 2000
    last = world.orders.history[order.order_id][-1]
    assert last.event_type == "RefundIssued" and last.data["staff_alert"] == "partial"


@pytest.mark.parametrize("refunded", [13900, 2000])
@pytest.mark.parametrize("shipped_state", ["SHIPPED", "DELIVERED"])
def test_P4_a_refund_at_the_provider_after_shipment_flags_the_order(world, refunded, shipped_state):
    order = world.place()
    world.apply(world.event(order))
    shipped = world.reload(order)
    shipped.ship("staff:1", "UPS", "1Z999", world.clock.now())
    if shipped_state == "DELIVERED":
        shipped.deliver("staff:1", world.clock.now(), world.clock.now(), CALENDAR)
    world.orders.save(shipped)
    world.apply(world.event(order, PaymentEventKind.REFUNDED, refunded=refunded))
    after = world.reload(order)
    assert after.status is S(shipped_state)
    assert after.flags == ("REFUNDED_AT_PROVIDER",)
    assert after.refunded_cents == refunded
    last = world.orders.history[order.order_id][-1]
    assert last.event_type == "RefundIssued" and last.data["staff_alert"] == "after_shipment"


def test_P4_a_provider_refund_of_a_cancelled_or_refused_payment_is_only_recorded(world):
    order = world.place()
    world.clock.advance(hours=25)
    world.sweep()
    late = world.event(order, at=world.clock.now(), intent="pi_late")
    with_refund_refused(world, lambda: world.apply(late))
    assert world.apply(
        world.event(order, PaymentEventKind.REFUNDED, intent="pi_late", refunded=13900)
    ) is (Outcome.RECORDED)
    after = world.reload(order)
    assert after.status is S.EXPIRED
    assert "REFUNDED_AT_PROVIDER" not in after.flags
    assert after.refunded_cents == 13900


def with_refund_refused(world, action):
    real = world.gateway.refund

    def refuse(**kwargs):
        raise PaymentProviderRefusedError("already refunded")

    world.gateway.refund = refuse
    try:
        return action()
    finally:
        world.gateway.refund = real


def test_P3_a_refund_that_fails_later_is_flagged_and_no_longer_counted(world):
    """A refund that fails later: `refund.failed` (or `charge.refund.updated` with status
    failed)."""
    order = world.place()
    world.clock.advance(hours=25)
    world.sweep()
    made = world.clock.now()
    assert world.apply(world.event(order, at=made)) is Outcome.REFUNDED
    refund_id = next(iter(world.reload(order).payments[0].refund_ids))
    world.clock.advance(days=1)
    failed = refund_failed(world, order, refund_id, 13900, made_at=made)
    assert world.apply(failed) is Outcome.RECORDED
    after = world.reload(order)
    assert "REFUND_FAILED" in after.flags
    assert (after.paid_cents, after.refunded_cents) == (13900, 0)
    last = world.orders.history[order.order_id][-1]
    assert last.event_type == "RefundFailed"
    assert (last.data["failed_cents"], last.data["refund_id"]) == (13900, refund_id)
    # The same failure reported by the other event type is one failure.
    again = refund_failed(world, order, refund_id, 13900, made_at=made)
    assert world.apply(again) is Outcome.DUPLICATE
    # The provider's own total, reported before the failure, no longer counts it either.
    echo = world.event(
        order, PaymentEventKind.REFUNDED, refunded=13900, at=made + timedelta(seconds=10)
    )
    assert world.apply(echo) is Outcome.DUPLICATE
    assert world.reload(order).refunded_cents == 0


def test_P3_a_dashboard_refund_that_fails_leaves_a_cancelled_order_flagged_unrefunded(world):
    order = world.place()
    world.apply(world.event(order))
    made = world.clock.now()
    world.clock.advance(minutes=5)
    world.apply(world.event(order, PaymentEventKind.REFUNDED, refunded=13900))
    assert world.reload(order).status is S.CANCELLED
    world.clock.advance(days=2)
    assert world.apply(refund_failed(world, order, "re_dash", 13900, made_at=made)) is (
        Outcome.RECORDED
    )
    after = world.reload(order)
    assert (after.status, after.refunded_cents) == (S.CANCELLED, 0)
    assert set(after.flags) == {"REFUND_FAILED"}


def test_P3_a_refund_before_its_payment_is_parked_and_applied_with_the_payment(world):
    """Stripe does not order events. A full refund that arrives before `checkout.session.completed`
    is kept; the payment's event applies it: the piece is never put into production unrefunded."""
    order = world.place()
    refund = world.event(order, PaymentEventKind.REFUNDED, refunded=13900)
    assert world.apply(refund) is Outcome.PARKED
    assert world.apply(refund) is Outcome.DUPLICATE  # the same event again: kept once
    assert world.reload(order).status is S.PENDING_PAYMENT
    assert world.apply(world.event(order)) is Outcome.CONFIRMED
    after = world.reload(order)
    assert after.status is S.CANCELLED
    assert after.refunded_cents == 13900
    assert history_types(world, order) == ["OrderPlaced", "PaymentConfirmed", "OrderCancelled"]
    assert world.orders.parked == {}
    assert refund.event_id in world.orders.applied_events
    assert world.apply(refund) is Outcome.DUPLICATE  # a late redelivery changes nothing


def test_P3_a_dispute_and_a_failed_refund_before_their_payment_are_applied_with_it(world):
    order = world.place()
    dispute = replace(world.event(order, PaymentEventKind.DISPUTED), order_id=None)
    assert world.apply(dispute) is Outcome.PARKED
    assert world.apply(world.event(order)) is Outcome.CONFIRMED
    after = world.reload(order)
    assert (after.status, after.flags) == (S.IN_PRODUCTION, ("DISPUTED",))

    # A refund made in the dashboard, and its failure, both before the payment's event.
    other = world.place()
    made = world.clock.now()
    report = world.event(
        other, PaymentEventKind.REFUNDED, refunded=13900, at=made + timedelta(minutes=1)
    )
    failed = replace(
        refund_failed(world, other, "re_dash", 13900, made_at=made + timedelta(seconds=30)),
        created=made + timedelta(days=1),
    )
    assert world.apply(failed) is Outcome.PARKED
    assert world.apply(report) is Outcome.PARKED
    assert world.apply(world.event(other, at=made)) is Outcome.CONFIRMED
    after = world.reload(other)
    assert (after.status, after.refunded_cents) == (S.IN_PRODUCTION, 0)
    assert after.flags == ("REFUND_FAILED",)


def test_P3_the_sweep_applies_events_parked_for_a_payment_it_finds(world):
    order = world.place()
    status = world.gateway.pay(order.checkout.session_id, at=world.clock.now())
    refund = world.event(
        order, PaymentEventKind.REFUNDED, refunded=13900, intent=status.payment_intent
    )
    assert world.apply(refund) is Outcome.PARKED
    world.clock.set(order.payment_due_at + timedelta(minutes=1))
    assert world.sweep()["paid"] == 1
    assert world.reload(order).status is S.CANCELLED
    assert world.orders.parked == {}


def test_P3_parking_is_bounded_per_payment(world):
    from atelier.ports import MAX_PARKED_EVENTS

    order = world.place()
    for n in range(MAX_PARKED_EVENTS):
        assert world.apply(world.event(order, PaymentEventKind.REFUNDED, refunded=n + 1)) is (
            Outcome.PARKED
        )
    with pytest.raises(ConflictError) as caught:
        world.apply(world.event(order, PaymentEventKind.REFUNDED, refunded=99))
    assert caught.value.code == "TOO_MANY_PARKED_EVENTS"
    assert world.apply(world.event(order)) is Outcome.CONFIRMED
    after = world.reload(order)
    assert after.refunded_cents == MAX_PARKED_EVENTS and after.flags == ("REFUNDED_AT_PROVIDER",)


def test_P3_a_payment_saved_past_an_event_parked_meanwhile_is_a_conflict(world):
    """The race the store closes: the payment's save read no parked event, one is parked
    before it commits: the save fails (the provider retries) instead of stranding it."""
    order = world.place()
    by_webhook = world.reload(order)
    from atelier.services.settlement import take_payment

    take_payment(
        by_webhook, _incoming(world.event(order)), world.gateway, world.clock.now(), CALENDAR
    )
    world.apply(world.event(order, PaymentEventKind.REFUNDED, refunded=500))
    with pytest.raises(ConflictError):
        world.orders.save(by_webhook, parked={f"pi_{order.order_id}": ()})
    assert world.apply(world.event(order)) is Outcome.CONFIRMED
    assert world.reload(order).refunded_cents == 500
