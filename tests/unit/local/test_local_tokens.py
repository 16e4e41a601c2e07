"""The emulated JWT authorizer: HS256 tokens on the local clock, claims rendered as API Gateway
renders them."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from atelier.clock import FixedClock
from infra.local.tokens import (
    InvalidTokenError,
    bearer_token,
    issue_token,
    render_claims,
    sign,
    verify_token,
)

pytestmark = pytest.mark.unit

SECRET = "unit-secret"
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def token(groups: tuple[str, ...] = ("staff",)) -> str:
    return issue_token(SECRET, sub="cust-a", email="a@example.com", groups=groups, now=NOW)


def test_a_token_issued_now_verifies_with_its_claims() -> None:
    claims = verify_token(token(), SECRET, NOW)

    assert claims["sub"] == "cust-a"
    assert claims["email"] == "a@example.com"
    assert claims["cognito:groups"] == ["staff"]
    assert claims["iss"] == "atelier-local"
    assert claims["token_use"] == "id"
    assert claims["exp"] - claims["iat"] == 30 * 24 * 3600


def test_a_token_signed_with_another_secret_is_refused() -> None:
    forged = issue_token("not-the-secret", sub="cust-a", email=None, groups=(), now=NOW)

    with pytest.raises(InvalidTokenError, match="signature"):
        verify_token(forged, SECRET, NOW)


def test_a_token_whose_payload_was_edited_is_refused() -> None:
    header, _payload, signature = token(groups=()).split(".")
    edited = base64.urlsafe_b64encode(
        json.dumps({"sub": "someone-else", "exp": 9999999999}).encode()
    ).rstrip(b"=")

    with pytest.raises(InvalidTokenError):
        verify_token(f"{header}.{edited.decode()}.{signature}", SECRET, NOW)


def test_a_token_expires_30_days_later_on_the_local_clock() -> None:
    clock = FixedClock(NOW)
    issued = token()
    clock.advance(days=30, seconds=-1)
    verify_token(issued, SECRET, clock.now())

    clock.advance(seconds=1)
    with pytest.raises(InvalidTokenError, match="expired"):
        verify_token(issued, SECRET, clock.now())


@pytest.mark.parametrize(
    "malformed",
    [
        "",
        "not-a-jwt",
        "a.b",
        "a.b.c.d",
        "!!!.???.***",
        "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln",
    ],
)
def test_malformed_tokens_are_refused(malformed: str) -> None:
    with pytest.raises(InvalidTokenError):
        verify_token(malformed, SECRET, NOW)


def test_an_unsigned_alg_none_token_is_refused() -> None:
    def segment(value: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    unsigned = f"{segment({'alg': 'none'})}.{segment({'sub': 'x', 'exp': 9999999999})}."

    with pytest.raises(InvalidTokenError):
        verify_token(unsigned, SECRET, NOW)


def test_a_token_without_exp_is_refused() -> None:
    with pytest.raises(InvalidTokenError, match="exp"):
        verify_token(sign({"sub": "x"}, SECRET), SECRET, NOW)


def test_claims_reach_the_function_as_api_gateway_writes_them() -> None:
    rendered = render_claims(
        {
            "sub": "cust-a",
            "cognito:groups": ["staff"],
            "iat": 1764151200,
            "email_verified": True,
        }
    )

    assert rendered == {
        "sub": "cust-a",
        "cognito:groups": "[staff]",
        "iat": "1764151200",
        "email_verified": "true",
    }
    assert render_claims({"cognito:groups": ["staff", "admin"]}) == {
        "cognito:groups": "[staff admin]"
    }


def test_a_user_in_no_group_has_no_groups_claim() -> None:
    assert "cognito:groups" not in verify_token(token(groups=()), SECRET, NOW)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Bearer abc.def.ghi", "abc.def.ghi"),
        ("bearer   abc.def.ghi ", "abc.def.ghi"),
        ("abc.def.ghi", "abc.def.ghi"),
        ("Bearer ", None),
        (None, None),
    ],
)
def test_the_token_is_read_with_or_without_the_bearer_prefix(
    header: str | None, expected: str | None
) -> None:
    assert bearer_token(header) == expected


def test_issued_tokens_use_the_clock_they_are_given() -> None:
    later = NOW + timedelta(days=10)
    claims = verify_token(
        issue_token(SECRET, sub="s", email=None, groups=(), now=later), SECRET, later
    )

    assert claims["iat"] == int(later.timestamp())
