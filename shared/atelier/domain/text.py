"""Hard rules for free text a person sends: caps and forbidden characters (422 when broken)."""

from __future__ import annotations

import unicodedata

# Unicode categories never accepted: controls, format characters (zero-width, bidi overrides)
# and lone surrogates, which cannot even be stored as UTF-8.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})
# Multi-line fields (remarks, messages, descriptions) may keep line breaks and tabs.
_MULTILINE_ALLOWED = frozenset("\n\r\t")

EXPRESSION_CAP = 200
REMARKS_CAP = 2000
OPTION_CAP = 100


def forbidden_character(text: str, *, multiline: bool = False) -> str | None:
    """The first character the rules refuse, as `U+XXXX`, or None when the text is clean."""
    for char in text:
        if multiline and char in _MULTILINE_ALLOWED:
            continue
        if unicodedata.category(char) in _FORBIDDEN_CATEGORIES:
            return f"U+{ord(char):04X}"
    return None


def check_text(text: str, *, cap: int, multiline: bool = False) -> str:
    """Return the text stripped of outer white space, or raise ValueError saying what is wrong."""
    if len(text) > cap:
        raise ValueError(f"must be at most {cap} characters (got {len(text)})")
    bad = forbidden_character(text, multiline=multiline)
    if bad is not None:
        raise ValueError(f"must not contain control or format characters (found {bad})")
    return text.strip()
