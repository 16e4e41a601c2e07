"""Text fields of request bodies: hard caps, no control or format characters, outer white
space dropped (a 422 otherwise), and the strict base every request body derives from."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from atelier.domain.messages import MESSAGE_CAP
from atelier.domain.text import EXPRESSION_CAP, OPTION_CAP, REMARKS_CAP, check_text


def clean(cap: int, *, multiline: bool = False, required: bool = False) -> AfterValidator:
    """Hard cap, no control or format characters, outer white space dropped (422 otherwise)."""

    def validate(text: str) -> str:
        cleaned = check_text(text, cap=cap, multiline=multiline)
        if required and not cleaned:
            raise ValueError("must not be blank")
        return cleaned

    return AfterValidator(validate)


Option = Annotated[str, Field(max_length=OPTION_CAP), clean(OPTION_CAP)]
Expression = Annotated[str, Field(max_length=EXPRESSION_CAP), clean(EXPRESSION_CAP)]
Remarks = Annotated[str, Field(max_length=REMARKS_CAP), clean(REMARKS_CAP, multiline=True)]
Name = Annotated[str, Field(min_length=1, max_length=200), clean(200, required=True)]
Line = Annotated[str, Field(min_length=1, max_length=200), clean(200, required=True)]
OptionalLine = Annotated[str, Field(max_length=200), clean(200)]
City = Annotated[str, Field(min_length=1, max_length=100), clean(100, required=True)]
Region = Annotated[str, Field(max_length=100), clean(100)]
PostalCode = Annotated[str, Field(min_length=1, max_length=20), clean(20, required=True)]
Note = Annotated[
    str, Field(min_length=1, max_length=2000), clean(2000, multiline=True, required=True)
]
MessageText = Annotated[
    str,
    Field(min_length=1, max_length=MESSAGE_CAP),
    clean(MESSAGE_CAP, multiline=True, required=True),
]
ShortText = Annotated[str, Field(min_length=1, max_length=100), clean(100, required=True)]
Description = Annotated[
    str,
    Field(min_length=1, max_length=REMARKS_CAP),
    clean(REMARKS_CAP, multiline=True, required=True),
]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)
