"""Stripe Checkout behind the PaymentGateway port, over Stripe's REST API with the stdlib only.

No `stripe` or `requests` package: the import cost lands on every cold start, and this adapter
needs three endpoints. The HTTP transport is injectable so unit tests never open a socket.

Errors speak domain: a network failure, a timeout, 401/403 (our key refused: fixed by the shop,
then a retry works), 409 (a concurrent request holds the idempotency key), 424, 429 and 5xx
raise `ServiceUnavailableError`; any other refusal raises `PaymentProviderRefusedError`
(`PAYMENT_PROVIDER_REFUSED`), whose details carry Stripe's error type and code but never its
message, which may quote the key (masked) or customer data. An idempotency key reused with other
parameters (a cancellation retried with another refund amount) raises
`PaymentRequestChangedError` (`PAYMENT_REQUEST_CHANGED`): nothing was refunded by that request, and
the caller must not treat it as a refusal of the refund.
"""

from __future__ import annotations

import hashlib
import json
import math
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.client import HTTPException
from typing import Any
from urllib.parse import quote, urlencode

from atelier.clock import SystemClock
from atelier.domain.errors import (
    ConflictError,
    DomainError,
    PaymentProviderRefusedError,
    ServiceUnavailableError,
)
from atelier.domain.order import Checkout
from atelier.observability import logger
from atelier.ports import Clock, SessionState, SessionStatus, payment_request_changed

STRIPE_API_BASE = "https://api.stripe.com"
STRIPE_API_VERSION = "2025-07-30.basil"
DEFAULT_TIMEOUT_SECONDS = 10.0

# Stripe accepts a session `expires_at` "from 30 minutes to 24 hours after Checkout Session
# creation", measured on its clock when it handles the request (create-session API reference).
STRIPE_MIN_SESSION_LIFETIME = timedelta(minutes=30)
STRIPE_MAX_SESSION_LIFETIME = timedelta(hours=24)
# Every session closes this much before the deadline asked for. Our deadline is exactly 24 h
# after the order, and Stripe refuses an `expires_at` that is not "less than 24 hours from
# Checkout Session creation" on its clock, in whole seconds: sending the deadline itself would
# fail at random (and on any clock skew). A fixed margin, rather than "now + 24 h - margin",
# keeps the request body a function of the order alone, so a retry gets the idempotent result.
EXPIRY_MARGIN = timedelta(seconds=60)

METADATA_VALUE_LIMIT = 500
IDEMPOTENCY_KEY_LIMIT = 255
_TRANSIENT_STATUSES = frozenset({409, 424, 429})
# Our key refused (revoked, rotated, restricted): nothing about the request is wrong, and a
# retry succeeds once the key is fixed; never a refusal of the refund or the payment itself.
_CREDENTIAL_STATUSES = frozenset({401, 403})


@dataclass(frozen=True)
class HttpCall:
    method: str
    url: str
    headers: Mapping[str, str] = field(repr=False)  # carries the secret key
    body: bytes | None = None


@dataclass(frozen=True)
class HttpReply:
    status: int
    body: Mapping[str, Any]  # the decoded JSON object; empty when the body was not one


Transport = Callable[[HttpCall], HttpReply]


