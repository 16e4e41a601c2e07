"""Staff manage the catalog through the service, on in-memory adapters (P5; P2's snapshot)."""

import pytest
from pydantic import ValidationError

from atelier.adapters.memory import InMemoryProductRepository
from atelier.domain.catalog import Product, ProductDetails
from atelier.domain.errors import ConflictError, InvalidRequestError, NotFoundError
from atelier.services.catalog import Catalog
from tests.factories import charm, ring

pytestmark = pytest.mark.unit

STAFF = "staff:designer-1"


def details_of(product: Product, **changes) -> ProductDetails:
    """What a PUT body carries: the whole product but its id, with some fields changed."""
    return ProductDetails.model_validate({**product.model_dump(exclude={"product_id"}), **changes})


@pytest.fixture
def products() -> InMemoryProductRepository:
    return InMemoryProductRepository([ring()])


def test_P5_staff_add_a_product_with_its_customization_range(products):
    created = Catalog(products).add(charm(), actor=STAFF)

    assert created == charm()
    assert products.get("bear-charm") == charm()
    assert products.get("bear-charm").customization.expression.options == (
        "smiling",
        "winking",
        "sleepy",
    )


def test_adding_a_product_whose_id_exists_is_a_conflict_and_keeps_the_stored_one(products):
    with pytest.raises(ConflictError) as raised:
        Catalog(products).add(ring(price_cents=1), actor=STAFF)

    assert raised.value.code == "PRODUCT_EXISTS"
    assert products.get("signet-ring").price_cents == 12900


def test_a_retired_products_id_cannot_be_reused_either(products):
    Catalog(products).add(charm(active=False), actor=STAFF)
    with pytest.raises(ConflictError):
        Catalog(products).add(charm(), actor=STAFF)
    assert products.get("bear-charm").active is False


def test_P5_staff_replace_a_products_price_and_range(products):
    wider = ring().customization.model_copy(
        update={"color": ring().customization.color.model_copy(update={"options": ("platinum",)})}
    )
    updated = Catalog(products).replace(
        "signet-ring",
        details_of(ring(), price_cents=15900, customization=wider.model_dump()),
        actor=STAFF,
    )

    assert updated.product_id == "signet-ring"
    assert updated.price_cents == 15900
    assert updated.customization.color.options == ("platinum",)
    assert products.get("signet-ring") == updated


def test_a_replacement_that_repeats_the_products_own_id_is_accepted(products):
    updated = Catalog(products).replace(
        "signet-ring",
        details_of(ring(), name="Signet Ring II"),
        actor=STAFF,
        claimed_id="signet-ring",
    )
    assert products.get("signet-ring").name == updated.name == "Signet Ring II"


def test_a_replacement_naming_another_id_is_refused_and_changes_nothing(products):
    products.save(charm())
    with pytest.raises(InvalidRequestError) as raised:
        Catalog(products).replace(
            "signet-ring",
            details_of(ring(), price_cents=1),
            actor=STAFF,
            claimed_id="bear-charm",
        )

    assert raised.value.code == "PRODUCT_ID_MISMATCH"
    assert products.get("signet-ring") == ring()
    assert products.get("bear-charm") == charm()


def test_replacing_a_product_that_does_not_exist_is_not_found_and_adds_nothing(products):
    with pytest.raises(NotFoundError):
        Catalog(products).replace("no-such-ring", details_of(ring()), actor=STAFF)
    assert products.get("no-such-ring") is None


def test_retiring_a_product_keeps_it_in_the_staff_list_only(products):
    Catalog(products).replace("signet-ring", details_of(ring(), active=False), actor=STAFF)
    Catalog(products).add(charm(), actor=STAFF)

    staff_view = Catalog(products).everything(limit=10, cursor=None)
    customer_view = products.list(limit=10, cursor=None)

    assert [(p.product_id, p.active) for p in staff_view.items] == [
        ("bear-charm", True),
        ("signet-ring", False),
    ]
    assert [p.product_id for p in customer_view.items] == ["bear-charm"]
    assert Catalog(products).everything(limit=10, cursor=None, include_inactive=False).items == [
        charm()
    ]


def test_the_staff_list_pages_through_active_then_retired_products(products):
    Catalog(products).add(charm(), actor=STAFF)
    Catalog(products).add(ring(product_id="old-ring", active=False), actor=STAFF)

    seen, cursor = [], None
    while True:
        page = Catalog(products).everything(limit=2, cursor=cursor)
        seen += [p.product_id for p in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor

    assert seen == ["bear-charm", "signet-ring", "old-ring"]


@pytest.mark.parametrize(
    "changes",
    [
        {"price_cents": -100},
        {"colour": "gold"},
        {
            "customization": {
                **ring().customization.model_dump(),
                "expression": {"kind": "text", "max_length": 12, "allowed_pattern": "[a-z"},
            }
        },
        {"sizes": ["7", "7"]},
    ],
    ids=["negative price", "unknown field", "bad pattern", "repeated size"],
)
def test_an_invalid_product_never_reaches_the_service(changes):
    with pytest.raises(ValidationError):
        details_of(ring(), **changes)
