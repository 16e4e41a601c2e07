"""The Order aggregate: P2 pricing snapshot, P3 deadline, the state machine of docs/design.md §4."""

from datetime import timedelta

import pytest

from atelier.domain.customization import Customization
from atelier.domain.due import DueKind
from atelier.domain.errors import ConflictError, IllegalTransitionError
from atelier.domain.order import TRANSITIONS, Address, Checkout, Contact, Order, OrderStatus
from atelier.domain.pricing import price_order
from tests.factories import MONDAY_10AM, charm, ring

pytestmark = pytest.mark.unit


def placed(now=MONDAY_10AM, product=None):
    product = product or ring()
    return Order.place(
        order_id="ord_1",
        customer_id="cust-a",
        product=product,
        size="7" if product.sizes else None,
        customization=Customization.of(style="oval"),
        reasons=[],
        contact=Contact("Ada", "ada@example.com"),
        shipping_address=Address("1 Main St", "Springfield", "62701", "US"),
        price=price_order(product, 1000),
        terms_version="2026-11-01",
        checkout=Checkout("sandbox", "http://pay/cs_1", "cs_1", now + timedelta(hours=24)),
        now=now,
    )


def test_P2_total_is_price_plus_the_fee_once_in_integer_cents():
    amounts = price_order(ring(), 1000)
    assert (amounts.product_cents, amounts.customization_fee_cents) == (12900, 1000)
    assert amounts.total_cents == 13900
    assert isinstance(amounts.total_cents, int)


def test_P2_the_order_keeps_a_snapshot_of_price_and_range():
    order = placed()
    assert order.product.price_cents == 12900
    assert order.product.customization == ring().customization


def test_P3_payment_is_due_exactly_24_hours_after_creation():
    order = placed()
    assert order.payment_due_at - order.created_at == timedelta(hours=24)


def test_P3_an_unpaid_order_past_its_deadline_reads_as_expired_before_any_sweep():
    order = placed()
    assert order.effective_status(order.payment_due_at) is OrderStatus.PENDING_PAYMENT
    late = order.payment_due_at + timedelta(seconds=1)
    assert order.effective_status(late) is OrderStatus.EXPIRED
    assert order.open_checkout(late) is None
    assert order.status is OrderStatus.PENDING_PAYMENT  # reading changes nothing


def test_placing_records_the_first_history_entry_and_a_payment_deadline_entry():
    order = placed()
    assert [(h.from_status, h.to_status, h.event_type) for h in order.new_history] == [
        (None, OrderStatus.PENDING_PAYMENT, "OrderPlaced")
    ]
    assert order.version == 1
    assert order.due_entries() == {
        DueKind.PAYMENT: order.payment_due_at,
        DueKind.REMINDER: order.payment_due_at - timedelta(hours=4),
    }
    assert all(type(kind) is DueKind for kind in order.due_entries())
    # the index's key is the kind's value, as the items already stored spell it
    assert [f"DUE#{kind}" for kind in order.due_entries()] == ["DUE#PAYMENT", "DUE#REMINDER"]


def test_customer_cancels_an_unpaid_order_before_its_deadline():
    order = placed()
    order.cancel_by_customer(MONDAY_10AM + timedelta(hours=1))
    assert order.status is OrderStatus.CANCELLED
    assert order.version == 2
    assert order.new_history[-1].from_status is OrderStatus.PENDING_PAYMENT
    assert order.due_entries() == {}


def test_P3_cancelling_after_the_deadline_is_a_conflict_because_the_order_expired():
    order = placed()
    with pytest.raises(ConflictError) as caught:
        order.cancel_by_customer(order.payment_due_at + timedelta(seconds=1))
    assert caught.value.code == "ORDER_NOT_CANCELLABLE"
    assert order.status is OrderStatus.PENDING_PAYMENT


def test_cancelling_twice_is_a_conflict():
    order = placed(product=charm())
    order.cancel_by_customer(MONDAY_10AM)
    with pytest.raises(ConflictError):
        order.cancel_by_customer(MONDAY_10AM)


def test_every_transition_of_the_design_is_declared_and_nothing_else():
    S = OrderStatus
    expected = {
        (None, S.PENDING_PAYMENT),
        (S.PENDING_PAYMENT, S.IN_PRODUCTION),
        (S.PENDING_PAYMENT, S.IN_REVIEW),
        (S.PENDING_PAYMENT, S.EXPIRED),
        (S.PENDING_PAYMENT, S.CANCELLED),
        (S.EXPIRED, S.IN_PRODUCTION),
        (S.EXPIRED, S.IN_REVIEW),
        (S.IN_REVIEW, S.IN_PRODUCTION),
        (S.IN_REVIEW, S.CANCELLED),
        (S.IN_PRODUCTION, S.CANCELLED),
        (S.IN_PRODUCTION, S.SHIPPED),
        (S.SHIPPED, S.DELIVERED),
        (S.DELIVERED, S.IN_PRODUCTION),
    }
    assert set(TRANSITIONS) == expected


def test_an_undeclared_transition_is_refused():
    order = placed()
    with pytest.raises(IllegalTransitionError):
        order._record("X", "staff", "skip ahead", MONDAY_10AM, to=OrderStatus.DELIVERED)
    assert order.status is OrderStatus.PENDING_PAYMENT


def test_P3_at_exactly_the_deadline_the_order_is_still_payable_and_does_not_expire():
    order = placed()
    assert order.expire(order.payment_due_at, actor="expiry-sweep") is False
    assert order.status is OrderStatus.PENDING_PAYMENT
    assert order.expire(order.payment_due_at + timedelta(seconds=1), actor="sweep") is True
    assert order.status is OrderStatus.EXPIRED
