"""Hard rules for free text a person sends: caps and forbidden characters (422 when broken)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

# Unicode categories never accepted: controls, format characters (zero-width, bidi overrides),
# lone surrogates (which cannot even be stored as UTF-8) and private-use characters (which
# mean nothing outside the sender's own font).
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co"})
# Line and paragraph separators (U+2028, U+2029): line breaks, so only multi-line fields.
_LINE_SEPARATORS = frozenset({"Zl", "Zp"})
# Multi-line fields (remarks, messages, descriptions) may keep line breaks and tabs.
_MULTILINE_ALLOWED = frozenset("\n\r\t")
# Real scripts stack a few marks on one character (Vietnamese two, pointed Hebrew with
# cantillation four or five); a hundred is a "zalgo" string that overflows every line it
# is shown on. docs/decisions.md says why 10.
MAX_COMBINING_MARKS = 10

EXPRESSION_CAP = 200
REMARKS_CAP = 2000
OPTION_CAP = 100


def _is_noncharacter(code_point: int) -> bool:
    """The 66 code points Unicode reserves never to be characters (U+FDD0..U+FDEF and the
    last two of every plane, e.g. U+FFFE, U+FFFF)."""
    return 0xFDD0 <= code_point <= 0xFDEF or (code_point & 0xFFFE) == 0xFFFE


def text_problem(text: str, *, multiline: bool = False) -> str | None:
    """What is wrong with the text's characters, said for a person, or None when it is clean."""
    marks = 0
    for char in text:
        if multiline and char in _MULTILINE_ALLOWED:
            marks = 0
            continue
        category = unicodedata.category(char)
        found = f"U+{ord(char):04X}"
        if category in _FORBIDDEN_CATEGORIES:
            if category == "Co":
                return f"must not contain private-use characters (found {found})"
            return f"must not contain control or format characters (found {found})"
        if _is_noncharacter(ord(char)):
            return f"must not contain noncharacters, which are never text (found {found})"
        if category in _LINE_SEPARATORS and not multiline:
            return f"must be on one line: no line or paragraph separators (found {found})"
        marks = marks + 1 if category.startswith("M") else 0
        if marks > MAX_COMBINING_MARKS:
            return (
                f"must not stack more than {MAX_COMBINING_MARKS} accents or other combining "
                "marks on one character"
            )
    return None


def forbidden_character(text: str, *, multiline: bool = False) -> str | None:
    """The first character the rules refuse, as `U+XXXX`, or None when the text is clean."""
    problem = text_problem(text, multiline=multiline)
    if problem is None:
        return None
    found = re.search(r"U\+[0-9A-F]{4,6}", problem)
    return found.group(0) if found else problem


def check_text(text: str, *, cap: int, multiline: bool = False) -> str:
    """Return the text stripped of outer white space, or raise ValueError saying what is wrong."""
    if len(text) > cap:
        raise ValueError(f"must be at most {cap} characters (got {len(text)})")
    problem = text_problem(text, multiline=multiline)
    if problem is not None:
        raise ValueError(problem)
    return text.strip()


# Every Shaped made, so a test can check that each `pattern` the API publishes is explained.
SHAPES: list[Shaped] = []


@dataclass(frozen=True)
class Shaped:
    """`Annotated[str, Shaped(pattern, meaning)]`: the text must match `pattern`, published as
    the JSON schema's `pattern`; a mismatch says `must be <meaning>`, never the regex (which a
    person cannot act on: `'^[A-Z]{2}$'` reads "a two-letter ISO country code, e.g. US")."""

    pattern: str
    meaning: str

    def __post_init__(self) -> None:
        SHAPES.append(self)

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        regex = re.compile(self.pattern)
        message = f"must be {self.meaning}"

        def check(value: Any) -> Any:
            if isinstance(value, str) and regex.search(value) is None:
                raise ValueError(message)
            return value

        return core_schema.no_info_after_validator_function(check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["pattern"] = self.pattern
        return json_schema
