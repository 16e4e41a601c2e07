"""The sandbox payment gateway's pay page (local stack only): what Stripe Checkout is in AWS.

`GET /_local/pay/<session>` shows the order's amount with two buttons; `POST` (form field or
JSON `action`: `pay` or `pay_wrong_amount`) sends a correctly signed Stripe-format
`checkout.session.completed` to the local API's `POST /webhooks/payments`, exactly as Stripe
would, with the local clock's time as the payment time. Paying after the deadline is allowed,
as a late payment at a real provider is: the webhook refunds it.
"""

from __future__ import annotations

import html
import json
import secrets
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import parse_qs

from infra.local.messages import HttpRequest, HttpResponse, control_error

PREFIX = "/_local/pay/"
WRONG_AMOUNT_DELTA_CENTS = 100


class _Clock(Protocol):
    def now(self) -> datetime: ...


class SandboxPayPage:
    def __init__(
        self,
        *,
        find_order: Callable[[str], Any],
        send_webhook: Callable[[HttpRequest], HttpResponse],
        sign: Callable[[bytes, int], str],
        clock: _Clock,
        lock: threading.RLock,
    ) -> None:
        self._find_order = find_order
        self._send_webhook = send_webhook
        self._sign = sign
        self._clock = clock
        self._lock = lock

    @staticmethod
    def owns(raw_path: str) -> bool:
        return raw_path.startswith(PREFIX)

    def handle(self, request: HttpRequest) -> HttpResponse:
        session_id = request.raw_path[len(PREFIX) :]
        with self._lock:
            order = self._find_order(session_id) if session_id else None
        if order is None:
            return control_error(404, "NOT_FOUND", "no sandbox checkout session by that id")
        method = request.method.upper()
        if method == "GET":
            return _page(order, session_id)
        if method != "POST":
            return control_error(405, "METHOD_NOT_ALLOWED", "GET shows the page, POST pays")
        action = _action(request)
        if action not in ("pay", "pay_wrong_amount"):
            return control_error(400, "BAD_REQUEST", "action must be pay or pay_wrong_amount")
        due = order.amount_due()
        # Nothing due any more (paid, expired or cancelled): a real provider's session could
        # still be paid until it closes; the webhook then refunds it. Pay the order's total.
        amount = due[0] if due is not None else order.price.total_cents
        if action == "pay_wrong_amount":
            amount -= WRONG_AMOUNT_DELTA_CENTS
        now = int(self._clock.now().timestamp())
        currency = order.price.currency
        event = stripe_completed_event(order.order_id, session_id, amount, currency, now)
        raw = json.dumps(event).encode()
        answer = self._send_webhook(
            HttpRequest(
                "POST",
                "/webhooks/payments",
                (("content-type", "application/json"), ("stripe-signature", self._sign(raw, now))),
                raw,
            )
        )
        result = {"webhook_status": answer.status, "webhook_answer": _json(answer.body)}
        if "application/json" in (request.header("accept") or ""):
            return HttpResponse.json(200, result)
        outcome = html.escape(str(result["webhook_answer"]))
        body = (
            f"<!DOCTYPE html><html><body style='font-family:sans-serif'><h1>Sandbox payment "
            f"sent</h1><p>The webhook answered {answer.status}: <code>{outcome}</code></p>"
            f"<p>Order {html.escape(order.order_id)}</p></body></html>"
        )
        return HttpResponse(200, [("content-type", "text/html; charset=utf-8")], body.encode())


def stripe_completed_event(
    order_id: str, session_id: str, amount_cents: int, currency: str, created: int
) -> dict[str, Any]:
    return {
        "id": f"evt_sandbox_{secrets.token_hex(8)}",
        "object": "event",
        "type": "checkout.session.completed",
        "created": created,
        "livemode": False,
        "data": {
            "object": {
                "id": session_id,
                "object": "checkout.session",
                "client_reference_id": order_id,
                "payment_intent": f"pi_sandbox_{secrets.token_hex(8)}",
                "amount_total": amount_cents,
                "currency": currency.lower(),
                "payment_status": "paid",
                "status": "complete",
            }
        },
    }


def _action(request: HttpRequest) -> str | None:
    content_type = request.header("content-type") or ""
    try:
        if "application/json" in content_type:
            body = request.json_body()
            return body.get("action") if isinstance(body, dict) else None
        values = parse_qs(request.body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    found = values.get("action")
    return found[0] if found else None


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace")


def _page(order: Any, session_id: str) -> HttpResponse:
    due = order.amount_due()
    total, due_at = due if due is not None else (order.price.total_cents, order.payment_due_at)
    amount = f"${total // 100:,}.{total % 100:02d}"
    action = html.escape(PREFIX + session_id)
    body = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sandbox checkout</title></head>
<body style="font-family: sans-serif; max-width: 32em; margin: 3em auto">
  <h1>Sandbox checkout</h1>
  <p>Order <code>{html.escape(order.order_id)}</code>: {html.escape(order.product.name)}
     (customized)</p>
  <p>Amount due: <strong>{amount}</strong>, by {html.escape(due_at.isoformat())}</p>
  <form method="post" action="{action}"><input type="hidden" name="action" value="pay">
    <button type="submit">Pay {amount}</button></form>
  <form method="post" action="{action}"><input type="hidden" name="action"
    value="pay_wrong_amount"><button type="submit">Pay the wrong amount</button></form>
  <p><small>Local stack only. Paying sends a signed Stripe-format webhook to
     POST /webhooks/payments.</small></p>
</body></html>"""
    return HttpResponse(200, [("content-type", "text/html; charset=utf-8")], body.encode())
