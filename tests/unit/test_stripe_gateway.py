"""The Stripe gateway speaks Stripe's REST API exactly (DESIGN section 6), without a socket."""

from __future__ import annotations

import io
import math
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.message import Message
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import pytest_socket

from atelier.adapters.stripe import (
    STRIPE_API_VERSION,
    HttpCall,
    HttpReply,
    StripeGateway,
    UrllibTransport,
)
from atelier.clock import FixedClock
from atelier.domain.errors import (
    ConflictError,
    DomainError,
    PaymentProviderRefusedError,
    PaymentRequestChangedError,
    ServiceUnavailableError,
)
from atelier.domain.order import Checkout
from atelier.ports import SessionState

pytestmark = pytest.mark.unit

SECRET = "sk_test_51SecretKeyThatMustNeverLeak0123456789"
# An order placed a quarter second into the second; the gateway asks Stripe 7 ms later.
PLACED_AT = datetime(2026, 11, 30, 15, 0, 0, 250_000, tzinfo=UTC)
DEADLINE = PLACED_AT + timedelta(hours=24)
ASKED_AT = PLACED_AT + timedelta(milliseconds=7)
SESSION_ID = "cs_test_a1B2c3"
SESSION_URL = "https://checkout.stripe.com/c/pay/cs_test_a1B2c3"


@pytest.fixture(autouse=True)
def no_sockets() -> Iterator[None]:
    pytest_socket.disable_socket()
    yield
    pytest_socket.enable_socket()


Reply = HttpReply | BaseException


