"""Placing an order through the service, on in-memory adapters (P1-P6)."""

from datetime import timedelta

import pytest

from atelier.adapters.payments import SandboxGateway
from atelier.domain.customization import Customization
from atelier.domain.errors import InvalidRequestError, NotFoundError
from atelier.domain.order import Address, Contact, OrderStatus
from atelier.services.placing import PlaceOrder
from tests.factories import MONDAY_10AM, charm, ring
from tests.world import World, ring_order

pytestmark = pytest.mark.unit


class OrderingWorld(World):
    def place(self, customer="cust-a", **changes):
        fields = {"customization": Customization.of(style="oval", color="gold"), **changes}
        return self.customer_orders.place(ring_order(customer, **fields))


@pytest.fixture
def world():
    return OrderingWorld(
        products=[ring(), charm(), ring(product_id="old-ring", active=False)],
        gateway=SandboxGateway("http://127.0.0.1:3000/_local/pay"),
    )


def refused(world, code, **changes):
    before = world.orders.writes
    with pytest.raises(InvalidRequestError) as caught:
        world.place(**changes)
    assert caught.value.code == code
    assert world.orders.writes == before, "a refused request must change nothing"
    return caught.value


def test_P2_P3_order_is_priced_by_the_server_and_due_in_24_hours(world):
    order = world.place()
    assert order.price.total_cents == 12900 + 1000
    assert order.payment_due_at == MONDAY_10AM + timedelta(hours=24)
    assert order.status is OrderStatus.PENDING_PAYMENT
    assert order.checkout is not None
    assert order.checkout.url.startswith("http://127.0.0.1:3000/_local/pay/cs_sandbox_")
    stored = world.orders.get(order.order_id)
    assert stored is not None and stored.price == order.price
    assert world.orders.checkout_pointers[order.checkout.session_id] == order.order_id
    assert world.orders.due_index[("PAYMENT", order.order_id)] == order.payment_due_at


def test_P2_the_fee_comes_from_settings(world):
    world = World(fee_cents=1500)
    order = world.customer_orders.place(
        PlaceOrder(
            "cust-a",
            "bear-charm",
            None,
            Customization.of(expression="smiling"),
            Contact("Ada", "ada@example.com"),
            Address("1 Main", "X", "1", "US"),
            "2026-11-01",
        )
    )
    assert order.price.customization_fee_cents == 1500
    assert order.price.total_cents == 4500 + 1500


def test_P4_request_inside_the_range_needs_no_review(world):
    assert world.place().review.required is False


def test_P5_request_outside_the_range_is_accepted_with_review_reasons(world):
    order = world.place(customization=Customization.of(style="heart", remarks="make it shiny"))
    assert order.review.required is True
    assert [r.code for r in order.review.reasons] == ["STYLE_NOT_OFFERED", "REMARKS_NEED_REVIEW"]
    assert order.status is OrderStatus.PENDING_PAYMENT


def test_P6_terms_acceptance_of_the_current_version_is_recorded(world):
    assert world.place().terms_version == "2026-11-01"


@pytest.mark.parametrize("version", [None, "2025-01-01", ""])
def test_P6_a_missing_or_older_terms_version_is_refused(world, version):
    error = refused(world, "TERMS_NOT_ACCEPTED", accept_terms_version=version)
    assert error.details == {"current_version": "2026-11-01"}


def test_P1_unknown_or_withdrawn_product_is_refused(world):
    refused(world, "UNKNOWN_PRODUCT", product_id="no-such-thing")
    refused(world, "UNKNOWN_PRODUCT", product_id="old-ring")


def test_P1_a_ring_needs_a_size_from_its_list(world):
    refused(world, "SIZE_REQUIRED", size=None)
    refused(world, "SIZE_NOT_OFFERED", size="12")


def test_P1_a_piece_without_sizes_takes_none(world):
    refused(world, "SIZE_NOT_APPLICABLE", product_id="bear-charm", size="7")


def test_P1_empty_customization_is_refused(world):
    refused(world, "EMPTY_CUSTOMIZATION", customization=Customization.of())


def test_another_customers_order_is_not_found(world):
    order = world.place(customer="cust-a")
    with pytest.raises(NotFoundError):
        world.customer_orders.get("cust-b", order.order_id)
    assert world.customer_orders.get("cust-a", order.order_id).order_id == order.order_id


def test_a_customer_lists_only_their_orders_newest_first_across_pages(world):
    mine = []
    for _ in range(5):
        mine.append(world.place(customer="cust-a").order_id)
        world.clock.advance(minutes=1)
    world.place(customer="cust-b")
    first = world.customer_orders.list_orders("cust-a", limit=2, cursor=None)
    second = world.customer_orders.list_orders("cust-a", limit=2, cursor=first.next_cursor)
    third = world.customer_orders.list_orders("cust-a", limit=2, cursor=second.next_cursor)
    listed = [o.order_id for page in (first, second, third) for o in page.items]
    assert listed == list(reversed(mine))
    assert third.next_cursor is None


def test_cancel_removes_the_payment_deadline_entry(world):
    order = world.place()
    cancelled = world.customer_orders.cancel("cust-a", order.order_id)
    assert cancelled.status is OrderStatus.CANCELLED
    assert ("PAYMENT", order.order_id) not in world.orders.due_index
    history = world.orders.history[order.order_id]
    assert [h.to_status for h in history] == [OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED]


def test_P3_cancel_after_the_deadline_is_refused_and_changes_nothing(world):
    order = world.place()
    world.clock.advance(hours=24, seconds=1)
    writes = world.orders.writes
    with pytest.raises(Exception) as caught:
        world.customer_orders.cancel("cust-a", order.order_id)
    assert getattr(caught.value, "code", None) == "ORDER_NOT_CANCELLABLE"
    assert world.orders.writes == writes
