"""The sandbox payment gateway's pay page (local stack only): what Stripe Checkout is in AWS.

`GET /_local/pay/<session>` shows the order's amount and deadline with two buttons, or that
the order is already paid (no button, as Checkout shows a completed session), or that nothing
is left to pay. `POST` (form field or JSON `action`: `pay` or `pay_wrong_amount`) sends a
correctly signed Stripe-format `checkout.session.completed` to the local API's
`POST /webhooks/payments`, exactly as Stripe would, with the local clock's time as the payment
time, and answers a page saying what the shop did with it, with links back. Paying after the
deadline is allowed, as a late payment at a real provider is: the webhook refunds it.

With `Accept: application/json` the answer is `{"webhook_status", "webhook_answer"}` and a
paid order can be paid again (tests and `make load` use that to send duplicate payments);
the HTML form of a paid order, from a stale tab, pays nothing and says it is already paid.
"""

from __future__ import annotations

import html
import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

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
        zone: Callable[[], ZoneInfo] | None = None,
        return_url: Callable[[str], str] | None = None,
    ) -> None:
        self._find_order = find_order
        self._send_webhook = send_webhook
        self._sign = sign
        self._clock = clock
        self._lock = lock
        self._zone = zone or _shop_zone
        self._return_url = return_url or _shop_return_url

    @staticmethod
    def owns(raw_path: str) -> bool:
        return raw_path.startswith(PREFIX)

    def handle(self, request: HttpRequest) -> HttpResponse:
        session_id = request.raw_path[len(PREFIX) :]
        with self._lock:
            order = self._find_order(session_id) if session_id else None
            view = None if order is None else self._view(order, session_id)
        if order is None or view is None:
            return control_error(404, "NOT_FOUND", "no sandbox checkout session by that id")
        method = request.method.upper()
        if method == "GET":
            return _html(200, _checkout_page(view))
        if method != "POST":
            return control_error(405, "METHOD_NOT_ALLOWED", "GET shows the page, POST pays")
        action = _action(request)
        if action not in ("pay", "pay_wrong_amount"):
            return control_error(400, "BAD_REQUEST", "action must be pay or pay_wrong_amount")
        wants_json = "application/json" in (request.header("accept") or "")
        if not wants_json and view.state == "paid":
            return _html(409, _checkout_page(view))
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
        if wants_json:
            return HttpResponse.json(200, result)
        from atelier.notifications.formatting import money

        return _html(200, _result_page(view, money(amount, currency), answer.status, result))

    def _view(self, order: Any, session_id: str) -> _View:
        # Imported here, not at the top: the server imports this module before any function's
        # environment is in place, and atelier.notifications brings the package's Logger and
        # Metrics, which read POWERTOOLS_* once, when first imported.
        from atelier.notifications.formatting import long_datetime, money

        zone = self._zone()
        current = order.checkout is not None and order.checkout.session_id == session_id
        due = order.amount_due()
        if not current and order.is_paid:
            state = "paid"  # this session, or the order it was for, is paid
        elif due is not None:
            state = "late" if due[1] < self._clock.now() else "due"
        else:
            state = "closed"
        cents, due_at = due if due is not None else (order.price.total_cents, None)
        return _View(
            order_id=order.order_id,
            product_name=order.product.name,
            session_path=PREFIX + session_id,
            return_url=self._return_url(order.order_id),
            state=state,
            amount=money(cents, order.price.currency),
            due_at=long_datetime(due_at, zone) if due_at is not None else None,
            paid_at=long_datetime(order.paid_at, zone) if order.paid_at else None,
            status=str(order.status),
        )


@dataclass(frozen=True)
class _View:
    """The page's facts, read under the stack's lock, dates already in words."""

    order_id: str
    product_name: str
    session_path: str
    return_url: str
    state: str  # due, late (past the deadline: payable, refunded), paid, closed
    amount: str
    due_at: str | None
    paid_at: str | None
    status: str


def _shop_zone() -> ZoneInfo:
    from atelier.bootstrap import get_container

    return ZoneInfo(get_container().settings.shop_timezone)


def _shop_return_url(order_id: str) -> str:
    """Where Checkout sends the customer after paying: CHECKOUT_SUCCESS_URL."""
    from atelier.bootstrap import get_container

    return get_container().settings.checkout_success_url.replace("{order_id}", order_id)


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


# ---------------------------------------------------------------------------- the pages

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 34em; margin: 3em auto; padding: 0 1em;
       color: #1d1d1f; line-height: 1.5 }
