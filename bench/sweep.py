"""Sweep scaling: a table of 10,000 and then 50,000 orders with 100 of them overdue.

What is measured are counts, not seconds: moto walks the whole table for an index query,
DynamoDB reads only the index entries the key condition selects.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from atelier.adapters.dynamodb import DynamoOrderRepository, keys, order_to_item
from atelier.adapters.memory import InMemoryProductRepository
from atelier.adapters.payments import SandboxGateway
from atelier.clock import FixedClock
from atelier.domain.calendar import WorkingCalendar
from atelier.domain.customization import Customization
from atelier.domain.due import DueKind
from atelier.domain.order import Address, Contact, Order, OrderStatus
from atelier.services.customer_orders import CustomerOrders
from atelier.services.placing import PlaceOrder
from bench.env import REGION
from bench.fixtures import PRODUCT_ID, START, ring
from bench.operations import Usage
from bench.stack import Stack, running_stack
from bench.storage import MotoTable

DUE = 100
SIZES = (10_000, 50_000)
PENDING_SHARE = 0.10  # of the other orders, awaiting payment with a deadline still ahead


@dataclass(frozen=True)
class SweepRun:
    orders: int  # orders in the table
    items: int  # items in the table
    due: int
    expired: int
    queries: int
    index_entries_read: int  # what DynamoDB reads from the ByDue index for the sweep
    order_reads: int
    transactions: int
    usage: Usage
    seed_seconds: float
    sweep_seconds: float  # moto's time: it walks the whole table per index query

    @property
    def requests_per_expired_order(self) -> float:
        per_order = self.order_reads + self.transactions
        return per_order / self.expired if self.expired else float("nan")


@dataclass(frozen=True)
class SweepReport:
    runs: list[SweepRun]
    skipped: list[str]


class _Seeder:
    """Writes orders as the adapter does: one of each kind through CustomerOrders.place and the
    repository, the rest as copies of its items under new ids (see bench.storage.MotoTable).
    The sweep reads no pointers and no history, so the copies carry the order item, its due
    entries while it awaits payment, and (the overdue ones) their first history entry."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.client = stack.dynamodb  # not metered
        self.storage = MotoTable(stack.table, REGION)
        self.items = 0
        self._serial = 0

    def place(self, at: datetime) -> Order:
        """One order placed at `at` through the customer flow and the DynamoDB adapter."""
        clock = FixedClock(at)
        orders = CustomerOrders(
            DynamoOrderRepository(self.client, self.stack.table, clock),
            InMemoryProductRepository([ring()]),
            SandboxGateway("https://shop.example.com/pay"),
            clock,
            WorkingCalendar(),
            customization_fee_cents=1000,
        )
        order = orders.place(
            PlaceOrder(
                customer_id=f"customer-{self._serial % 997}",
                product_id=PRODUCT_ID,
                size="7",
                customization=Customization(style="oval", color="gold", expression="A & J"),
                contact=Contact(name="Ada Lovelace", email="ada@example.com", phone=None),
                shipping_address=Address(
                    line1="1 Main St", city="Springfield", postal_code="62701", country="US"
                ),
                accept_terms_version="2026-11-01",
            )
        )
        self._serial += 1
        self.items += len(self._collection(order.order_id))
        return order

    def put(self, item: dict[str, Any]) -> None:
        self.client.put_item(TableName=self.stack.table, Item=item)
        self.items += 1

    def copies(self, order_id: str, kinds: tuple[str, ...], count: int) -> None:
        """`count` copies of the order's items whose sort key is in `kinds`."""
        ids = [self._new_id() for _ in range(count)]
        for kind in kinds:
            key = {"pk": {"S": keys.order_pk(order_id)}, "sk": {"S": kind}}
            self.items += self.storage.copy_item(key, order_id, iter(ids))

    def _new_id(self) -> str:
        """As long as a real id (`ord_` and a 26-character ULID): item sizes stay the same,
        and with them the capacity units (an order item sits near a 1 KB boundary)."""
        self._serial += 1
        return f"ord_BULK{self._serial:022d}"

    def _collection(self, order_id: str) -> list[dict[str, Any]]:
        answer = self.client.query(
            TableName=self.stack.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": keys.order_pk(order_id)}},
        )
        items: list[dict[str, Any]] = answer["Items"]
        return items


def _seed(seeder: _Seeder, total: int, sweep_at: datetime) -> None:
    """`total` more orders: DUE overdue ones, and the rest awaiting payment (deadline ahead)
    or long closed, placed so the sweep at `sweep_at` finds exactly the overdue ones."""
    overdue = seeder.place(sweep_at - timedelta(hours=25))
    payment, reminder = keys.due_sk(DueKind.PAYMENT), keys.due_sk(DueKind.REMINDER)
    due_kinds = (keys.ORDER, keys.history_sk(1), payment, reminder)
    seeder.copies(overdue.order_id, due_kinds, DUE - 1)
    rest = total - DUE
    pending_count = int(rest * PENDING_SHARE)
    pending = seeder.place(sweep_at - timedelta(hours=1))
    seeder.copies(pending.order_id, (keys.ORDER, payment, reminder), pending_count - 1)
    closed = replace(
        pending,
        order_id="ord_C" + pending.order_id[5:],  # another id of the same length
        status=OrderStatus.DELIVERED,
        reminder_at=None,
    )
    seeder.put(order_to_item(closed))
    seeder.copies(closed.order_id, ("ORDER",), rest - pending_count - 1)


def _sweep(stack: Stack, seeder: _Seeder, orders: int, seed_seconds: float) -> SweepRun:
    started = time.perf_counter()
    with stack.meter.scope(f"sweep {orders}") as taken:
        result = stack.schedule("expiry_sweep")
    elapsed = time.perf_counter() - started
    queries = [r for r in taken if r.operation == "Query"]
    return SweepRun(
        orders=orders,
        items=seeder.items,
        due=DUE,
        expired=int(result.get("expired", 0)),
        queries=len(queries),
        index_entries_read=sum(r.items_read for r in queries),
        order_reads=sum(1 for r in taken if r.operation == "GetItem"),
        transactions=sum(1 for r in taken if r.operation == "TransactWriteItems"),
        usage=Usage.of(taken),
        seed_seconds=seed_seconds,
        sweep_seconds=elapsed,
    )


def run(sizes: tuple[int, ...] = SIZES, *, budget_seconds: float = 150.0) -> SweepReport:
    """Grows one table through `sizes`; a size whose seeding would overrun the time budget
    (estimated from the seeding rate so far) is skipped and reported."""
    runs: list[SweepRun] = []
    skipped: list[str] = []
    spent = 0.0
    clock = FixedClock(START)
    with running_stack(clock, deliver_events=False) as stack:
        seeder = _Seeder(stack)
        orders = 0
        for size in sizes:
            more = size - orders
            if runs:
                last = runs[-1]
                estimate = (last.seed_seconds + last.sweep_seconds) * size / last.orders
                if spent + estimate > budget_seconds:
                    skipped.append(f"{size:,} orders: about {estimate:.0f} s more in moto")
                    continue
            # An hour on: the orders still awaiting payment from before stay within their day.
            clock.advance(hours=1)
            started = time.perf_counter()
            _seed(seeder, more, clock.now())
            seed_seconds = time.perf_counter() - started
            orders = size
            run_ = _sweep(stack, seeder, orders, seed_seconds)
            spent += seed_seconds + run_.sweep_seconds
            runs.append(run_)
    return SweepReport(runs, skipped)
