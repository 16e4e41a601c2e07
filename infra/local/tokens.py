"""The local JWT authorizer: HS256 tokens signed with a shared secret, standing in for Cognito.

Claims reach the functions as API Gateway's JWT authorizer writes them: every value a string,
numbers in decimal, arrays as `"[a b]"` (so `cognito:groups` ["staff"] becomes `"[staff]"`).
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

ISSUER = "atelier-local"
TOKEN_LIFETIME = timedelta(days=30)
DEFAULT_SECRET = "local-dev-secret"  # noqa: S105 - the documented local-only default
ALGORITHM = "HS256"
# What shared/atelier/api/auth.py takes as a customer id.
_SUBJECT = re.compile(r"[\x21-\x7e]{1,128}")
# PyJWT warns on every HMAC key under 32 bytes; the local secret is a development default
# (any length the developer chooses), and the warning would fill the console.
warnings.filterwarnings("ignore", category=jwt.InsecureKeyLengthWarning)


class InvalidTokenError(Exception):
    """The token is missing, malformed, forged or expired. The reason (`malformed: …`,
    `bad signature …`, `expired …`) is for the developer's console, never for the client (which
    only sees 401 Unauthorized); it never quotes the token or a claim a person could be named by."""


def sign(claims: Mapping[str, Any], secret: str) -> str:
    """An HS256 JWT carrying `claims`."""
    return jwt.encode(dict(claims), secret, algorithm=ALGORITHM)


def issue_token(
    secret: str, *, sub: str, email: str | None, groups: Iterable[str], now: datetime
) -> str:
    """A Cognito-like ID token valid for 30 days from `now` (the local clock)."""
    issued_at = int(now.timestamp())
    claims: dict[str, Any] = {"sub": sub}
    if email is not None:
        claims["email"] = email
    group_list = list(groups)
    if group_list:  # Cognito leaves the claim out for a user in no group
        claims["cognito:groups"] = group_list
    claims.update(
        {
            "iss": ISSUER,
            "token_use": "id",
            "iat": issued_at,
            "exp": issued_at + int(TOKEN_LIFETIME.total_seconds()),
        }
    )
    return sign(claims, secret)


# PyJWT checks the signature, the algorithm and the claims' presence; the times are checked
# here against the local clock, which `POST /_local/clock` moves away from the system's.
_DECODE_OPTIONS: Any = {
    "require": ["exp"],
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
    "verify_aud": False,
    "verify_iss": False,
}


def verify_token(token: str, secret: str, now: datetime) -> dict[str, Any]:
    """The token's claims if it is a well-formed HS256 JWT signed with `secret` and not expired
    at `now`; raises InvalidTokenError otherwise."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options=_DECODE_OPTIONS
        )
    except jwt.InvalidAlgorithmError as exc:
        raise InvalidTokenError(
            "malformed: the algorithm is not HS256 (the local authorizer's)"
        ) from exc
    except jwt.InvalidSignatureError as exc:
        raise InvalidTokenError(
            "bad signature: not signed with ATELIER_LOCAL_JWT_SECRET (a token from another "
            "stack, or edited?)"
        ) from exc
    except jwt.MissingRequiredClaimError as exc:
        raise InvalidTokenError("malformed: no numeric exp (expiry) claim") from exc
    except jwt.InvalidTokenError as exc:  # PyJWT's: not three segments, not base64url or JSON
        raise InvalidTokenError(f"malformed: {exc}") from exc
    instant = now.timestamp()
    expires = claims.get("exp")
    if isinstance(expires, bool) or not isinstance(expires, int | float):
        raise InvalidTokenError("malformed: no numeric exp (expiry) claim")
    if instant >= expires:
        raise InvalidTokenError(
            f"expired at {_instant(expires)}; the local clock says {_instant(instant)} "
            "(POST /_local/token for a new one)"
        )
    not_before = claims.get("nbf")
    if isinstance(not_before, int | float) and instant < not_before:
        raise InvalidTokenError(
            f"not valid before {_instant(not_before)}; the local clock says {_instant(instant)}"
        )
    return claims


def _instant(epoch_seconds: float) -> str:
    try:
        return datetime.fromtimestamp(epoch_seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return f"{epoch_seconds:.0f} (epoch seconds, out of range)"


def usable_subject(claims: Mapping[str, Any]) -> str | None:
    """Why the functions will refuse these claims' `sub` (API Gateway's authorizer does not
    check it), or None when it is one they take. Never quotes the `sub` itself."""
    sub = claims.get("sub")
    if sub is None:
        return "no sub claim"
    if not isinstance(sub, str) or not _SUBJECT.fullmatch(sub):
        return "a sub that is not 1-128 printable ASCII characters"
    return None


def bearer_token(authorization: str | None) -> str | None:
    """The token from an Authorization header, with or without the `Bearer ` prefix."""
    if authorization is None:
        return None
    value = authorization.strip()
    scheme, _, rest = value.partition(" ")
    if scheme.lower() == "bearer":
        value = rest.strip()
    return value or None


def render_claim(value: Any) -> str:
    """One claim as API Gateway's JWT authorizer hands it to the function."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return "[" + " ".join(render_claim(item) for item in value) + "]"
    if value is None:
        return "null"
    return json.dumps(value, separators=(",", ":"))


def render_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    return {key: render_claim(value) for key, value in claims.items()}
