"""Payment gateways. The sandbox one is the local stack's stand-in for Stripe Checkout."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from atelier.domain.order import Checkout
from atelier.ports import SessionState, SessionStatus


class SandboxGateway:
    """Checkout sessions whose pay page the local stack serves at `<pay_url>/<session_id>`."""

    provider = "sandbox"

    def __init__(self, pay_url: str) -> None:
        self._pay_url = pay_url.rstrip("/")

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
        session_id = "cs_sandbox_" + secrets.token_urlsafe(18)
        return Checkout(self.provider, f"{self._pay_url}/{session_id}", session_id, expires_at)

    def expire_checkout(self, session_id: str) -> SessionStatus:
        # The sandbox keeps no sessions: its pay page confirms through the webhook at once,
        # so a session still open at the deadline was never paid.
        return SessionStatus(session_id, SessionState.EXPIRED)

    def refund(
        self, *, payment_intent: str, amount_cents: int, idempotency_key: str, reason: str
    ) -> str:
        digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]
        return f"re_sandbox_{digest}"
