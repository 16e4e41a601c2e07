"""Request bodies refuse what JSON can say but a person cannot mean."""

import pytest
from pydantic import ValidationError

from atelier.api.schemas.claims import ClaimDecisionIn, EvidenceIn
from atelier.api.schemas.customer import AddressIn
from atelier.api.schemas.staff import ReviewIn, StaffCancelIn
from atelier.domain.catalog import Product
from atelier.domain.countries import is_country_code
from tests.factories import ring

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("size", [True, False, 1.0, "1024"], ids=repr)
def test_P10_evidence_size_must_be_a_json_integer(size):
    with pytest.raises(ValidationError):
        EvidenceIn(filename="bent.jpg", content_type="image/jpeg", size_bytes=size)


@pytest.mark.parametrize(
    "build",
    [
        lambda: ReviewIn(decision="SURCHARGE", surcharge_cents=True, note="A new mold."),
        lambda: StaffCancelIn(reason="Out of gold", refund_cents=True),
        lambda: ClaimDecisionIn(decision="APPROVE", resolution="REMAKE", shipping_cost_cents=True),
        lambda: Product(**{**ring().model_dump(), "price_cents": True}),
    ],
    ids=["surcharge", "refund", "shipping cost", "price"],
)
def test_P2_money_must_be_integer_cents_never_true(build):
    with pytest.raises(ValidationError):
        build()


def address(country):
    return AddressIn(line1="1 Main St", city="Springfield", postal_code="62701", country=country)


@pytest.mark.parametrize("code", ["US", "GB", "DE", "JP", "AQ", "BV"])
def test_iso_country_codes_are_accepted(code):
    assert address(code).country == code


@pytest.mark.parametrize("code", ["XX", "ZZ", "AA", "UK", "EU", "us", "USA", ""])
def test_P7_a_country_that_is_not_an_iso_code_is_refused_in_words(code):
    with pytest.raises(ValidationError) as refused:
        address(code)
    message = str(refused.value)
    assert "two-letter ISO country code, e.g. US" in message
    assert "[A-Z]" not in message


def test_the_country_list_is_iso_3166_1_alpha_2():
    assert is_country_code("US") and is_country_code("FR")
    assert not is_country_code("XK")  # Kosovo: user-assigned, not in ISO 3166-1