class FakeStripe:
    """A transport that records every call and answers from a script, in order."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies)
        self.calls: list[HttpCall] = []

    def __call__(self, call: HttpCall) -> HttpReply:
        self.calls.append(call)
        reply = self.replies.pop(0)
        if isinstance(reply, BaseException):
            raise reply
        return reply

    def form(self, index: int = -1) -> dict[str, str]:
        body = self.calls[index].body
        assert body is not None
        pairs = parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=bool(body))
        assert len({name for name, _ in pairs}) == len(pairs), "a field was sent twice"
        return dict(pairs)


def session(**fields: Any) -> HttpReply:
    body = {
        "id": SESSION_ID,
        "object": "checkout.session",
        "status": "open",
        "payment_status": "unpaid",
        "url": SESSION_URL,
        "amount_total": 14900,
        "currency": "usd",
        "created": 1_796_050_800,
        "expires_at": 1_796_137_140,
        "payment_intent": None,
    }
    return HttpReply(200, body | fields)


def stripe_error(status: int, **error: str) -> HttpReply:
    fields = {"type": "invalid_request_error", "message": f"Invalid API Key: {SECRET[:12]}***"}
    return HttpReply(status, {"error": fields | error})


def gateway(
    fake: FakeStripe, *, at: datetime = ASKED_AT, secret: str | Callable[[], str] = SECRET
) -> StripeGateway:
    return StripeGateway(
        secret_key=secret,
        success_url="https://shop.example/orders/{order_id}/paid?s={CHECKOUT_SESSION_ID}",
        cancel_url="https://shop.example/orders/{order_id}",
        transport=fake,
        clock=FixedClock(at),
    )


def create(gw: StripeGateway, **overrides: Any) -> Checkout:
    args: dict[str, Any] = {
        "order_id": "ord_01JABC",
        "amount_cents": 14900,
        "currency": "USD",
        "expires_at": DEADLINE,
        "description": "Signet Ring (customized)",
    } | overrides
    return gw.create_checkout(**args)


# ---------------------------------------------------------------------- create_checkout


def test_checkout_is_a_card_only_payment_session_for_the_order_exact_amount() -> None:
    fake = FakeStripe(session())

    checkout = create(gateway(fake))

    call = fake.calls[0]
    assert (call.method, call.url) == ("POST", "https://api.stripe.com/v1/checkout/sessions")
    assert fake.form() == {
        "mode": "payment",
        "client_reference_id": "ord_01JABC",
        "metadata[order_id]": "ord_01JABC",
        "payment_intent_data[metadata][order_id]": "ord_01JABC",
        "line_items[0][price_data][currency]": "usd",
        "line_items[0][price_data][unit_amount]": "14900",
        "line_items[0][price_data][product_data][name]": "Signet Ring (customized)",
        "line_items[0][quantity]": "1",
        "payment_method_types[0]": "card",
        "expires_at": str(math.floor(DEADLINE.timestamp()) - 60),
        "success_url": "https://shop.example/orders/ord_01JABC/paid?s={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://shop.example/orders/ord_01JABC",
    }
    assert checkout == Checkout(
        "stripe", SESSION_URL, SESSION_ID, datetime.fromtimestamp(1_796_137_140, UTC)
    )


def test_every_request_carries_the_key_the_pinned_version_and_posts_an_idempotency_key() -> None:
    fake = FakeStripe(session())

    create(gateway(fake))

    headers = fake.calls[0].headers
    assert headers["Authorization"] == f"Bearer {SECRET}"
    assert headers["Stripe-Version"] == STRIPE_API_VERSION
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert headers["Idempotency-Key"].startswith("checkout-")
    assert len(headers["Idempotency-Key"]) <= 255


def test_a_24_hour_deadline_is_sent_inside_stripes_window_on_stripes_clock() -> None:
    """Stripe wants `expires_at` 30 min to (strictly) under 24 h after it creates the session,
    counted in whole seconds; the deadline itself would be refused at random."""
    for fraction_ms in (0, 1, 250, 999):
        placed = PLACED_AT.replace(microsecond=fraction_ms * 1000)
        asked = placed + timedelta(milliseconds=7)
        fake = FakeStripe(session())

        create(gateway(fake, at=asked), expires_at=placed + timedelta(hours=24))

        sent = int(fake.form()["expires_at"])
        stripe_created = math.floor(asked.timestamp())  # Stripe's clock, no earlier than ours
        assert sent - stripe_created < 24 * 3600
        assert sent - stripe_created >= 30 * 60
        assert sent <= (placed + timedelta(hours=24)).timestamp()  # never outlives the deadline


def test_a_retried_create_sends_the_same_idempotency_key_and_body() -> None:
    first, retry = FakeStripe(session()), FakeStripe(session())

    create(gateway(first))
    create(gateway(retry, at=ASKED_AT + timedelta(seconds=40)))

    assert first.calls[0].headers["Idempotency-Key"] == retry.calls[0].headers["Idempotency-Key"]
    assert first.calls[0].body == retry.calls[0].body


@pytest.mark.parametrize(
    "change",
    [
        {"amount_cents": 15900},
        {"currency": "EUR"},
        {"order_id": "ord_01JXYZ"},
        {"expires_at": DEADLINE - timedelta(hours=1)},
    ],
)
def test_a_different_checkout_gets_a_different_idempotency_key(change: dict[str, Any]) -> None:
    base, changed = FakeStripe(session()), FakeStripe(session())

    create(gateway(base))
    create(gateway(changed), **change)

    assert base.calls[0].headers["Idempotency-Key"] != changed.calls[0].headers["Idempotency-Key"]


def test_a_deadline_closer_than_stripes_minimum_is_clamped_up_to_it() -> None:
    """P3 allows a fresh checkout while 30 minutes remain; Stripe needs 30 min on its clock."""
    fake = FakeStripe(session())

    create(gateway(fake), expires_at=ASKED_AT + timedelta(minutes=30))

    sent = int(fake.form()["expires_at"])
    assert sent - ASKED_AT.timestamp() >= 30 * 60 + 59


def test_a_deadline_beyond_24_hours_is_clamped_down() -> None:
    fake = FakeStripe(session())

    create(gateway(fake), expires_at=ASKED_AT + timedelta(hours=48))

    sent = int(fake.form()["expires_at"])
    assert sent - math.floor(ASKED_AT.timestamp()) == 24 * 3600 - 60


def test_no_checkout_is_opened_for_a_deadline_already_past() -> None:
    fake = FakeStripe()

    with pytest.raises(ConflictError) as raised:
        create(gateway(fake), expires_at=ASKED_AT - timedelta(seconds=1))

    assert raised.value.code == "PAYMENT_WINDOW_CLOSED"
    assert fake.calls == []


def test_an_answer_without_a_session_url_is_a_provider_fault() -> None:
    fake = FakeStripe(session(url=None))

    with pytest.raises(ServiceUnavailableError):
        create(gateway(fake))


# ---------------------------------------------------------------------- expire_checkout


def test_expiring_an_open_session_reports_it_expired() -> None:
    fake = FakeStripe(session(status="expired"))

    status = gateway(fake).expire_checkout(SESSION_ID)

    assert (status.session_id, status.state) == (SESSION_ID, SessionState.EXPIRED)
    assert status.payment_intent is None
    [call] = fake.calls
    assert (call.method, call.url) == (
        "POST",
        f"https://api.stripe.com/v1/checkout/sessions/{SESSION_ID}/expire",
    )
    assert call.body == b""
    assert call.headers["Idempotency-Key"].startswith("expire-")
    assert call.headers["Stripe-Version"] == STRIPE_API_VERSION


def test_expiring_a_paid_session_reports_it_complete_with_its_payment() -> None:
    refused = stripe_error(
        400,
        message='Only Checkout Sessions with a status in ["open"] can be expired.',
    )
    paid = session(
        status="complete",
        payment_status="paid",
        payment_intent={
            "id": "pi_3Pay",
            "object": "payment_intent",
            "created": 1_796_100_000,
            "latest_charge": {"id": "ch_3Pay", "object": "charge", "created": 1_796_100_004},
        },
    )
    fake = FakeStripe(refused, paid)

    status = gateway(fake).expire_checkout(SESSION_ID)

    assert status.state is SessionState.COMPLETE
    assert status.payment_intent == "pi_3Pay"
    assert status.amount_cents == 14900
    assert status.currency == "USD"
    assert status.paid_at == datetime.fromtimestamp(1_796_100_004, UTC)  # the charge's time
    read = fake.calls[1]
    url = urlsplit(read.url)
    assert (read.method, url.path) == ("GET", f"/v1/checkout/sessions/{SESSION_ID}")
    assert parse_qsl(url.query) == [("expand[]", "payment_intent.latest_charge")]
    assert read.body is None
    assert "Idempotency-Key" not in read.headers


def test_paid_at_falls_back_to_the_payment_intent_when_the_charge_is_not_expanded() -> None:
    paid = session(
        status="complete",
        payment_status="paid",
        payment_intent={"id": "pi_3Pay", "created": 1_796_100_000, "latest_charge": "ch_3Pay"},
    )
    fake = FakeStripe(stripe_error(400), paid)

    status = gateway(fake).expire_checkout(SESSION_ID)

    assert status.paid_at == datetime.fromtimestamp(1_796_100_000, UTC)


def test_expiring_a_session_stripe_already_expired_reports_it_expired() -> None:
    fake = FakeStripe(stripe_error(400), session(status="expired"))

    status = gateway(fake).expire_checkout(SESSION_ID)

    assert status.state is SessionState.EXPIRED
    assert [c.method for c in fake.calls] == ["POST", "GET"]


def test_expiring_an_unknown_session_is_refused() -> None:
    fake = FakeStripe(stripe_error(404, code="resource_missing"))

    with pytest.raises(ConflictError) as raised:
        gateway(fake).expire_checkout(SESSION_ID)

    assert isinstance(raised.value, PaymentProviderRefusedError)
    assert raised.value.code == "PAYMENT_PROVIDER_REFUSED"
    assert len(fake.calls) == 1


# ---------------------------------------------------------------------- refund


def test_a_refund_names_the_payment_amount_and_our_reason_under_the_callers_key() -> None:
    fake = FakeStripe(HttpReply(200, {"id": "re_3Back", "object": "refund", "status": "pending"}))

    refund_id = gateway(fake).refund(
        payment_intent="pi_3Pay",
        amount_cents=14900,
        idempotency_key="refund:ord_01JABC:pi_3Pay",
        reason="payment made after the payment deadline",
    )

    assert refund_id == "re_3Back"
    call = fake.calls[0]
    assert (call.method, call.url) == ("POST", "https://api.stripe.com/v1/refunds")
    assert call.headers["Idempotency-Key"] == "refund:ord_01JABC:pi_3Pay"
    assert fake.form() == {
        "payment_intent": "pi_3Pay",
        "amount": "14900",
        "reason": "requested_by_customer",
        "metadata[reason]": "payment made after the payment deadline",
    }


def test_a_long_refund_reason_is_cut_to_stripes_metadata_limit() -> None:
    fake = FakeStripe(HttpReply(200, {"id": "re_3Back"}))

    gateway(fake).refund(
        payment_intent="pi_3Pay", amount_cents=100, idempotency_key="k", reason="x" * 600
    )

    assert fake.form()["metadata[reason]"] == "x" * 500


def test_an_overlong_refund_key_is_shortened_the_same_way_every_time() -> None:
    first, retry = (
        FakeStripe(HttpReply(200, {"id": "re_1"})),
        FakeStripe(HttpReply(200, {"id": "re_1"})),
    )
    key = "refund:" + "k" * 300

    for fake in (first, retry):
        gateway(fake).refund(
            payment_intent="pi_3Pay", amount_cents=1, idempotency_key=key, reason=""
        )

    sent = first.calls[0].headers["Idempotency-Key"]
    assert len(sent) <= 255
    assert sent == retry.calls[0].headers["Idempotency-Key"]


# ---------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "failure",
    [
        HttpReply(429, {"error": {"type": "invalid_request_error", "code": "rate_limit"}}),
        HttpReply(500, {"error": {"type": "api_error"}}),
        HttpReply(503, {}),
        HttpReply(409, {"error": {"type": "idempotency_error"}}),
        TimeoutError("The read operation timed out"),
        urllib.error.URLError(ConnectionRefusedError(111, "Connection refused")),
    ],
    ids=["429", "500", "503", "409", "timeout", "unreachable"],
)
def test_throttling_outages_and_timeouts_are_service_unavailable(failure: Reply) -> None:
    fake = FakeStripe(failure)

    with pytest.raises(ServiceUnavailableError) as raised:
        create(gateway(fake))

    if isinstance(failure, BaseException):
        assert raised.value.__cause__ is failure


def test_a_refused_request_is_a_conflict_with_stripes_codes_but_not_its_message() -> None:
    fake = FakeStripe(
        stripe_error(400, code="parameter_invalid_integer", param="line_items[0][quantity]")
    )

    with pytest.raises(ConflictError) as raised:
        create(gateway(fake))

    assert isinstance(raised.value, PaymentProviderRefusedError)
    assert raised.value.code == "PAYMENT_PROVIDER_REFUSED"
    assert raised.value.details == {
        "status": 400,
        "type": "invalid_request_error",
        "code": "parameter_invalid_integer",
        "param": "line_items[0][quantity]",
    }
    assert "Invalid API Key" not in str(raised.value)


def _create(gw: StripeGateway) -> object:
    return create(gw)


def _expire(gw: StripeGateway) -> object:
    return gw.expire_checkout(SESSION_ID)


def _refund(gw: StripeGateway) -> object:
    return gw.refund(payment_intent="pi_1", amount_cents=1, idempotency_key="k", reason="r")


EVERY_FAILURE = [
    pytest.param(_create, (stripe_error(401),), id="create-401"),
    pytest.param(_refund, (stripe_error(400, code="amount_too_large"),), id="refund-400"),
    pytest.param(_refund, (stripe_error(402, type="card_error"),), id="refund-402"),
    pytest.param(_expire, (stripe_error(500, type="api_error"),), id="expire-500"),
    pytest.param(_refund, (stripe_error(429),), id="refund-429"),
    pytest.param(_create, (TimeoutError("timed out"),), id="create-timeout"),
    pytest.param(_expire, (stripe_error(400), stripe_error(503)), id="expire-read-503"),
    pytest.param(_refund, (HttpReply(200, {}),), id="refund-malformed"),
]


@pytest.mark.parametrize(("operation", "replies"), EVERY_FAILURE)
def test_the_secret_key_never_appears_in_an_error_or_a_log(
    operation: Callable[[StripeGateway], object],
    replies: tuple[Reply, ...],
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake = FakeStripe(*replies)

    with pytest.raises(DomainError) as raised:
        operation(gateway(fake))

    error: BaseException | None = raised.value
    while error is not None:
        assert SECRET[:12] not in str(error)
        assert SECRET[:12] not in repr(getattr(error, "details", None))
        error = error.__cause__
    logged = capsys.readouterr()
    assert SECRET[:12] not in logged.out + logged.err
    assert all(SECRET[:12] not in repr(call) for call in fake.calls)


def test_the_key_is_read_lazily_on_each_request() -> None:
    reads: list[str] = []

    def read_key() -> str:
        reads.append("read")
        return SECRET

    fake = FakeStripe(session())
    gw = gateway(fake, secret=read_key)
    assert reads == []

    create(gw)

    assert reads == ["read"]
    assert fake.calls[0].headers["Authorization"] == f"Bearer {SECRET}"


def test_a_key_that_cannot_be_read_is_service_unavailable() -> None:
    def broken() -> str:
        raise RuntimeError("ParameterNotFound")

    fake = FakeStripe()

    with pytest.raises(ServiceUnavailableError):
        create(gateway(fake, secret=broken))

    assert fake.calls == []


# ---------------------------------------------------------------------- the default transport


def test_the_default_transport_is_urllib_with_a_timeout() -> None:
    gw = StripeGateway(secret_key=SECRET, success_url="https://s", cancel_url="https://c")

    assert isinstance(gw.transport, UrllibTransport)
    assert gw.transport.timeout == 10.0
    request = gw.transport.request_for(
        HttpCall("POST", "https://api.stripe.com/v1/refunds", {"Idempotency-Key": "k"}, b"a=1")
    )
    assert isinstance(request, urllib.request.Request)
    assert (request.get_method(), request.full_url, request.data) == (
        "POST",
        "https://api.stripe.com/v1/refunds",
        b"a=1",
    )
    assert request.get_header("Idempotency-key") == "k"


def test_the_default_transport_refuses_anything_but_https() -> None:
    with pytest.raises(ValueError):
        UrllibTransport().request_for(HttpCall("GET", "file:///etc/passwd", {}))


class _Answer(io.BytesIO):
    status = 200


def test_the_default_transport_turns_http_errors_into_replies(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """urlopen raises for 4xx and 5xx; the gateway wants Stripe's JSON error body instead."""
    seen: list[float] = []

    def urlopen(request: urllib.request.Request, timeout: float) -> _Answer:
        seen.append(timeout)
        if request.full_url.endswith("/ok"):
            return _Answer(b'{"id": "re_1"}')
        body = io.BytesIO(b'{"error": {"type": "card_error"}}')
        raise urllib.error.HTTPError(request.full_url, 402, "Payment Required", Message(), body)

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    transport = UrllibTransport(timeout=3.0)

    assert transport(HttpCall("GET", "https://api.stripe.com/ok", {})) == HttpReply(
        200, {"id": "re_1"}
    )
    assert transport(HttpCall("GET", "https://api.stripe.com/no", {})) == HttpReply(
        402, {"error": {"type": "card_error"}}
    )
    assert seen == [3.0, 3.0]


