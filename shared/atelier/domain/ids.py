"""Identifiers: time-ordered, URL-safe, hard to guess (ULID layout, Crockford base32)."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _base32(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, index = divmod(value, 32)
        chars.append(_ALPHABET[index])
    return "".join(reversed(chars))


def new_ulid(at: datetime) -> str:
    """48 bits of milliseconds then 80 random bits: sorts by creation, unguessable."""
    millis = int(at.timestamp() * 1000)
    return _base32(millis, 10) + _base32(secrets.randbits(80), 16)


def new_order_id(at: datetime) -> str:
    return "ord_" + new_ulid(at)


def new_event_id(at: datetime) -> str:
    return "evt_" + new_ulid(at)


def keyed_order_id(customer_id: str, idempotency_key: str) -> str:
    """The same id for the same customer and Idempotency-Key, and only for them."""
    digest = int.from_bytes(hashlib.sha256(f"{customer_id}\n{idempotency_key}".encode()).digest())
    return "ord_" + _base32(digest >> (256 - 130), 26)


_CLAIM_ID = re.compile(r"^clm_(?P<order>[0-9A-Za-z_]+)_(?P<number>[1-9][0-9]*)$")


def new_claim_id(order_id: str, number: int) -> str:
    """The order's `number`th claim (1, 2, …): `clm_<order ulid>_<number>`. The order is in
    the id, so a claim id alone finds its order with one read (docs/decisions.md)."""
    if not order_id.startswith("ord_") or number < 1:
        raise ValueError(f"no claim id for order {order_id!r}, number {number}")
    return f"clm_{order_id.removeprefix('ord_')}_{number}"


def order_id_of_claim(claim_id: str) -> str | None:
    """The order a claim id names; None for a string no claim id looks like."""
    found = _CLAIM_ID.fullmatch(claim_id)
    return "ord_" + found["order"] if found else None
