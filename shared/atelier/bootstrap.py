"""Where real adapters are wired, once per Lambda container, lazily on first use."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from atelier.clock import SystemClock
from atelier.config import Settings, get_settings
from atelier.domain.calendar import WorkingCalendar
from atelier.ports import Clock, OrderRepository, PaymentGateway, ProductRepository

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient


class _SwitchableClock:
    """The clock every container reads; the local stack swaps in its adjustable one."""

    def __init__(self) -> None:
        self.target: Clock = SystemClock()

    def now(self) -> datetime:
        return self.target.now()


_clock = _SwitchableClock()


def set_clock(clock: Clock) -> None:
    """Make every container use `clock` (the local stack's `/_local/clock`)."""
    _clock.target = clock


@dataclass
class Container:
    settings: Settings
    clock: Clock = field(default=_clock)

    @cached_property
    def dynamodb(self) -> DynamoDBClient:
        import boto3
        from botocore.config import Config

        config = Config(
            retries={"mode": "standard", "max_attempts": 3},
            connect_timeout=2,
            read_timeout=5,
        )
        return boto3.client("dynamodb", config=config)

    @cached_property
    def products(self) -> ProductRepository:
        from atelier.adapters.dynamodb import DynamoProductRepository

        return DynamoProductRepository(self.dynamodb, self.settings.table_name)

    @cached_property
    def orders(self) -> OrderRepository:
        from atelier.adapters.dynamodb import DynamoOrderRepository

        return DynamoOrderRepository(self.dynamodb, self.settings.table_name, self.clock)

    @cached_property
    def calendar(self) -> WorkingCalendar:
        s = self.settings
        return WorkingCalendar.from_settings(
            s.shop_timezone, s.shop_holiday_country, s.shop_closures, s.shop_cutoff
        )

    @cached_property
    def gateway(self) -> PaymentGateway:
        from atelier.adapters.payments import SandboxGateway

        if self.settings.payment_provider != "sandbox":
            raise NotImplementedError("only the sandbox gateway exists so far")
        return SandboxGateway(self.settings.sandbox_pay_url)

    @cached_property
    def idempotency(self) -> Any:
        """powertools' persistence layer on the idempotency table (only orders_api uses it)."""
        from atelier.adapters.idempotency import idempotency_store

        if not self.settings.idempotency_table_name:
            from atelier.config import ConfigurationError

            raise ConfigurationError("IDEMPOTENCY_TABLE_NAME is not set")
        return idempotency_store(self.settings.idempotency_table_name, self.dynamodb)


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
