"""Stripe-Signature verification (P3: payment events are trusted only when signed).

Stripe's scheme: the header reads `t=<unix seconds>,v1=<hex>[,v1=<hex>…]`; each `v1` is the
HMAC-SHA256, keyed with the endpoint secret (the whole `whsec_…` string), of `"<t>.<raw body>"`.
Other schemes (`v0`) are ignored. During secret rotation Stripe signs with each live secret, so
any `v1` matching any configured secret is enough. The body must be the exact bytes received:
parsing and re-serialising JSON changes them.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from typing import Literal

DEFAULT_TOLERANCE_SECONDS = 300
SIGNATURE_SCHEME = "v1"

SignatureFailure = Literal[
    "missing_header",
    "malformed_header",
    "no_v1_signature",
    "timestamp_out_of_tolerance",
    "no_matching_signature",
]

_DIGITS = re.compile(r"[0-9]+")


class SignatureError(ValueError):
    """A webhook whose signature cannot be trusted. The message never holds header or secret."""

    def __init__(self, reason: SignatureFailure) -> None:
        super().__init__(f"webhook signature rejected: {reason}")
        self.reason: SignatureFailure = reason


def verify_signature(
    payload: bytes,
    header: str | None,
    secrets: Sequence[str],
    now: int,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
) -> int:
    """Check a `Stripe-Signature` header against the raw body; return its timestamp.

    The timestamp must lie within `tolerance` seconds of `now`, either way (Stripe's own
    libraries only reject old ones; a timestamp from the future is no more trustworthy).
    """
    _check_secrets(secrets)
    if tolerance < 0:
        raise ValueError("tolerance cannot be negative")
    if not header:
        raise SignatureError("missing_header")

    timestamp, signatures = _parse_header(header)
    if not signatures:
        raise SignatureError("no_v1_signature")
    expected = [_signature(payload, secret, timestamp) for secret in secrets]
    # compare_digest refuses non-ASCII str; such a value could never be a hex digest anyway.
    candidates = [signature for signature in signatures if signature.isascii()]
    if not any(hmac.compare_digest(mine, theirs) for mine in expected for theirs in candidates):
        raise SignatureError("no_matching_signature")
    # Checked after the signature, as Stripe does: a stale but genuine event (a replay, or clock
    # skew) is then told apart from a forged one.
    if abs(now - timestamp) > tolerance:
        raise SignatureError("timestamp_out_of_tolerance")
    return timestamp


def sign_payload(payload: bytes, secret: str, timestamp: int) -> str:
    """The `Stripe-Signature` header value Stripe would send; for the sandbox gateway and tests."""
    _check_secrets([secret])
    if timestamp < 0:
        raise ValueError("timestamp cannot be negative")
    return f"t={timestamp},{SIGNATURE_SCHEME}={_signature(payload, secret, timestamp)}"


MAX_TIMESTAMP_DIGITS = 12


def _parse_header(header: str) -> tuple[int, list[str]]:
    timestamps: list[str] = []
    signatures: list[str] = []
    for item in header.split(","):
        key, separator, value = item.strip().partition("=")
        if not separator:
            raise SignatureError("malformed_header")
        if key == "t":
            timestamps.append(value)
        elif key == SIGNATURE_SCHEME:
            signatures.append(value)
    # int() would also take "+5", " 5" and non-ASCII digits; Stripe sends plain digits, and
    # a unix time has at most 12 of them for the next 30,000 years (longer ones make int() fail).
    if (
        len(timestamps) != 1
        or not _DIGITS.fullmatch(timestamps[0])
        or len(timestamps[0]) > MAX_TIMESTAMP_DIGITS
    ):
        raise SignatureError("malformed_header")
    return int(timestamps[0]), signatures


def _signature(payload: bytes, secret: str, timestamp: int) -> str:
    signed = f"{timestamp}.".encode() + payload
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def _check_secrets(secrets: Sequence[str]) -> None:
    # Configuration mistakes, not bad requests: they must not pass for a rejected signature.
    if isinstance(secrets, str):
        raise TypeError("secrets is a sequence of secrets, not one string")
    if not secrets:
        raise ValueError("no webhook signing secret configured")
    if not all(secrets):
        raise ValueError("a webhook signing secret is empty")
