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


# ---------------------------------------------------------------------------- text no person types


@pytest.mark.parametrize(
    "text, found",
    [
        ("A\u2028J", "U+2028"),  # line separator (Zl)
        ("A\u2029J", "U+2029"),  # paragraph separator (Zp)
        ("A\ue000J", "U+E000"),  # private use (Co)
        ("A\U000f0000J", "U+F0000"),  # supplementary private use
        ("A\uffffJ", "U+FFFF"),  # noncharacter
        ("A\ufdd0J", "U+FDD0"),  # noncharacter
        ("A\U0001fffeJ", "U+1FFFE"),  # noncharacter
    ],
)
def test_P1_single_line_text_refuses_separators_private_use_and_noncharacters(text, found):
    with pytest.raises(ValueError, match=found.replace("+", r"\+")) as refused:
        check_text(text, cap=200)
    assert "control or format" not in str(refused.value), "each is said for what it is"


@pytest.mark.parametrize("text", ["A\ue000J", "A\uffffJ"])
def test_P1_multiline_text_refuses_private_use_and_noncharacters_too(text):
    with pytest.raises(ValueError):
        check_text(text, cap=2000, multiline=True)


def test_multiline_text_keeps_unicode_line_and_paragraph_separators():
    assert check_text("first\u2028second\u2029third", cap=100, multiline=True)


def test_P1_a_letter_buried_under_150_combining_marks_is_refused():
    with pytest.raises(ValueError, match="marks on one character"):
        check_text("A" + "\u0301" * 150, cap=200)
    with pytest.raises(ValueError, match="marks on one character"):
        check_text("ok " + "\u0300\u0301" * 6, cap=200, multiline=True)


@pytest.mark.parametrize(
    "text",
    [
        "Vi\u1ec7t Nam",  # precomposed
        "Vie\u0323\u0302t",  # e + dot below + circumflex, decomposed
        "\u05e9\u05c1\u05b8\u0591",  # Hebrew letter with points and a cantillation mark
        "\u0915\u094d\u0937",  # Devanagari conjunct
        "\U0001f44d\U0001f3fd",  # emoji with a skin tone
        "Z\u0301" * 40,  # many marks in a text, but few on each character
    ],
)
def test_real_scripts_with_combining_marks_are_accepted(text):
    assert check_text(text, cap=200) == text