class UrllibTransport:
    """HTTPS with urllib. Any HTTP status comes back as a reply; a network failure or timeout
    raises OSError (or http.client.HTTPException for a broken response)."""

    def __init__(self, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        self.timeout = timeout

    def request_for(self, call: HttpCall) -> urllib.request.Request:
        if not call.url.startswith("https://"):
            raise ValueError("the Stripe transport only speaks https")
        return urllib.request.Request(  # noqa: S310 - the scheme is checked above
            call.url, data=call.body, headers=dict(call.headers), method=call.method
        )

    def __call__(self, call: HttpCall) -> HttpReply:
        request = self.request_for(call)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return HttpReply(response.status, _json_object(response.read()))
        except urllib.error.HTTPError as error:
            try:
                return HttpReply(error.code, _json_object(error.read()))
            finally:
                error.close()


class StripeGateway:
    """Stripe Checkout: hosted sessions for one line item, cards and wallets only."""

    provider = "stripe"

    def __init__(
        self,
        *,
        secret_key: str | Callable[[], str],
        success_url: str,
        cancel_url: str,
        payment_method_types: Sequence[str] = ("card",),
        transport: Transport | None = None,
        clock: Clock | None = None,
        api_base: str = STRIPE_API_BASE,
    ) -> None:
        """`success_url` and `cancel_url` may contain `{order_id}`; Stripe's own
        `{CHECKOUT_SESSION_ID}` passes through. `secret_key` may be a callable so the caller
        reads it lazily (and caches it) from SSM or Secrets Manager. `clock` must tell the real
        time: it places `expires_at` inside the window Stripe measures on its own clock."""
        if not payment_method_types:
            raise ValueError("payment_method_types needs at least one type")
        self._secret_key = secret_key
        self._success_url = success_url
        self._cancel_url = cancel_url
        self._payment_method_types = tuple(payment_method_types)
        self.transport: Transport = transport or UrllibTransport()
        self._clock: Clock = clock or SystemClock()
        self._api_base = api_base.rstrip("/")

    # ------------------------------------------------------------------ the port

    def create_checkout(
        self,
        *,
        order_id: str,
        amount_cents: int,
        currency: str,
        expires_at: datetime,
        description: str,
        attempt: str = "",
    ) -> Checkout:
        session_expires = self._session_expiry(expires_at)
        form = [
            ("mode", "payment"),
            ("client_reference_id", order_id),
            ("metadata[order_id]", order_id),
            ("payment_intent_data[metadata][order_id]", order_id),
            ("line_items[0][price_data][currency]", currency.lower()),
            ("line_items[0][price_data][unit_amount]", str(amount_cents)),
            ("line_items[0][price_data][product_data][name]", description),
            ("line_items[0][quantity]", "1"),
            *(
                (f"payment_method_types[{i}]", kind)
                for i, kind in enumerate(self._payment_method_types)
            ),
            ("expires_at", str(session_expires)),
            ("success_url", _for_order(self._success_url, order_id)),
            ("cancel_url", _for_order(self._cancel_url, order_id)),
        ]
        body = urlencode(form).encode()
        # Derived from everything sent (order id, amount, currency, expiry, ...) and the caller's
        # attempt: a retry of the same request returns the same session, a renewal (new attempt)
        # a new one, and Stripe never sees one key with two bodies.
        key = "checkout-" + hashlib.sha256(body + attempt.encode()).hexdigest()
        session = self._ok(
            self._send("POST", "/v1/checkout/sessions", body=body, idempotency_key=key),
            "create checkout",
        )
        expires = session.get("expires_at")
        return Checkout(
            self.provider,
            _text(session, "url", "create checkout"),
            _text(session, "id", "create checkout"),
            _instant(expires if isinstance(expires, int) else session_expires),
        )

    def expire_checkout(self, session_id: str) -> SessionStatus:
        path = f"/v1/checkout/sessions/{quote(session_id, safe='')}"
        # Expiring is idempotent by nature (a second try is refused and then read back), so each
        # attempt gets a fresh key: Stripe replays a saved 500 to the same key for 24 hours.
        reply = self._send(
            "POST", f"{path}/expire", body=b"", idempotency_key=f"expire-{uuid.uuid4().hex}"
        )
        if reply.status == 400:
            # Stripe answers 400 (invalid_request_error) when the session is not `open`: already
            # complete or expired. Which one is read back rather than parsed from the message.
            session = self._read_session(path)
        else:
            session = self._ok(reply, "expire checkout")
            if session.get("status") == SessionState.COMPLETE:
                session = self._read_session(path)
        return _session_status(session_id, session)

    def refund(
        self, *, payment_intent: str, amount_cents: int, idempotency_key: str, reason: str
    ) -> str:
        form = [
            ("payment_intent", payment_intent),
            ("amount", str(amount_cents)),
            # Stripe's reason is one of duplicate / fraudulent / requested_by_customer; ours is
            # free text, so it travels as metadata.
            ("reason", "requested_by_customer"),
        ]
        if reason:
            form.append(("metadata[reason]", reason[:METADATA_VALUE_LIMIT]))
        key = idempotency_key
        if len(key) > IDEMPOTENCY_KEY_LIMIT:
            key = "refund-" + hashlib.sha256(key.encode()).hexdigest()
        refund = self._ok(
            self._send("POST", "/v1/refunds", body=urlencode(form).encode(), idempotency_key=key),
            "refund",
        )
        return _text(refund, "id", "refund")

    # ------------------------------------------------------------------ Stripe's rules

    def _session_expiry(self, deadline: datetime) -> int:
        """The session's `expires_at`: the deadline less the margin, pulled inside Stripe's
        window. Refused only when the deadline has passed. A deadline under ~32 minutes away
        (P3 allows a fresh checkout down to 30) is clamped up, so the session may outlive it by
        a couple of minutes: the order's expiry closes it at the deadline, and a payment made
        after the deadline is refunded as late. One beyond 24 h is clamped down."""
        now = self._clock.now()
        if deadline <= now:
            raise ConflictError(
                "The payment deadline has passed; no checkout can be opened for it.",
                code="PAYMENT_WINDOW_CLOSED",
            )
        margin = int(EXPIRY_MARGIN.total_seconds())
        wanted = math.floor(deadline.timestamp()) - margin
        earliest = math.ceil(now.timestamp()) + int(STRIPE_MIN_SESSION_LIFETIME.total_seconds())
        latest = math.floor(now.timestamp()) + int(STRIPE_MAX_SESSION_LIFETIME.total_seconds())
        return min(max(wanted, earliest + margin), latest - margin)

    # ------------------------------------------------------------------ HTTP

    def _read_session(self, path: str) -> Mapping[str, Any]:
        query = urlencode([("expand[]", "payment_intent.latest_charge")])
        return self._ok(self._send("GET", f"{path}?{query}"), "read checkout")

    def _send(
        self, method: str, path: str, *, body: bytes | None = None, idempotency_key: str = ""
    ) -> HttpReply:
        headers = {
            "Authorization": f"Bearer {self._secret()}",
            "Stripe-Version": STRIPE_API_VERSION,
            "Accept": "application/json",
            "User-Agent": "atelier",
        }
        if method == "POST":
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Idempotency-Key"] = idempotency_key
        call = HttpCall(method, self._api_base + path, headers, body)
        try:
            return self.transport(call)
        except (OSError, HTTPException) as exc:
            logger.warning("payment provider unreachable", error=type(exc).__name__)
            raise ServiceUnavailableError("The payment provider could not be reached.") from exc

    def _ok(self, reply: HttpReply, operation: str) -> Mapping[str, Any]:
        if 200 <= reply.status < 300:
            return reply.body
        error = reply.body.get("error")
        error = error if isinstance(error, Mapping) else {}
        details = {
            "status": reply.status,
            **{
                name: error[name]
                for name in ("type", "code", "decline_code", "param")
                if isinstance(error.get(name), str)
            },
        }
        logger.warning("payment provider request failed", operation=operation, **details)
        if reply.status in _CREDENTIAL_STATUSES:
            logger.error("payment provider refused our credentials", status=reply.status)
            raise ServiceUnavailableError(
                "The payment provider refused our credentials; the shop must fix its key.",
                details=details,
            )
        if reply.status in _TRANSIENT_STATUSES or reply.status >= 500 or reply.status < 400:
            raise ServiceUnavailableError(
                f"The payment provider could not {operation} just now (HTTP {reply.status}).",
                details=details,
            )
        if details.get("type") == "idempotency_error":
            raise payment_request_changed(operation)
        raise PaymentProviderRefusedError(
            f"The payment provider refused to {operation} (HTTP {reply.status}).",
            details=details,
        )

    def _secret(self) -> str:
        if isinstance(self._secret_key, str):
            return self._secret_key
        try:
            return self._secret_key()
        except DomainError:
            raise
        except Exception as exc:
            raise ServiceUnavailableError(
                "The payment provider's credentials could not be read."
            ) from exc


def _session_status(session_id: str, session: Mapping[str, Any]) -> SessionStatus:
    status = session.get("status")
    if status == SessionState.OPEN:
        return SessionStatus(session_id, SessionState.OPEN)
    if status == SessionState.EXPIRED:
        return SessionStatus(session_id, SessionState.EXPIRED)
    if status != SessionState.COMPLETE:
        raise _malformed("read checkout")
    if session.get("payment_status") != "paid":
        # Only delayed payment methods complete unpaid, and we never offer them.
        raise PaymentProviderRefusedError(
            "The checkout is complete but its payment has not settled.",
            details={"payment_status": session.get("payment_status")},
        )
    intent = session.get("payment_intent")
    amount = session.get("amount_total")
    currency = session.get("currency")
    if not isinstance(intent, Mapping) or not isinstance(amount, int):
        raise _malformed("read checkout")
    if not isinstance(currency, str):
        raise _malformed("read checkout")
    # When the money moved: the charge's creation, else the intent's (Checkout creates the
    # intent when the customer confirms). Never the session's `created`: that is when the order
    # was placed, and P3 compares this time with the deadline.
    charge = intent.get("latest_charge")
    created = charge.get("created") if isinstance(charge, Mapping) else None
    if not isinstance(created, int):
        created = intent.get("created")
    if not isinstance(created, int):
        raise _malformed("read checkout")
    return SessionStatus(
        session_id,
        SessionState.COMPLETE,
        payment_intent=_text(intent, "id", "read checkout"),
        amount_cents=amount,
        currency=currency.upper(),
        paid_at=_instant(created),
    )


def _for_order(template: str, order_id: str) -> str:
    # Not str.format: Stripe's `{CHECKOUT_SESSION_ID}` placeholder must pass through untouched.
    return template.replace("{order_id}", quote(order_id, safe=""))


def _text(body: Mapping[str, Any], name: str, operation: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise _malformed(operation)
    return value


def _instant(unix_seconds: int) -> datetime:
    return datetime.fromtimestamp(unix_seconds, UTC)


def _malformed(operation: str) -> ServiceUnavailableError:
    return ServiceUnavailableError(
        f"The payment provider gave an unexpected answer to {operation}."
    )


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        decoded = json.loads(raw)
    except ValueError:
        return {}
    return decoded if isinstance(decoded, dict) else {}
