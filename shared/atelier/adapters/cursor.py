"""Opaque pagination cursors: base64url JSON of the position, checked on the way back in."""

from __future__ import annotations

import base64
import binascii
import json
import re

from atelier.domain.errors import InvalidRequestError

_SAFE_VALUE = re.compile(r"^[A-Za-z0-9_#:.\-+]{1,200}$")


def encode_cursor(position: dict[str, str]) -> str:
    raw = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, fields: tuple[str, ...]) -> dict[str, str]:
    """The position a cursor stands for; a cursor not made by `encode_cursor` with these fields
    is a 422, never a crash or a look at someone else's data."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        position = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error) as exc:
        raise _invalid() from exc
    if (
        not isinstance(position, dict)
        or set(position) != set(fields)
        or not all(isinstance(v, str) and _SAFE_VALUE.match(v) for v in position.values())
    ):
        raise _invalid()
    return position


def _invalid() -> InvalidRequestError:
    return InvalidRequestError(
        "The cursor is not one this API handed out; start again without it.",
        code="INVALID_CURSOR",
    )
