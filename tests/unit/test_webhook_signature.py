"""P3: payment events are trusted only when signed (Stripe-Signature, DESIGN section 6)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable

import pytest
import stripe
from hypothesis import given
from hypothesis import strategies as st

from atelier.adapters.stripe_signature import SignatureError, sign_payload, verify_signature

pytestmark = pytest.mark.unit

NEW_SECRET = "whsec_new_0123456789abcdef"
OLD_SECRET = "whsec_old_fedcba9876543210"
NOW = 1_780_000_000
BODY = (
    b'{\n  "id": "evt_1",\n  "type": "checkout.session.completed",\n'
    b'  "data": {"object": {"client_reference_id": "ord_1", "amount_total": 5000}}\n}'
)


def v1(secret: str, timestamp: int, body: bytes = BODY) -> str:
    """Stripe's scheme, written out independently of the module under test."""
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def flip_one_byte(body: bytes) -> bytes:
    return body[:10] + bytes([body[10] ^ 0x01]) + body[11:]


Case = Callable[[], tuple[bytes, str | None, list[str]]]

ACCEPTED: dict[str, tuple[Case, int]] = {
    "valid": (lambda: (BODY, f"t={NOW},v1={v1(NEW_SECRET, NOW)}", [NEW_SECRET]), NOW),
    "exactly 300 s old": (
        lambda: (BODY, f"t={NOW - 300},v1={v1(NEW_SECRET, NOW - 300)}", [NEW_SECRET]),
        NOW - 300,
    ),
    "exactly 300 s ahead": (
        lambda: (BODY, f"t={NOW + 300},v1={v1(NEW_SECRET, NOW + 300)}", [NEW_SECRET]),
        NOW + 300,
    ),
    "v0 and unknown elements are ignored": (
        lambda: (
            BODY,
            f"t={NOW},v1={v1(NEW_SECRET, NOW)},v0={v1(OLD_SECRET, NOW)},x=1",
            [NEW_SECRET],
        ),
        NOW,
    ),
    "two v1 during rotation, verified with the new secret": (
        lambda: (
            BODY,
            f"t={NOW},v1={v1(OLD_SECRET, NOW)},v1={v1(NEW_SECRET, NOW)}",
            [NEW_SECRET],
        ),
        NOW,
    ),
    "two v1 during rotation, verified with the old secret": (
        lambda: (
            BODY,
            f"t={NOW},v1={v1(OLD_SECRET, NOW)},v1={v1(NEW_SECRET, NOW)}",
            [OLD_SECRET],
        ),
        NOW,
    ),
    "rotation where only the second configured secret matches": (
        lambda: (BODY, f"t={NOW},v1={v1(NEW_SECRET, NOW)}", [OLD_SECRET, NEW_SECRET]),
        NOW,
    ),
    "spaces after commas are tolerated": (
        lambda: (BODY, f"t={NOW}, v1={v1(NEW_SECRET, NOW)}", [NEW_SECRET]),
        NOW,
    ),
}

REJECTED: dict[str, tuple[Case, str]] = {
    "one body byte flipped": (
        lambda: (flip_one_byte(BODY), f"t={NOW},v1={v1(NEW_SECRET, NOW)}", [NEW_SECRET]),
        "no_matching_signature",
    ),
    "body re-serialised from parsed JSON": (
        lambda: (
            json.dumps(json.loads(BODY)).encode(),
            f"t={NOW},v1={v1(NEW_SECRET, NOW)}",
            [NEW_SECRET],
        ),
        "no_matching_signature",
    ),
    "signed with another secret": (
        lambda: (BODY, f"t={NOW},v1={v1(OLD_SECRET, NOW)}", [NEW_SECRET]),
        "no_matching_signature",
    ),
    "t changed after signing": (
        lambda: (BODY, f"t={NOW},v1={v1(NEW_SECRET, NOW - 1)}", [NEW_SECRET]),
        "no_matching_signature",
    ),
    "secret without its whsec_ prefix used as key": (
        lambda: (
            BODY,
            f"t={NOW},v1={v1(NEW_SECRET.removeprefix('whsec_'), NOW)}",
            [NEW_SECRET],
        ),
        "no_matching_signature",
    ),
    "non-ASCII v1": (
        lambda: (BODY, f"t={NOW},v1=é{v1(NEW_SECRET, NOW)[1:]}", [NEW_SECRET]),
        "no_matching_signature",
    ),
    "t 301 s old": (
        lambda: (BODY, f"t={NOW - 301},v1={v1(NEW_SECRET, NOW - 301)}", [NEW_SECRET]),
        "timestamp_out_of_tolerance",
    ),
    "t 301 s ahead": (
        lambda: (BODY, f"t={NOW + 301},v1={v1(NEW_SECRET, NOW + 301)}", [NEW_SECRET]),
        "timestamp_out_of_tolerance",
    ),
    "stale and forged reports the forgery": (
        lambda: (BODY, f"t={NOW - 301},v1={v1(OLD_SECRET, NOW - 301)}", [NEW_SECRET]),
        "no_matching_signature",
    ),
    "only v0": (
        lambda: (BODY, f"t={NOW},v0={v1(NEW_SECRET, NOW)}", [NEW_SECRET]),
        "no_v1_signature",
    ),
    "missing header": (lambda: (BODY, None, [NEW_SECRET]), "missing_header"),
    "empty header": (lambda: (BODY, "", [NEW_SECRET]), "missing_header"),
    "garbage": (lambda: (BODY, "garbage", [NEW_SECRET]), "malformed_header"),
    "no t": (lambda: (BODY, f"v1={v1(NEW_SECRET, NOW)}", [NEW_SECRET]), "malformed_header"),
    "non-numeric t": (
        lambda: (BODY, f"t=yesterday,v1={v1(NEW_SECRET, NOW)}", [NEW_SECRET]),
        "malformed_header",
    ),
    "negative t": (
        lambda: (BODY, f"t=-{NOW},v1={v1(NEW_SECRET, NOW)}", [NEW_SECRET]),
        "malformed_header",
    ),
    "non-ASCII digits in t": (
        lambda: (BODY, f"t=\uff11\uff12,v1={v1(NEW_SECRET, NOW)}", [NEW_SECRET]),
        "malformed_header",
    ),
    "two t": (
        lambda: (BODY, f"t={NOW},t={NOW},v1={v1(NEW_SECRET, NOW)}", [NEW_SECRET]),
        "malformed_header",
    ),
    "element without =": (
        lambda: (BODY, f"t={NOW},v1={v1(NEW_SECRET, NOW)},oops", [NEW_SECRET]),
        "malformed_header",
    ),
}


