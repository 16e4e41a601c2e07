"""Payment gateways. The sandbox one is the local stack's stand-in for Stripe Checkout."""

from __future__ import annotations

import secrets
from datetime import datetime

from atelier.domain.order import Checkout


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
    ) -> Checkout:
        session_id = "cs_sandbox_" + secrets.token_urlsafe(18)
        return Checkout(self.provider, f"{self._pay_url}/{session_id}", session_id, expires_at)
