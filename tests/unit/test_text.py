"""Hard caps and forbidden characters in free text (422s, before any rule runs)."""

import pytest

from atelier.domain.text import check_text, forbidden_character

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "text, expected",
    [
        ("A & J", None),
        ("Love\u0007", "U+0007"),  # bell (Cc)
        ("A\u200bJ", "U+200B"),  # zero-width space (Cf)
        ("\u202eevil", "U+202E"),  # right-to-left override (Cf)
        ("line\nbreak", "U+000A"),
        ("bad\ud800", "U+D800"),  # lone surrogate
        ("Émile 💍", None),
    ],
)
def test_single_line_text_refuses_control_and_format_characters(text, expected):
    assert forbidden_character(text) == expected


def test_multiline_text_keeps_line_breaks_and_tabs_but_not_other_controls():
    assert forbidden_character("first\r\nsecond\tthird", multiline=True) is None
    assert forbidden_character("first\x00second", multiline=True) == "U+0000"


def test_text_over_its_cap_is_refused_with_the_cap_in_the_message():
    with pytest.raises(ValueError, match="at most 200"):
        check_text("x" * 201, cap=200)


def test_text_is_stripped_of_outer_white_space():
    assert check_text("  hello ", cap=10) == "hello"
