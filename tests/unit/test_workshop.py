"""The workshop service on in-memory fakes: refunds exactly once, surcharge paths (P5, P7)."""

from datetime import timedelta

import pytest

from atelier.domain.errors import (
    ConflictError,
    PaymentProviderRefusedError,
    ServiceUnavailableError,
)
from atelier.domain.messages import Message
from atelier.domain.order import OrderStatus
from atelier.services.workshop import Decision
from tests.world import World

S = OrderStatus


@pytest.fixture
def world():
    return World()


def workshop(world):
    return world.workshop


def reviewed(world):
    order = world.place(remarks="thinner band")
    world.apply(world.event(order))
    assert world.reload(order).status is S.IN_REVIEW
    return order


def test_P5_decline_refunds_exactly_once_even_when_the_first_commit_fails(world, monkeypatch):
    order = reviewed(world)
    shop = workshop(world)
    real_save = world.orders.save
    calls = {"n": 0}

    def flaky_save(o, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ServiceUnavailableError("store busy")
        return real_save(o, **kwargs)

    monkeypatch.setattr(world.orders, "save", flaky_save)
    with pytest.raises(ServiceUnavailableError):
        shop.review("staff:x", order.order_id, Decision.DECLINE, note="cannot make it")
    declined = shop.review("staff:x", order.order_id, Decision.DECLINE, note="cannot make it").order
    assert declined.status is S.CANCELLED
    assert len(world.gateway.refunds) == 1  # the retry found the same refund by its key
    assert declined.refunded_cents == 13900


def test_P5_a_surcharge_request_then_accept_waives_it(world):
    order = reviewed(world)
    shop = workshop(world)
    shop.review("staff:x", order.order_id, Decision.SURCHARGE, surcharge_cents=2000, note="mold")
    with pytest.raises(ConflictError):
        shop.review("staff:x", order.order_id, Decision.SURCHARGE, surcharge_cents=1, note="again")
    accepted = shop.review("staff:x", order.order_id, Decision.ACCEPT).order
    assert accepted.status is S.IN_PRODUCTION
    assert accepted.price.surcharge_cents == 0
    assert accepted.due_entries().keys() == {"SHIP_WARNING", "SHIP_LATE"}


def test_P5_a_surcharge_paid_late_is_refunded_and_the_order_lapses(world):
    order = reviewed(world)
    shop = workshop(world)
    shop.review("staff:x", order.order_id, Decision.SURCHARGE, surcharge_cents=2000, note="mold")
    opened = world.customer_orders.accept_surcharge("cust-a", order.order_id)
    world.clock.advance(hours=25)
    late = world.event(opened, amount=2000, intent="pi_late", at=world.clock.now())
    from atelier.services.settlement import Outcome

    assert world.apply(late) is Outcome.REFUNDED
    from atelier.services.sweep import SweepReport

    report = shop.lapse_surcharges(SweepReport())
    assert report["lapsed"] == 1
    final = world.reload(order)
    assert final.status is S.CANCELLED
    assert final.refunded_cents == 13900 + 2000
    assert final.paid_cents - final.refunded_cents == 0


def test_P7_a_delay_moves_the_watch_and_a_new_date_is_announced_again(world):
    order = world.place()
    world.apply(world.event(order))
    shop = workshop(world)
    first = world.reload(order).ship_watch
    delayed = shop.delay(
        "staff:x", order.order_id, "stone late", first.ship_date + timedelta(days=7)
    ).order
    assert delayed.ship_watch.ship_date == first.ship_date + timedelta(days=7)
    assert not delayed.ship_watch.warned and not delayed.ship_watch.late
    assert delayed.delay.reason == "stone late"


def test_staff_cannot_ship_an_unpaid_order(world):
    order = world.place()
    with pytest.raises(ConflictError):
        workshop(world).ship("staff:x", order.order_id, "UPS", "1Z")
    assert world.reload(order).status is S.PENDING_PAYMENT


def _in_production(world):
    order = world.place()
    world.apply(world.event(order))
    assert world.reload(order).status is S.IN_PRODUCTION
    return order


def test_a_cancel_retried_with_another_amount_after_a_lost_commit_refunds_nothing_more(
    world, monkeypatch
):
    order = _in_production(world)
    shop = workshop(world)
    real_save = world.orders.save
    monkeypatch.setattr(world.orders, "save", _fails_once(real_save))
    with pytest.raises(ServiceUnavailableError):
        shop.cancel("staff:x", order.order_id, "no stones", 5000)
    before = world.reload(order)

    with pytest.raises(ConflictError) as changed:  # staff typed another amount on the retry
        shop.cancel("staff:x", order.order_id, "no stones", 13900)

    assert changed.value.code == "PAYMENT_REQUEST_CHANGED"
    assert "first asked" in str(changed.value)
    assert world.reload(order).version == before.version  # nothing written
    assert world.gateway.refunded_cents(before.payments[0].payment_intent) == 5000
    cancelled = shop.cancel("staff:x", order.order_id, "no stones", 5000).order  # first amount
    assert cancelled.status is S.CANCELLED
    assert cancelled.refunded_cents == 5000
    assert len(world.gateway.refunds) == 1


def test_a_refund_the_provider_refuses_for_good_still_cancels_and_flags_the_order(world):
    order = _in_production(world)
    shop = workshop(world)

    def refuse(**kwargs):
        raise PaymentProviderRefusedError("The charge is disputed.")

    world.gateway.refund = refuse
    cancelled = shop.cancel("staff:x", order.order_id, "no stones", None).order

    assert cancelled.status is S.CANCELLED
    assert cancelled.refunded_cents == 0
    assert "REFUND_FAILED" in cancelled.flags
    entry = world.orders.details(order.order_id).history[-1]
    assert entry.data["refund_cents"] == 0
    assert entry.data["refund_failed_cents"] == 13900
    assert entry.data["refund_ids"] == []


def test_P5_the_lapse_sweep_takes_a_surcharge_paid_in_time_whose_webhook_is_late(world):
    order = reviewed(world)
    shop = workshop(world)
    shop.review("staff:x", order.order_id, Decision.SURCHARGE, surcharge_cents=2000, note="mold")
    opened = world.customer_orders.accept_surcharge("cust-a", order.order_id)
    world.clock.advance(hours=23)
    world.gateway.pay(opened.checkout.session_id, at=world.clock.now())
    world.clock.advance(hours=2)  # past the surcharge deadline; no webhook yet
    from atelier.services.sweep import SweepReport

    report = shop.lapse_surcharges(SweepReport())

    assert (report["paid"], report["lapsed"]) == (1, 0)
    final = world.reload(order)
    assert final.status is S.IN_PRODUCTION
    assert final.price.surcharge_cents == 2000
    assert final.refunded_cents == 0


def _fails_once(real):
    calls = {"n": 0}

    def save(o, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ServiceUnavailableError("store busy")
        return real(o, **kwargs)

    return save


def test_a_staff_transition_answers_the_order_as_saved_with_its_whole_history(world):
    order = reviewed(world)
    world.orders.add_message(
        Message.post(order.order_id, "staff", "staff:x", "How thin?", world.clock.now())
    )
    answered = workshop(world).review("staff:x", order.order_id, Decision.ACCEPT)
    stored = world.orders.details(order.order_id)
    assert answered.order == stored.order
    world.orders.save(answered.order)  # its snapshot is what storage holds: no conflict
    assert [h.event_type for h in answered.history] == [h.event_type for h in stored.history]
    assert answered.history[-1].event_type == "ReviewAccepted"
    assert answered.history == stored.history
    assert [m.text for m in answered.messages] == ["How thin?"]


def test_a_cancel_retried_after_the_providers_refund_report_counts_the_refund_once(
    world, monkeypatch
):
    """The refund is made, the commit fails, Stripe's charge.refunded (total 4000) is recorded
    first, then staff retry: one refund of 4000, whichever record came first."""
    order = _in_production(world)
    shop = workshop(world)
    monkeypatch.setattr(world.orders, "save", _fails_once(world.orders.save))
    with pytest.raises(ServiceUnavailableError):
        shop.cancel("staff:x", order.order_id, "no stones", 4000)
    from atelier.domain.payment_events import PaymentEventKind
    from atelier.services.settlement import Outcome

    report = world.event(order, PaymentEventKind.REFUNDED, refunded=4000)
    assert world.apply(report) is Outcome.RECORDED

    cancelled = shop.cancel("staff:x", order.order_id, "no stones", 4000).order

    assert cancelled.refunded_cents == 4000
    assert world.gateway.refunded_cents(cancelled.payments[0].payment_intent) == 4000
    again = world.event(order, PaymentEventKind.REFUNDED, refunded=4000)  # a late echo
    assert world.apply(again) is Outcome.DUPLICATE
    assert world.reload(order).refunded_cents == 4000


def test_decline_and_staff_cancel_share_one_refund_request(world, monkeypatch):
    """Every cancellation path sends the same refund request under the order's key, so a
    decline whose commit failed, followed by a cancel, finds the same refund."""
    order = reviewed(world)
    shop = workshop(world)
    monkeypatch.setattr(world.orders, "save", _fails_once(world.orders.save))
    with pytest.raises(ServiceUnavailableError):
        shop.review("staff:x", order.order_id, Decision.DECLINE, note="cannot make it")

    cancelled = shop.cancel("staff:x", order.order_id, "no stones", None).order

    assert cancelled.refunded_cents == 13900
    assert len(world.gateway.refunds) == 1
