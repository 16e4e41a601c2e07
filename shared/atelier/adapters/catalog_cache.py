"""The catalog, cached per Lambda container for a bounded age.

Every order reads its product, and the catalog changes a few times a week: a container keeps
what it read for `max_age` (docs/decisions.md: a product edit reaches other containers within
that time). Writes through this repository empty the cache, so the container that made a change
reads it back at once. Time comes from the injected clock, never the system's.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from atelier.domain.catalog import Product
from atelier.ports import Clock, Page, ProductRepository

T = TypeVar("T")

# Distinct list pages kept (each a (limit, cursor) pair): cursors come from clients, so the
# number of keys is theirs to choose; the least recently used page goes first.
MAX_CACHED_PAGES = 64


@dataclass(frozen=True, slots=True)
class _Entry(Generic[T]):
    value: T
    read_at: datetime


class CachedProductRepository:
    """A `ProductRepository` that answers `get` and the customers' `list` from memory for up
    to `max_age`. Not cached: products not found (a new one is orderable at once) and staff's
    list with retired products (staff check their edits there)."""

    def __init__(self, store: ProductRepository, clock: Clock, max_age: timedelta) -> None:
        self._store = store
        self._clock = clock
        self._max_age = max_age
        self._products: dict[str, _Entry[Product]] = {}
        self._pages: OrderedDict[tuple[int, str | None], _Entry[Page[Product]]] = OrderedDict()

    def get(self, product_id: str) -> Product | None:
        now = self._clock.now()
        entry = self._products.get(product_id)
        if entry is not None and self._fresh(entry, now):
            return entry.value
        product = self._store.get(product_id)
        if product is None:
            self._products.pop(product_id, None)
        else:
            self._products[product_id] = _Entry(product, now)
        return product

    def list(
        self, *, limit: int, cursor: str | None, include_inactive: bool = False
    ) -> Page[Product]:
        if include_inactive:
            return self._store.list(limit=limit, cursor=cursor, include_inactive=True)
        now = self._clock.now()
        key = (limit, cursor)
        entry = self._pages.get(key)
        if entry is not None and self._fresh(entry, now):
            self._pages.move_to_end(key)
            return entry.value
        page = self._store.list(limit=limit, cursor=cursor)
        self._pages[key] = _Entry(page, now)
        self._pages.move_to_end(key)
        while len(self._pages) > MAX_CACHED_PAGES:
            self._pages.popitem(last=False)
        return page

    def save(self, product: Product) -> None:
        try:
            self._store.save(product)
        finally:
            self.clear()

    def add(self, product: Product) -> None:
        try:
            self._store.add(product)
        finally:
            self.clear()

    def clear(self) -> None:
        """Forget everything read (a product may move between list pages, so all of it)."""
        self._products.clear()
        self._pages.clear()

    def _fresh(self, entry: _Entry[T], now: datetime) -> bool:
        # A clock that went back (a corrected system clock) makes nothing fresh.
        return entry.read_at <= now < entry.read_at + self._max_age
