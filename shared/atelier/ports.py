"""What the services need from the world. Adapters implement these; fakes stand in for tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, Protocol, TypeVar

from atelier.domain.catalog import Product
from atelier.domain.claims import ClaimStatus
from atelier.domain.due import DueKind
from atelier.domain.errors import ConflictError, PaymentRequestChangedError
from atelier.domain.events import DomainEvent
from atelier.domain.messages import Message
from atelier.domain.order import Checkout, HistoryEntry, Order, OrderStatus, Payment
from atelier.domain.payment_events import PaymentEvent

if TYPE_CHECKING:
    from atelier.notifications.layout import Email

T = TypeVar("T")

# Events about a payment not recorded yet: how many are kept per payment, and for how long
# (the provider resends a payment's own event for up to 3 days).
MAX_PARKED_EVENTS = 10
PARKED_RETENTION = timedelta(days=30)
TOO_MANY_PARKED_EVENTS = "TOO_MANY_PARKED_EVENTS"


def too_many_parked_events(payment_intent: str) -> ConflictError:
    return ConflictError(
        f"{MAX_PARKED_EVENTS} events are already kept for payment {payment_intent}, which no "
        "order records; no more are kept for it.",
        code=TOO_MANY_PARKED_EVENTS,
    )


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True)
class OrderDetails:
    order: Order
    history: list[HistoryEntry]
    messages: list[Message]


class Clock(Protocol):
    def now(self) -> datetime: ...


class ProductRepository(Protocol):
    def get(self, product_id: str) -> Product | None: ...

    def list(
        self, *, limit: int, cursor: str | None, include_inactive: bool = False
    ) -> Page[Product]: ...

    def save(self, product: Product) -> None: ...

    def add(self, product: Product) -> None:
        """Store a new product; ConflictError (`PRODUCT_EXISTS`) when its id is taken."""


class OrderRepository(Protocol):
    def get(self, order_id: str) -> Order | None: ...

    def list_for_customer(
        self, customer_id: str, *, limit: int, cursor: str | None
    ) -> Page[Order]: ...

    def add(self, order: Order) -> None:
        """Store a new order with its first history entry and pointers, all or nothing."""

    def save(
        self,
        order: Order,
        *,
        event_id: str | None = None,
        parked: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """Commit the order's changes since it was read, conditioned on the status and version
        read; raises ConflictError when someone else got there first. With `event_id` (a
        provider's webhook event), the event is recorded as applied in the same transaction,
        and DuplicateEventError is raised if it already was.

        A payment the order records since it was read is conditioned on the events parked for
        it being exactly `parked[payment_intent]` (the ids `parked_events` gave, applied to the
        order; none when absent): they are recorded as applied and their parking removed in
        the same transaction. An event parked meanwhile is a ConflictError (read again)."""

    def new_payments(self, order: Order) -> tuple[Payment, ...]:
        """The payments `order` records since it was read from this repository."""

    def park_event(self, payment_intent: str, event_id: str, record: Mapping[str, Any]) -> bool:
        """Keep a provider event about a payment no order records yet, under its payment
        intent, until the payment is recorded (kept PARKED_RETENTION; at most
        MAX_PARKED_EVENTS per payment). False: this event id is kept already. ConflictError:
        the payment was recorded meanwhile (a retry applies the event to it), or
        `TOO_MANY_PARKED_EVENTS`."""

    def parked_events(self, payment_intent: str) -> list[Mapping[str, Any]]:
        """The records kept for a payment by `park_event`, in the order they were kept."""

    def find_by_payment_intent(self, payment_intent: str) -> Order | None: ...

    def list_by_status(self, status: OrderStatus, *, limit: int, cursor: str | None) -> Page[Order]:
        """Staff queues: orders in one status, oldest first."""

    def details(self, order_id: str) -> OrderDetails | None:
        """The order with its history and messages (one query of its partition)."""

    def add_message(self, message: Message) -> None: ...

    def redact_messages(self, order_id: str) -> None:
        """Replace the text of the order's consultation messages (P6 erasure)."""

    def claims_by_status(
        self, status: ClaimStatus, *, limit: int, cursor: str | None
    ) -> Page[str]: ...

    def find_by_checkout_session(self, session_id: str) -> Order | None: ...

    def due(self, kind: DueKind, until: datetime, *, page_size: int = 100) -> Iterator[str]:
        """Ids of orders with a `kind` deadline at or before `until`, oldest first."""


class SessionState(StrEnum):
    OPEN = "open"
    COMPLETE = "complete"
    EXPIRED = "expired"


@dataclass(frozen=True)
class SessionStatus:
    """A checkout session as the provider sees it; payment fields are set when COMPLETE."""

    session_id: str
    state: SessionState
    payment_intent: str | None = None
    amount_cents: int | None = None
    currency: str | None = None  # upper case, e.g. "USD"
    paid_at: datetime | None = None


@dataclass(frozen=True)
class UploadTicket:
    url: str
    fields: dict[str, str]
    expires_at: datetime


class StoredObject(NamedTuple):
    """What the store reports about an object's newest version."""

    size: int
    version_id: str
    content_type: str  # as stored: the type the file will be served as unless told otherwise


class EvidenceStore(Protocol):
    """Where claim photos and videos live (one private, versioned bucket)."""

    def upload_ticket(self, key: str, content_type: str, max_bytes: int) -> UploadTicket:
        """A presigned POST pinned to this key, type and size, valid 15 minutes at most."""

    def head(self, key: str) -> StoredObject | None:
        """Size, version id and stored Content-Type of the newest version, or None."""

    def leading_bytes(self, key: str, version_id: str, count: int) -> bytes: ...

    def delete_version(self, key: str, version_id: str) -> None: ...

    def download_url(self, key: str, version_id: str, *, content_type: str, filename: str) -> str:
        """A presigned GET of that version, valid 5 minutes at most, served as `content_type`
        and as an attachment named `filename` (letters, digits, `.`, `_`, `-`), whatever type
        the object was stored with."""


class IdempotencyRecords(Protocol):
    """The Idempotency-Key layer of `POST /orders`: the first answer, per (customer, key),
    kept for 24 h."""

    def run_once(
        self,
        *,
        customer_id: str,
        key: str,
        body: dict[str, Any],
        work: Callable[[], dict[str, Any]],
        lambda_context: Any = None,
    ) -> dict[str, Any]:
        """`work()`'s answer, computed at most once per (customer, key); the same key with
        another body is a ConflictError."""

    def forget(self, customer_id: str, key: str) -> None:
        """Delete what is kept under (customer, key); nothing happens when nothing is."""


class PaymentEventReader(Protocol):
    """The provider's webhook: a signed body in, the event it carries out."""

    def read(self, raw_body: bytes, signature_header: str | None, now: datetime) -> PaymentEvent:
        """Raises InvalidSignatureError unless the body is signed with a current secret within
        the provider's tolerance of `now`; InvalidRequestError when it is not an event."""


class Outbox(Protocol):
    """The committed changes the table's stream carries, read back as domain events."""

    def event_in(self, new_image: Mapping[str, Any]) -> DomainEvent | None:
        """The event a stream record's new image holds; None for an item that is no event."""


class EventPublisher(Protocol):
    def publish(self, event: DomainEvent) -> None:
        """Put one event on the bus; raises ServiceUnavailableError when it was not taken."""


class PaymentGateway(Protocol):
    provider: str

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
        """A hosted checkout for exactly this amount, cards and wallets only, that the provider
        closes at `expires_at`; the order id travels as the session's client reference. The
        same request with the same `attempt` gives the same session; a renewal passes a new
        `attempt` to get a new one."""

    def expire_checkout(self, session_id: str) -> SessionStatus:
        """Close an open session so it can no longer be paid. A session already paid is
        reported COMPLETE with its payment (the caller applies it instead)."""

    def refund(
        self, *, payment_intent: str, amount_cents: int, idempotency_key: str, reason: str
    ) -> str:
        """Refund part or all of a payment; the same idempotency key never refunds twice.
        Returns the provider's refund id. Raises `PaymentProviderRefusedError` when the
        provider refuses for good (disputed, already refunded), or
        `PaymentRequestChangedError` (`payment_request_changed`) when the key was used before
        with another amount (nothing refunded by this call)."""


def payment_request_changed(operation: str) -> PaymentRequestChangedError:
    """The provider already holds a request under this idempotency key with other details."""
    return PaymentRequestChangedError(
        f"The payment provider already received a request to {operation} for this with other "
        "details, so it did nothing now. A cancellation's refund is made once: retry with "
        "the refund amount first asked."
    )


class EmailSender(Protocol):
    def send(self, email: Email) -> None:
        """Send one email; raises ServiceUnavailableError when the mail service is throttling
        or down (the caller retries later)."""