def test_a_renewal_gets_a_new_session_not_the_original_one_replayed() -> None:
    """Stripe replays a reused idempotency key's first answer for 24 h: a renewal must not
    send the original order's key."""
    calls: list[Any] = []

    def transport(call: Any) -> Any:
        calls.append(call)
        return HttpReply(200, {"id": f"cs_{len(calls)}", "url": "https://x", "expires_at": None})

    gateway = StripeGateway(
        secret_key="sk_test_x",
        success_url="https://s/{order_id}",
        cancel_url="https://c/{order_id}",
        transport=transport,
    )
    due = datetime.now(UTC) + timedelta(hours=24)
    args = {
        "order_id": "ord_1",
        "amount_cents": 100,
        "currency": "USD",
        "expires_at": due,
        "description": "x",
    }
    gateway.create_checkout(**args)
    gateway.create_checkout(**args)
    gateway.create_checkout(**args, attempt="renewal-v2")
    keys = [c.headers["Idempotency-Key"] for c in calls]
    assert keys[0] == keys[1] != keys[2]


def test_a_key_reused_with_other_parameters_is_a_changed_request_not_a_refusal() -> None:
    """Stripe answers 400 idempotency_error: nothing was refunded by this request, so callers
    must not book it as a refused refund."""
    fake = FakeStripe(stripe_error(400, type="idempotency_error"))

    with pytest.raises(ConflictError) as raised:
        gateway(fake).refund(
            payment_intent="pi_1", amount_cents=500, idempotency_key="k", reason="cancelled"
        )

    assert isinstance(raised.value, PaymentRequestChangedError)
    assert not isinstance(raised.value, PaymentProviderRefusedError)  # never a refusal
    assert raised.value.code == "PAYMENT_REQUEST_CHANGED"


@pytest.mark.parametrize("status", [401, 403])
def test_our_key_refused_is_service_unavailable_not_a_refused_refund(status: int) -> None:
    """A revoked or restricted key says nothing about the refund: a retry works once the
    shop fixes the key, so callers must not book it as refused for good."""
    fake = FakeStripe(stripe_error(status, code="api_key_expired"))

    with pytest.raises(ServiceUnavailableError) as raised:
        gateway(fake).refund(
            payment_intent="pi_1", amount_cents=500, idempotency_key="k", reason="cancelled"
        )

    assert "credentials" in str(raised.value)
    assert "Invalid API Key" not in str(raised.value)  # never Stripe's message (it quotes the key)
