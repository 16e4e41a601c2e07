"""Where real adapters are wired, once per Lambda container, lazily on first use.

Nothing here imports an adapter, the domain or the ports at module level: a function pays, on
its cold start, only for what its handler uses (see docs/performance.md, cold starts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from atelier.clock import SystemClock
from atelier.config import ConfigurationError, Settings, get_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

    from atelier.domain.calendar import WorkingCalendar
    from atelier.ports import (
        Clock,
        EmailSender,
        EventPublisher,
        EvidenceStore,
        IdempotencyRecords,
        OrderRepository,
        Outbox,
        PaymentEventReader,
        PaymentGateway,
        ProductRepository,
    )
    from atelier.services.catalog import Catalog
    from atelier.services.claims import Claims
    from atelier.services.customer_orders import CustomerOrders
    from atelier.services.notify import Notifications
    from atelier.services.payments import Payments
    from atelier.services.privacy import Privacy
    from atelier.services.workshop import Workshop


class _SwitchableClock:
    """The clock every container reads; the local stack swaps in its adjustable one."""

    def __init__(self) -> None:
        self.target: Clock = SystemClock()

    def now(self) -> datetime:
        return self.target.now()


_clock = _SwitchableClock()
STRIPE_TIMEOUT_SECONDS = 5.0
# How long a container answers from the catalog it read (docs/decisions.md): a product edit
# reaches the other containers within this time.
CATALOG_MAX_AGE = timedelta(seconds=60)


def set_clock(clock: Clock) -> None:
    """Make every container use `clock` (the local stack's `/_local/clock`)."""
    _clock.target = clock


@dataclass
class Container:
    settings: Settings
    clock: Clock = field(default=_clock)
    _idempotency: dict[str, Any] = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------ the use cases, one per flow

    @cached_property
    def catalog(self) -> Catalog:
        from atelier.services.catalog import Catalog

        return Catalog(self.products)

    @cached_property
    def customer_orders(self) -> CustomerOrders:
        from atelier.services.customer_orders import CustomerOrders

        s = self.settings
        return CustomerOrders(
            self.orders,
            self.products,
            self.gateway,
            self.clock,
            self.calendar,
            customization_fee_cents=s.customization_fee_cents,
            reminder_lead=timedelta(hours=s.payment_reminder_lead_hours),
        )

    @cached_property
    def payments(self) -> Payments:
        from atelier.services.payments import Payments

        return Payments(
            self.orders, self.gateway, self.clock, self.calendar, lambda: self.payment_events
        )

    @cached_property
    def workshop(self) -> Workshop:
        from atelier.services.workshop import Workshop

        return Workshop(self.orders, self.gateway, self.clock, self.calendar)

    @cached_property
    def claims(self) -> Claims:
        from atelier.services.claims import Claims

        return Claims(self.orders, lambda: self.evidence_store, self.clock, self.calendar)

    @cached_property
    def privacy(self) -> Privacy:
        from atelier.services.privacy import Privacy

        return Privacy(self.orders, self.clock, self.idempotency_records)

    @cached_property
    def notifications(self) -> Notifications:
        from atelier.services.notify import Notifications

        return Notifications(self.orders, self.email_sender, self.settings)

    # ------------------------------------------------------------ the adapters behind them

    @cached_property
    def dynamodb(self) -> DynamoDBClient:
        import boto3

        return boto3.client("dynamodb", config=_sdk_config())

    @cached_property
    def products(self) -> ProductRepository:
        from atelier.adapters.catalog_cache import CachedProductRepository
        from atelier.adapters.dynamodb import DynamoProductRepository

        store = DynamoProductRepository(self.dynamodb, self.settings.table_name)
        return CachedProductRepository(store, self.clock, CATALOG_MAX_AGE)

    @cached_property
    def orders(self) -> OrderRepository:
        from atelier.adapters.dynamodb import DynamoOrderRepository

        return DynamoOrderRepository(self.dynamodb, self.settings.table_name, self.clock)

    @cached_property
    def evidence_store(self) -> EvidenceStore:
        import boto3

        from atelier.adapters.s3 import S3EvidenceStore, presigning_config

        bucket = self.settings.required("evidence_bucket")
        client = boto3.client("s3", config=_sdk_config().merge(presigning_config()))
        return S3EvidenceStore(client, bucket, self.clock)

    @cached_property
    def calendar(self) -> WorkingCalendar:
        from atelier.domain.calendar import WorkingCalendar

        s = self.settings
        return WorkingCalendar.from_settings(
            s.shop_timezone, s.shop_holiday_country, s.shop_closures, s.shop_cutoff
        )

    @cached_property
    def gateway(self) -> PaymentGateway:
        if self.settings.payment_provider == "stripe":
            from atelier.adapters.stripe import StripeGateway, UrllibTransport

            parameter = self.settings.required("stripe_secret_parameter")
            return StripeGateway(
                secret_key=lambda: _secure_parameter(parameter),
                success_url=self.settings.checkout_success_url,
                cancel_url=self.settings.checkout_cancel_url,
                transport=UrllibTransport(timeout=STRIPE_TIMEOUT_SECONDS),
            )
        from atelier.adapters.payments import SandboxGateway

        return SandboxGateway(self.settings.sandbox_pay_url)

    @cached_property
    def publisher(self) -> EventPublisher:
        import boto3

        from atelier.adapters.eventbridge import EventBridgePublisher

        bus = self.settings.required("event_bus_name")
        return EventBridgePublisher(boto3.client("events", config=_sdk_config()), bus)

    @cached_property
    def email_sender(self) -> EmailSender:
        import boto3

        from atelier.adapters.ses import SesEmailSender

        sender = self.settings.required("email_from")
        return SesEmailSender(boto3.client("sesv2", config=_sdk_config()), sender)

    def webhook_secrets(self) -> list[str]:
        """The webhook signing secrets in force; from SSM (cached 5 minutes) in AWS."""
        parameter = self.settings.webhook_secret_parameter
        raw = _secure_parameter(parameter) if parameter else (self.settings.webhook_secrets or "")
        secrets = [part.strip() for part in raw.split(",") if part.strip()]
        if not secrets:
            raise ConfigurationError(
                "no webhook secret: set WEBHOOK_SECRET_PARAMETER (AWS) or WEBHOOK_SECRETS"
            )
        return secrets

    @cached_property
    def outbox(self) -> Outbox:
        from atelier.adapters.items import StreamOutbox

        return StreamOutbox()

    @cached_property
    def payment_events(self) -> PaymentEventReader:
        from atelier.adapters.stripe_events import StripeWebhookEvents

        return StripeWebhookEvents(self.webhook_secrets)

    def idempotency(self, purpose: str) -> Any:
        """A powertools persistence layer on the idempotency table, one per purpose: powertools
        configures a layer for the first function that uses it, so uses with different keys
        (orders_api's customer and key, the notifier's event id) must not share one — they do
        share a process on the local stack."""
        from atelier.adapters.idempotency import idempotency_store

        table = self.settings.required("idempotency_table_name")
        if purpose not in self._idempotency:
            self._idempotency[purpose] = idempotency_store(table, self.dynamodb)
        return self._idempotency[purpose]

    @cached_property
    def idempotency_records(self) -> IdempotencyRecords:
        """The Idempotency-Key records of POST /orders: a retry's answer, and erasure (P6)."""
        from atelier.adapters.idempotency import PowertoolsIdempotencyRecords

        return PowertoolsIdempotencyRecords(self.idempotency("orders"))


def _sdk_config() -> Any:
    """Standard retries with a bounded number of attempts and short timeouts: a Lambda
    behind API Gateway has 30 s at most, and a stuck call should fail into a clean 503."""
    from botocore.config import Config

    return Config(
        retries={"mode": "standard", "total_max_attempts": 3}, connect_timeout=2, read_timeout=5
    )


def _secure_parameter(name: str) -> str:
    from aws_lambda_powertools.utilities.parameters import get_parameter

    value: str = get_parameter(name, decrypt=True, max_age=300)
    return value


_container: Container | None = None


def get_container() -> Container:
    global _container
    if _container is None:
        _container = Container(settings=get_settings())
    return _container


def build_container() -> Container:
    """The container, built from the environment (the local stack seeds through it)."""
    return get_container()


def reset() -> None:
    """Forget the container and settings (tests that change the environment)."""
    global _container
    _container = None
    get_settings.cache_clear()
