"""Identifiers: time-ordered, URL-safe, hard to guess (ULID layout, Crockford base32)."""

from __future__ import annotations

import hashlib
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