@pytest.mark.parametrize(("case", "timestamp"), ACCEPTED.values(), ids=ACCEPTED.keys())
def test_P3_signed_webhook_is_accepted(case: Case, timestamp: int) -> None:
    payload, header, secrets = case()

    assert verify_signature(payload, header, secrets, now=NOW) == timestamp


@pytest.mark.parametrize(("case", "reason"), REJECTED.values(), ids=REJECTED.keys())
def test_P3_unsigned_or_tampered_webhook_is_rejected(case: Case, reason: str) -> None:
    payload, header, secrets = case()

    with pytest.raises(SignatureError) as raised:
        verify_signature(payload, header, secrets, now=NOW)

    assert raised.value.reason == reason


def test_P3_rejection_names_neither_header_nor_secret() -> None:
    header = f"t={NOW},v1={v1(OLD_SECRET, NOW)}"

    with pytest.raises(SignatureError) as raised:
        verify_signature(BODY, header, [NEW_SECRET], now=NOW)

    text = str(raised.value) + repr(raised.value)
    assert isinstance(raised.value, ValueError)
    for secret_or_header in (NEW_SECRET, OLD_SECRET, header, v1(OLD_SECRET, NOW)):
        assert secret_or_header not in text


def test_P3_tolerance_is_configurable() -> None:
    header = f"t={NOW - 60},v1={v1(NEW_SECRET, NOW - 60)}"

    assert verify_signature(BODY, header, [NEW_SECRET], now=NOW, tolerance=60) == NOW - 60
    with pytest.raises(SignatureError, match="timestamp_out_of_tolerance"):
        verify_signature(BODY, header, [NEW_SECRET], now=NOW, tolerance=59)


@pytest.mark.parametrize(
    ("secrets", "error"),
    [([], ValueError), ([""], ValueError), (NEW_SECRET, TypeError)],
    ids=["no secret", "empty secret", "one string instead of a list"],
)
def test_P3_missing_secret_is_a_configuration_error_not_a_rejection(
    secrets: list[str], error: type[Exception]
) -> None:
    header = f"t={NOW},v1={v1(NEW_SECRET, NOW)}"

    with pytest.raises(error) as raised:
        verify_signature(BODY, header, secrets, now=NOW)

    assert not isinstance(raised.value, SignatureError)


def test_P3_sign_payload_writes_stripes_header() -> None:
    header = sign_payload(BODY, NEW_SECRET, NOW)

    assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", header)
    assert header == f"t={NOW},v1={v1(NEW_SECRET, NOW)}"


@given(
    payload=st.binary(min_size=1, max_size=512),
    secret=st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=40),
    age=st.integers(min_value=-300, max_value=300),
    position=st.integers(min_value=0),
)
def test_P3_sign_then_verify_round_trips_and_any_flipped_byte_fails(
    payload: bytes, secret: str, age: int, position: int
) -> None:
    timestamp = NOW - age
    header = sign_payload(payload, secret, timestamp)

    assert verify_signature(payload, header, [secret], now=NOW) == timestamp

    index = position % len(payload)
    tampered = payload[:index] + bytes([payload[index] ^ 0xFF]) + payload[index + 1 :]
    with pytest.raises(SignatureError, match="no_matching_signature"):
        verify_signature(tampered, header, [secret], now=NOW)


def test_P3_an_absurdly_long_timestamp_is_a_malformed_header_not_a_crash() -> None:
    header = "t=" + "1" * 5000 + ",v1=" + "0" * 64
    with pytest.raises(SignatureError) as caught:
        verify_signature(b"{}", header, ["whsec_x"], now=1_700_000_000)
    assert caught.value.reason == "malformed_header"


def test_P3_a_header_signed_by_stripes_own_sdk_is_accepted_and_ours_passes_stripes_check() -> None:
    """Both directions against stripe-python, the library Stripe's own integrations use."""
    payload = BODY.decode()
    theirs = stripe.WebhookSignature.generate_signature_header(payload, NEW_SECRET, NOW)
    assert verify_signature(BODY, theirs, [OLD_SECRET, NEW_SECRET], now=NOW) == NOW

    ours = sign_payload(BODY, NEW_SECRET, NOW)
    assert stripe.WebhookSignature.verify_header(payload, ours, NEW_SECRET, tolerance=None)
    event = stripe.Webhook.construct_event(payload, ours, NEW_SECRET, tolerance=None)
    assert (event.id, event.type) == ("evt_1", "checkout.session.completed")

    with pytest.raises(stripe.SignatureVerificationError):
        stripe.WebhookSignature.verify_header(payload, ours, OLD_SECRET, tolerance=None)
    with pytest.raises(SignatureError, match="no_matching_signature"):
        verify_signature(flip_one_byte(BODY), theirs, [NEW_SECRET], now=NOW)
