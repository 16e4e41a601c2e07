"""What the services need from the world. Adapters implement these; fakes stand in for tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from atelier.domain.catalog import Product
from atelier.domain.order import Checkout, Order

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


class Clock(Protocol):
    def now(self) -> datetime: ...


class ProductRepository(Protocol):
    def get(self, product_id: str) -> Product | None: ...

    def list(
        self, *, limit: int, cursor: str | None, include_inactive: bool = False
    ) -> Page[Product]: ...

    def save(self, product: Product) -> None: ...


class OrderRepository(Protocol):
    def get(self, order_id: str) -> Order | None: ...

    def list_for_customer(
        self, customer_id: str, *, limit: int, cursor: str | None
    ) -> Page[Order]: ...

    def add(self, order: Order) -> None:
        """Store a new order with its first history entry and pointers, all or nothing."""

    def save(self, order: Order) -> None:
        """Commit the order's transitions since it was read, conditioned on the status and
        version read; raises ConflictError when someone else got there first."""


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
    ) -> Checkout: ...
