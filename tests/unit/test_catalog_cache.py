"""The per-container catalog cache: answers from memory for a bounded age, forgets on writes."""

from datetime import timedelta

import pytest

from atelier.adapters.catalog_cache import MAX_CACHED_PAGES, CachedProductRepository
from atelier.adapters.memory import InMemoryProductRepository
from atelier.clock import FixedClock
from atelier.domain.catalog import Product
from atelier.domain.errors import ConflictError
from atelier.ports import Page
from tests.factories import MONDAY_10AM, charm, ring

MAX_AGE = timedelta(seconds=60)


class CountingStore(InMemoryProductRepository):
    """The table, counting the reads that reach it."""

    def __init__(self, products: list[Product]) -> None:
        super().__init__(products)
        self.reads = 0

    def get(self, product_id: str) -> Product | None:
        self.reads += 1
        return super().get(product_id)

    def list(
        self, *, limit: int, cursor: str | None, include_inactive: bool = False
    ) -> Page[Product]:
        self.reads += 1
        return super().list(limit=limit, cursor=cursor, include_inactive=include_inactive)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(MONDAY_10AM)


@pytest.fixture
def store() -> CountingStore:
    return CountingStore([ring(), charm()])


@pytest.fixture
def catalog(store: CountingStore, clock: FixedClock) -> CachedProductRepository:
    return CachedProductRepository(store, clock, MAX_AGE)


def test_a_product_read_again_within_the_max_age_is_not_read_from_the_store(catalog, store, clock):
    assert catalog.get("signet-ring") == ring()
    clock.advance(seconds=59)
    assert catalog.get("signet-ring") == ring()
    assert store.reads == 1


def test_a_product_older_than_the_max_age_is_read_again(catalog, store, clock):
    catalog.get("signet-ring")
    store.save(ring(price_cents=15900))  # edited by another container
    clock.advance(seconds=59)
    assert catalog.get("signet-ring").price_cents == 12900
    clock.advance(seconds=1)
    assert catalog.get("signet-ring").price_cents == 15900
    assert store.reads == 2


def test_a_clock_that_went_back_does_not_keep_a_product_forever(catalog, store, clock):
    catalog.get("signet-ring")
    clock.advance(seconds=-1)
    catalog.get("signet-ring")
    assert store.reads == 2


def test_a_product_not_found_is_not_remembered(catalog, store):
    assert catalog.get("new-ring") is None
    store.save(ring(product_id="new-ring"))  # added by another container
    assert catalog.get("new-ring") == ring(product_id="new-ring")


def test_a_page_of_the_catalog_is_cached_per_limit_and_cursor(catalog, store, clock):
    first = catalog.list(limit=1, cursor=None)
    assert catalog.list(limit=1, cursor=None) == first
    second = catalog.list(limit=1, cursor=first.next_cursor)
    assert catalog.list(limit=1, cursor=first.next_cursor) == second
    assert [p.product_id for p in first.items + second.items] == ["bear-charm", "signet-ring"]
    assert store.reads == 2
    clock.advance(seconds=60)
    catalog.list(limit=1, cursor=None)
    assert store.reads == 3


def test_only_so_many_pages_are_kept_the_least_recently_used_going_first(catalog, store):
    catalog.list(limit=1, cursor=None)
    for limit in range(2, MAX_CACHED_PAGES + 2):
        catalog.list(limit=limit, cursor=None)
    reads = store.reads
    catalog.list(limit=MAX_CACHED_PAGES + 1, cursor=None)  # still kept
    assert store.reads == reads
    catalog.list(limit=1, cursor=None)  # pushed out
    assert store.reads == reads + 1


def test_the_staff_list_with_retired_products_always_reads_the_store(catalog, store):
    catalog.list(limit=10, cursor=None, include_inactive=True)
    catalog.list(limit=10, cursor=None, include_inactive=True)
    assert store.reads == 2


def test_saving_a_product_here_is_seen_here_at_once(catalog, store):
    catalog.get("signet-ring")
    catalog.list(limit=10, cursor=None)
    catalog.save(ring(price_cents=15900, active=False))
    assert catalog.get("signet-ring").price_cents == 15900
    assert [p.product_id for p in catalog.list(limit=10, cursor=None).items] == ["bear-charm"]
    assert store.get("signet-ring").price_cents == 15900


def test_adding_a_product_here_lists_it_here_at_once(catalog):
    catalog.list(limit=10, cursor=None)
    catalog.add(ring(product_id="new-ring"))
    assert "new-ring" in [p.product_id for p in catalog.list(limit=10, cursor=None).items]


def test_a_refused_add_changes_nothing_but_still_reads_fresh(catalog, store):
    catalog.get("signet-ring")
    with pytest.raises(ConflictError):
        catalog.add(ring())
    catalog.get("signet-ring")
    assert store.reads == 2
