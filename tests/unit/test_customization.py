"""P1, P4 and P5: what a customization request must hold and when a designer must read it."""

import pytest

from atelier.domain.customization import (
    Customization,
    agree_customization,
    require_some_customization,
)
from atelier.domain.errors import InvalidRequestError
from tests.factories import charm, ring

pytestmark = pytest.mark.unit


def codes(reasons):
    return [(r.field, r.code) for r in reasons]


def test_P1_a_request_with_nothing_to_customize_is_refused():
    with pytest.raises(InvalidRequestError) as caught:
        require_some_customization(Customization.of(style="  ", color="", remarks=None))
    assert caught.value.code == "EMPTY_CUSTOMIZATION"


def test_P1_one_non_empty_field_is_enough():
    require_some_customization(Customization.of(color="gold"))


def test_P4_request_inside_the_range_without_remarks_is_agreed_automatically():
    agreed, reasons = agree_customization(
        ring().customization, Customization.of("oval", "gold", "A & J")
    )
    assert reasons == []
    assert agreed == Customization("oval", "gold", "A & J", None)


def test_P5_offered_options_match_regardless_of_case_and_are_stored_as_the_catalog_spells_them():
    agreed, reasons = agree_customization(
        ring().customization, Customization.of(style="OVAL", color="Rose Gold")
    )
    assert reasons == []
    assert (agreed.style, agreed.color) == ("oval", "rose gold")


def test_P5_style_and_color_not_offered_need_review_with_reasons():
    _, reasons = agree_customization(
        ring().customization, Customization.of(style="heart", color="black")
    )
    assert codes(reasons) == [("style", "STYLE_NOT_OFFERED"), ("color", "COLOR_NOT_OFFERED")]
    assert "classic, oval, cushion" in reasons[0].message


def test_P5_engraving_over_max_length_needs_review():
    _, reasons = agree_customization(ring().customization, Customization.of(expression="x" * 13))
    assert codes(reasons) == [("expression", "ENGRAVING_TOO_LONG")]


def test_P5_engraving_outside_the_allowed_pattern_needs_review_without_echoing_it():
    _, reasons = agree_customization(ring().customization, Customization.of(expression="A♥J"))
    assert codes(reasons) == [("expression", "ENGRAVING_CHARACTERS_NOT_OFFERED")]
    assert "A♥J" not in reasons[0].message


def test_P5_a_face_not_offered_needs_review():
    agreed, reasons = agree_customization(
        charm().customization, Customization.of(expression="angry")
    )
    assert codes(reasons) == [("expression", "EXPRESSION_NOT_OFFERED")]
    assert agreed.expression == "angry"


def test_P5_an_offered_face_is_agreed():
    agreed, reasons = agree_customization(
        charm().customization, Customization.of(expression="Winking")
    )
    assert reasons == []
    assert agreed.expression == "winking"


def test_P4_remarks_always_need_a_designer():
    _, reasons = agree_customization(
        ring().customization, Customization.of(style="oval", remarks="slightly thinner band")
    )
    assert codes(reasons) == [("remarks", "REMARKS_NEED_REVIEW")]
