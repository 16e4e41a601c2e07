"""The DynamoDB adapters keep the promises the services rely on (against moto)."""

from datetime import timedelta

import pytest
from boto3.dynamodb.types import TypeDeserializer

from atelier.domain.customization import Customization
from atelier.domain.errors import ConflictError, InvalidRequestError
from atelier.domain.order import Address, Checkout, Contact, Order, OrderStatus
from atelier.domain.pricing import price_order
from tests.factories import MONDAY_10AM, charm, ring


def new_order(order_id: str, customer: str = "cust-a", at=MONDAY_10AM) -> Order:
    product = ring()
    return Order.place(
        order_id=order_id,
        customer_id=customer,
        product=product,
        size="7",
        customization=Customization.of(style="oval", remarks="thin band please"),
        reasons=[],
        contact=Contact("Ada", "ada@example.com", "+1 555 0100"),
        shipping_address=Address("1 Main St", "Springfield", "62701", "US", region="IL"),
        price=price_order(product, 1000),
        terms_version="2026-11-01",
        checkout=Checkout("sandbox", f"http://pay/cs_{order_id}", f"cs_{order_id}", at),
        now=at,
    )


def partition(container, order_id):
    client = container.dynamodb
    answer = client.query(
        TableName=container.settings.table_name,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"ORDER#{order_id}"}},
    )
    deserialize = TypeDeserializer().deserialize
    return [{k: deserialize(v) for k, v in item.items()} for item in answer["Items"]]


def test_an_order_round_trips_with_every_field(container):
    order = new_order("ord_1")
    container.orders.add(order)
    loaded = container.orders.get("ord_1")
    assert loaded == order
    assert loaded.version == 1
    assert container.orders.new_payments(loaded) == ()


def test_only_an_order_this_repository_handed_out_can_be_saved(container):
    container.orders.add(new_order("ord_1"))
    with pytest.raises(ValueError, match="read from this repository"):
        container.orders.save(new_order("ord_1"))


def test_placing_writes_order_history_due_entry_and_checkout_pointer_together(container):
    container.orders.add(new_order("ord_1"))
    sort_keys = sorted(item["sk"] for item in partition(container, "ord_1"))
    assert sort_keys == ["DUE#PAYMENT", "DUE#REMINDER", "HISTORY#000001", "ORDER"]
    pointer = container.dynamodb.get_item(
        TableName=container.settings.table_name,
        Key={"pk": {"S": "CHECKOUT#cs_ord_1"}, "sk": {"S": "CHECKOUT"}},
    )
    assert pointer["Item"]["order_id"]["S"] == "ord_1"


def test_a_transition_commits_with_its_history_and_drops_the_due_entry(container):
    container.orders.add(new_order("ord_1"))
    order = container.orders.get("ord_1")
    order.cancel_by_customer(MONDAY_10AM)
    container.orders.save(order)
    items = partition(container, "ord_1")
    assert not [i for i in items if i["sk"].startswith("DUE#")]
    history = sorted((i for i in items if i["type"] == "HISTORY"), key=lambda i: i["sk"])
    assert [h["to_status"] for h in history] == ["PENDING_PAYMENT", "CANCELLED"]
    assert container.orders.get("ord_1").status is OrderStatus.CANCELLED


def test_a_transition_that_lost_a_race_fails_cleanly_and_writes_nothing(container):
    container.orders.add(new_order("ord_1"))
    first, second = container.orders.get("ord_1"), container.orders.get("ord_1")
    first.cancel_by_customer(MONDAY_10AM)
    container.orders.save(first)
    second.cancel_by_customer(MONDAY_10AM)
    with pytest.raises(ConflictError) as caught:
        container.orders.save(second)
    assert caught.value.code == "CONCURRENT_UPDATE"
    history = [i for i in partition(container, "ord_1") if i["type"] == "HISTORY"]
    assert len(history) == 2


def test_adding_an_existing_order_id_is_a_conflict_not_an_overwrite(container):
    container.orders.add(new_order("ord_1"))
    with pytest.raises(ConflictError):
        container.orders.add(new_order("ord_1", customer="cust-b"))
    assert container.orders.get("ord_1").customer_id == "cust-a"


def test_a_customers_orders_come_newest_first_in_pages_and_never_include_others(container):
    for i in range(5):
        container.orders.add(new_order(f"ord_{i}", at=MONDAY_10AM + timedelta(minutes=i)))
    container.orders.add(new_order("ord_other", customer="cust-b"))
    seen, cursor = [], None
    while True:
        page = container.orders.list_for_customer("cust-a", limit=2, cursor=cursor)
        seen += [o.order_id for o in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == ["ord_4", "ord_3", "ord_2", "ord_1", "ord_0"]


def test_a_cursor_from_one_customer_does_not_open_anothers_orders(container):
    for i in range(3):
        container.orders.add(new_order(f"ord_{i}", at=MONDAY_10AM + timedelta(minutes=i)))
    cursor = container.orders.list_for_customer("cust-a", limit=1, cursor=None).next_cursor
    assert container.orders.list_for_customer("cust-b", limit=10, cursor=cursor).items == []


@pytest.mark.parametrize("cursor", ["garbage", "eyJ4IjoxfQ", "e30", "%%%"])
def test_a_forged_cursor_is_refused(container, cursor):
    with pytest.raises(InvalidRequestError):
        container.orders.list_for_customer("cust-a", limit=10, cursor=cursor)


def test_the_catalog_lists_active_products_in_pages(container):
    container.products.save(ring())
    container.products.save(charm())
    container.products.save(ring(product_id="retired-ring", active=False))
    first = container.products.list(limit=1, cursor=None)
    second = container.products.list(limit=1, cursor=first.next_cursor)
    assert [p.product_id for p in first.items + second.items] == ["bear-charm", "signet-ring"]
    assert second.next_cursor is None
    everything = container.products.list(limit=10, cursor=None, include_inactive=True)
    assert [p.product_id for p in everything.items] == [
        "bear-charm",
        "signet-ring",
        "retired-ring",
    ]