.card { border: 1px solid #d2d2d7; border-radius: 12px; padding: 1.5em 2em; }
.amount { font-size: 2em; font-weight: 600; margin: .2em 0 }
.note { color: #6e6e73; font-size: .9em }
.ok { color: #1a7f37 } .warn { color: #9a6700 } .bad { color: #cf222e }
button { font-size: 1em; padding: .6em 1.4em; border-radius: 8px; border: 0; cursor: pointer }
button.primary { background: #0a66c2; color: white; width: 100%; margin-bottom: .6em }
button.secondary { background: #eeeef0; color: #1d1d1f; width: 100% }
nav a { margin-right: 1.2em }
pre { background: #f6f8fa; padding: 1em; overflow-x: auto; font-size: .85em }
"""


def _html(status: int, body: str) -> HttpResponse:
    return HttpResponse(status, [("content-type", "text/html; charset=utf-8")], body.encode())


def _document(title: str, content: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title><style>{_STYLE}</style></head>
<body><main class="card">
{content}
</main>
<p class="note">Sandbox checkout: local stack only. Paying sends a signed Stripe-format
webhook to <code>POST /webhooks/payments</code>; no money moves.</p>
</body></html>"""


def _order_line(view: _View) -> str:
    return (
        f"<p>{html.escape(view.product_name)} (customized)<br>"
        f'<span class="note">Order {html.escape(view.order_id)}</span></p>'
    )


def _links(view: _View, *, back: bool) -> str:
    links = []
    if back:
        links.append(f'<a href="{html.escape(view.session_path)}">Back to the checkout</a>')
    links.append(f'<a href="{html.escape(view.return_url)}">Return to the shop</a>')
    return "<nav>" + "".join(links) + "</nav>"


def _checkout_page(view: _View) -> str:
    e = html.escape
    if view.state == "paid":
        when = f" on {e(view.paid_at)}" if view.paid_at else ""
        content = f"""<h1 class="ok">This order is already paid</h1>
{_order_line(view)}
<p>The payment was received{when}. There is nothing more to pay here.</p>
{_links(view, back=False)}"""
        return _document("Already paid", content)
    if view.state == "closed":
        content = f"""<h1>Nothing to pay</h1>
{_order_line(view)}
<p>This checkout is closed: the order is {e(view.status.lower().replace("_", " "))} and
nothing is due on it.</p>
{_links(view, back=False)}"""
        return _document("Nothing to pay", content)
    action = e(view.session_path)
    deadline = f"Pay by {e(view.due_at)}." if view.due_at else ""
    late = ""
    if view.state == "late":
        deadline = f"The deadline was {e(view.due_at or '')}."
        late = (
            '<p class="warn">The payment window has closed. Paying now is a late payment: '
            "it is refunded in full (P3).</p>"
        )
    content = f"""<h1>Checkout</h1>
{_order_line(view)}
<p class="amount">{e(view.amount)}</p>
<p>{deadline}</p>
{late}
<form method="post" action="{action}"><input type="hidden" name="action" value="pay">
  <button class="primary" type="submit">Pay {e(view.amount)}</button></form>
<form method="post" action="{action}"><input type="hidden" name="action"
  value="pay_wrong_amount"><button class="secondary" type="submit">Pay the wrong amount
  (${WRONG_AMOUNT_DELTA_CENTS // 100:.2f} less)</button></form>
<p class="note">{_links(view, back=False)}</p>"""
    return _document("Checkout", content)


# What the shop did with the payment, by the webhook's `outcome`.
_OUTCOMES = {
    "confirmed": ("ok", "Payment accepted", "The order is paid."),
    "refunded": (
        "warn",
        "Payment refunded",
        "The shop received the payment but it did not pay the order (too late, the wrong "
        "amount, or nothing was due), so it was refunded in full.",
    ),
    "refund_failed": (
        "bad",
        "Payment not applied",
        "The payment did not pay the order and its refund failed; staff have been alerted.",
    ),
    "duplicate": ("ok", "Already recorded", "The shop had already recorded this payment."),
}


def _result_page(view: _View, sent: str, status: int, result: dict[str, Any]) -> str:
    e = html.escape
    answer = result["webhook_answer"]
    if status == 200 and isinstance(answer, dict):
        outcome = str(answer.get("outcome", ""))
        tone, title, text = _OUTCOMES.get(
            outcome, ("ok", "Payment sent", f"The shop answered: {outcome or 'received'}.")
        )
    else:
        error = answer.get("error") if isinstance(answer, dict) else None
        message = error.get("message") if isinstance(error, dict) else None
        tone, title = "bad", "The shop did not take the payment"
        text = f"The payment webhook answered {status}" + (f": {message}" if message else ".")
    content = f"""<h1 class="{tone}">{e(title)}</h1>
{_order_line(view)}
<p>Sent: <strong>{e(sent)}</strong>.</p>
<p>{e(text)}</p>
{_links(view, back=True)}
<details><summary class="note">The webhook's answer (for developers)</summary>
<pre>{e(json.dumps(result, indent=2))}</pre></details>"""
    return _document(title, content)
