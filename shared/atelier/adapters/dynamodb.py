"""DynamoDB adapters: the single table of docs/data-model.md.

Everything above this module sees domain objects and domain errors, never attribute maps or
botocore exceptions.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from atelier.adapters.cursor import decode_cursor, encode_cursor
from atelier.adapters.items import from_item, to_item
from atelier.adapters.sdk_errors import translated_errors
from atelier.adapters.snapshots import Seen
from atelier.clock import isoformat_z, parse_iso
from atelier.domain.catalog import CustomizationRange, Product
from atelier.domain.claims import (
    Claim,
    ClaimReason,
    ClaimStatus,
    Evidence,
    EvidenceStatus,
    Resolution,
    ReturnLabel,
)
from atelier.domain.customization import Customization, ReviewReason
from atelier.domain.due import DueKind
from atelier.domain.errors import ConflictError, DuplicateEventError
from atelier.domain.events import EventType
from atelier.domain.messages import Message
from atelier.domain.order import (
    ERASED,
    Address,
    Checkout,
    Contact,
    Delay,
    FailedRefund,
    HistoryEntry,
    Order,
    OrderStatus,
    Payment,
    ProductSnapshot,
    Review,
    Shipment,
    ShipWatch,
    Surcharge,
)
from atelier.domain.pricing import Price
from atelier.ports import (
    MAX_PARKED_EVENTS,
    PARKED_RETENTION,
    Clock,
    OrderDetails,
    Page,
    too_many_parked_events,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

# Applied webhook events are remembered this long (providers retry for up to 3 days).
LEDGER_RETENTION = timedelta(days=90)


def cancellation_codes(error: BaseException) -> list[str]:
    """Per-item reasons of a cancelled transaction, in the order the items were sent."""
    cause = error.__cause__
    if isinstance(cause, ClientError):
        return [r.get("Code", "None") for r in cause.response.get("CancellationReasons", [])]
    return []


# ---------------------------------------------------------------------------- keys


def order_key(order_id: str) -> dict[str, Any]:
    return to_item({"pk": f"ORDER#{order_id}", "sk": "ORDER"})


def product_key(product_id: str) -> dict[str, Any]:
    return to_item({"pk": f"PRODUCT#{product_id}", "sk": "PRODUCT"})


# ---------------------------------------------------------------------------- products


class DynamoProductRepository:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def get(self, product_id: str) -> Product | None:
        with translated_errors("get_product"):
            answer = self._client.get_item(TableName=self._table, Key=product_key(product_id))
        item = answer.get("Item")
        return Product.model_validate(from_item(item)["product"]) if item else None

    def list(
        self, *, limit: int, cursor: str | None, include_inactive: bool = False
    ) -> Page[Product]:
        # Active products sit under CATALOG#ACTIVE; staff also see CATALOG#INACTIVE.
        partitions = (
            ["CATALOG#ACTIVE", "CATALOG#INACTIVE"] if include_inactive else ["CATALOG#ACTIVE"]
        )
        position = decode_cursor(cursor, ("p", "id")) if cursor else None
        if position is not None and position["p"] not in partitions:
            position = None
        items: list[Product] = []
        start = partitions.index(position["p"]) if position else 0
        for partition in partitions[start:]:
            args: dict[str, Any] = {
                "TableName": self._table,
                "IndexName": "ByStatus",
                "KeyConditionExpression": "gsi2pk = :p",
                "ExpressionAttributeValues": to_item({":p": partition}),
                "Limit": limit - len(items),
            }
            if position and position["p"] == partition:
                args["ExclusiveStartKey"] = to_item(
                    {
                        "gsi2pk": partition,
                        "gsi2sk": position["id"],
                        "pk": f"PRODUCT#{position['id']}",
                        "sk": "PRODUCT",
                    }
                )
            with translated_errors("list_products"):
                answer = self._client.query(**args)
            items += [Product.model_validate(from_item(i)["product"]) for i in answer["Items"]]
            if len(items) >= limit:
                last = answer.get("LastEvaluatedKey")
                more = last is not None or partition != partitions[-1]
                next_cursor = (
                    encode_cursor({"p": partition, "id": items[-1].product_id}) if more else None
                )
                return Page(items, next_cursor)
            position = None
        return Page(items, None)

    def save(self, product: Product) -> None:
        with translated_errors("save_product"):
            self._client.put_item(TableName=self._table, Item=_product_item(product))

    def add(self, product: Product) -> None:
        """Store a new product; ConflictError when its id is taken (nothing is written)."""
        try:
            with translated_errors("add_product"):
                self._client.put_item(
                    TableName=self._table,
                    Item=_product_item(product),
                    ConditionExpression="attribute_not_exists(pk)",
                )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            raise ConflictError(
                f"There is already a product {product.product_id!r} in the catalog.",
                code="PRODUCT_EXISTS",
            ) from exc


def _product_item(product: Product) -> dict[str, Any]:
    partition = "CATALOG#ACTIVE" if product.active else "CATALOG#INACTIVE"
    return to_item(
        {
            "pk": f"PRODUCT#{product.product_id}",
            "sk": "PRODUCT",
            "type": "PRODUCT",
            "gsi2pk": partition,
            "gsi2sk": product.product_id,
            "product": product.model_dump(mode="json"),
        }
    )


# ---------------------------------------------------------------------------- orders


def _iso(value: datetime | None) -> str | None:
    return isoformat_z(value) if value is not None else None


def _date(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def order_to_item(order: Order) -> dict[str, Any]:
    created = isoformat_z(order.created_at)
    c, price, r = order.customization, order.price, order.review
    values: dict[str, Any] = {
        "pk": f"ORDER#{order.order_id}",
        "sk": "ORDER",
        "type": "ORDER",
        "gsi1pk": f"CUSTOMER#{order.customer_id}",
        "gsi1sk": f"{created}#{order.order_id}",
        "gsi2pk": f"STATUS#{order.status}",
        "gsi2sk": f"{created}#{order.order_id}",
        "order_id": order.order_id,
        "customer_id": order.customer_id,
        "status": str(order.status),
        "version": order.version,
        "product_id": order.product_id,
        "product": {
            "name": order.product.name,
            "price_cents": order.product.price_cents,
            "currency": order.product.currency,
            "sizes": list(order.product.sizes),
            "customization": order.product.customization.model_dump(mode="json"),
        },
        "size": order.size,
        "customization": _drop_none(
            {"style": c.style, "color": c.color, "expression": c.expression, "remarks": c.remarks}
        ),
        "contact": _drop_none(
            {"name": order.contact.name, "email": order.contact.email, "phone": order.contact.phone}
        ),
        "shipping_address": _drop_none(vars(order.shipping_address)),
        "price": {
            "product_cents": price.product_cents,
            "customization_fee_cents": price.customization_fee_cents,
            "surcharge_cents": price.surcharge_cents,
            "currency": price.currency,
        },
        "payments": [_payment_value(p) for p in order.payments],
        "flags": list(order.flags),
        "reminder_at": _iso(order.reminder_at),
        "ship_watch": None
        if order.ship_watch is None
        else {
            "ship_date": order.ship_watch.ship_date.isoformat(),
            "warn_at": isoformat_z(order.ship_watch.warn_at),
            "late_at": isoformat_z(order.ship_watch.late_at),
            "warned": order.ship_watch.warned,
            "late": order.ship_watch.late,
        },
        "claim_deadline": _iso(order.claim_deadline),
        "claims": [_claim_values(c) for c in order.claims],
        "terms_version": order.terms_version,
        "idempotency_key": order.idempotency_key,
        "created_at": created,
        "payment_due_at": isoformat_z(order.payment_due_at),
        "paid_at": _iso(order.paid_at),
        "ship_by": _date(order.ship_by),
        "review": {
            "required": r.required,
            "reasons": [vars(reason) for reason in r.reasons],
            "surcharge": None
            if r.surcharge is None
            else {
                "cents": r.surcharge.cents,
                "note": r.surcharge.note,
                "due_at": isoformat_z(r.surcharge.due_at),
            },
        },
        "delay": None
        if order.delay is None
        else {
            "reason": order.delay.reason,
            "expected_ship_date": order.delay.expected_ship_date.isoformat(),
        },
        "shipment": None
        if order.shipment is None
        else _drop_none(
            {
                "carrier": order.shipment.carrier,
                "tracking_number": order.shipment.tracking_number,
                "shipped_at": isoformat_z(order.shipment.shipped_at),
                "delivered_at": _iso(order.shipment.delivered_at),
            }
        ),
        "checkout": None
        if order.checkout is None
        else {
            "provider": order.checkout.provider,
            "url": order.checkout.url,
            "session_id": order.checkout.session_id,
            "expires_at": isoformat_z(order.checkout.expires_at),
        },
    }
    values["review"] = _drop_none(values["review"])
    return to_item(values)


def _payment_value(p: Payment) -> dict[str, Any]:
    """What the refunded total is made of (the total is derived, `Payment.refunded_cents`);
    a part that is zero or empty is left out, as most payments have none."""
    value: dict[str, Any] = {
        "payment_intent": p.payment_intent,
        "amount_cents": p.amount_cents,
        "currency": p.currency,
        "paid_at": isoformat_z(p.paid_at),
        "accepted": p.accepted,
    }
    if p.own_refunded_cents:
        value["own_refunded_cents"] = p.own_refunded_cents
    if p.provider_refunded_cents:
        value["provider_refunded_cents"] = p.provider_refunded_cents
    if p.refund_ids:
        value["refund_ids"] = list(p.refund_ids)
    if p.provider_reported_at is not None:
        value["provider_reported_at"] = isoformat_z(p.provider_reported_at)
    if p.failed_refunds:
        value["failed_refunds"] = [
            _drop_none(
                {
                    "refund_id": f.refund_id,
                    "cents": f.cents,
                    "made_at": _iso(f.made_at),
                    "failed_at": isoformat_z(f.failed_at),
                }
            )
            for f in p.failed_refunds
        ]
    return value


def _drop_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def item_to_order(item: Mapping[str, Any]) -> Order:
    v = from_item(item)
    review = v["review"]
    surcharge = review.get("surcharge")
    delay, shipment, checkout = v.get("delay"), v.get("shipment"), v.get("checkout")
    order = Order(
        order_id=v["order_id"],
        customer_id=v["customer_id"],
        status=OrderStatus(v["status"]),
        product_id=v["product_id"],
        product=ProductSnapshot(
            name=v["product"]["name"],
            price_cents=v["product"]["price_cents"],
            currency=v["product"]["currency"],
            sizes=tuple(v["product"]["sizes"]),
            customization=CustomizationRange.model_validate(v["product"]["customization"]),
        ),
        size=v.get("size"),
        customization=Customization(**v["customization"]),
        contact=Contact(**v["contact"]),
        shipping_address=Address(**v["shipping_address"]),
        price=Price(**v["price"]),
        payments=tuple(
            Payment(
                payment_intent=p["payment_intent"],
                amount_cents=p["amount_cents"],
                currency=p["currency"],
                paid_at=parse_iso(p["paid_at"]),
                accepted=p["accepted"],
                own_refunded_cents=p.get("own_refunded_cents", 0),
                provider_refunded_cents=p.get("provider_refunded_cents", 0),
                refund_ids=tuple(p.get("refund_ids", ())),
                provider_reported_at=(
                    parse_iso(p["provider_reported_at"]) if p.get("provider_reported_at") else None
                ),
                failed_refunds=tuple(
                    FailedRefund(
                        f["refund_id"],
                        f["cents"],
                        parse_iso(f["made_at"]) if f.get("made_at") else None,
                        parse_iso(f["failed_at"]),
                    )
                    for f in p.get("failed_refunds", [])
                ),
            )
            for p in v.get("payments", [])
        ),
        flags=tuple(v.get("flags", [])),
        reminder_at=parse_iso(v["reminder_at"]) if v.get("reminder_at") else None,
        ship_watch=_ship_watch(v.get("ship_watch")),
        claim_deadline=parse_iso(v["claim_deadline"]) if v.get("claim_deadline") else None,
        claims=tuple(_claim(c) for c in v.get("claims", [])),
        terms_version=v["terms_version"],
        idempotency_key=v.get("idempotency_key"),
        created_at=parse_iso(v["created_at"]),
        payment_due_at=parse_iso(v["payment_due_at"]),
        review=Review(
            required=review["required"],
            reasons=tuple(ReviewReason(**reason) for reason in review["reasons"]),
            surcharge=None
            if surcharge is None
            else Surcharge(surcharge["cents"], surcharge["note"], parse_iso(surcharge["due_at"])),
        ),
        version=v["version"],
        paid_at=parse_iso(v["paid_at"]) if v.get("paid_at") else None,
        ship_by=date.fromisoformat(v["ship_by"]) if v.get("ship_by") else None,
        delay=None
        if delay is None
        else Delay(delay["reason"], date.fromisoformat(delay["expected_ship_date"])),
        shipment=None
        if shipment is None
        else Shipment(
            shipment["carrier"],
            shipment["tracking_number"],
            parse_iso(shipment["shipped_at"]),
            parse_iso(shipment["delivered_at"]) if shipment.get("delivered_at") else None,
        ),
        checkout=None
        if checkout is None
        else Checkout(
            checkout["provider"],
            checkout["url"],
            checkout["session_id"],
            parse_iso(checkout["expires_at"]),
        ),
    )
    return order


def _claim_values(claim: Claim) -> dict[str, Any]:
    resolution = claim.resolution
    label = resolution.return_label if resolution else None
    return {
        "claim_id": claim.claim_id,
        "status": str(claim.status),
        "reason": str(claim.reason),
        "description": claim.description,
        "created_at": isoformat_z(claim.created_at),
        "claim_deadline": isoformat_z(claim.claim_deadline),
        "evidence": [_drop_none(vars(e) | {"status": str(e.status)}) for e in claim.evidence],
        "resolution": None
        if resolution is None
        else _drop_none(
            {
                "decision": resolution.decision,
                "kind": resolution.kind,
                "note": resolution.note,
                "return_label": None if label is None else vars(label),
            }
        ),
    }


def _claim(values: Mapping[str, Any]) -> Claim:
    resolution = values.get("resolution")
    label = (resolution or {}).get("return_label")
    return Claim(
        claim_id=values["claim_id"],
        status=ClaimStatus(values["status"]),
        reason=ClaimReason(values["reason"]),
        description=values["description"],
        created_at=parse_iso(values["created_at"]),
        claim_deadline=parse_iso(values["claim_deadline"]),
        evidence=tuple(
            Evidence(**{**e, "status": EvidenceStatus(e["status"])}) for e in values["evidence"]
        ),
        resolution=None
        if resolution is None
        else Resolution(
            resolution["decision"],
            resolution.get("kind"),
            resolution.get("note"),
            None if label is None else ReturnLabel(**label),
        ),
    )


def _ship_watch(values: Mapping[str, Any] | None) -> ShipWatch | None:
    if not values:
        return None
    return ShipWatch(
        ship_date=date.fromisoformat(values["ship_date"]),
        warn_at=parse_iso(values["warn_at"]),
        late_at=parse_iso(values["late_at"]),
        warned=values["warned"],
        late=values["late"],
    )


def history_to_item(order_id: str, entry: HistoryEntry) -> dict[str, Any]:
    at = isoformat_z(entry.at)
    return to_item(
        {
            "pk": f"ORDER#{order_id}",
            "sk": f"HISTORY#{entry.version:06d}",
            "type": "HISTORY",
            "order_id": order_id,
            "version": entry.version,
            "at": at,
            "actor": entry.actor,
            "from_status": None if entry.from_status is None else str(entry.from_status),
            "to_status": str(entry.to_status),
            "reason": entry.reason,
            "event_type": entry.event_type,
            "event_id": entry.event_id,
            "data": dict(entry.data),
        }
    )


def _due_item(order_id: str, kind: DueKind, due_at: datetime) -> dict[str, Any]:
    return to_item(
        {
            "pk": f"ORDER#{order_id}",
            "sk": f"DUE#{kind}",
            "type": "DUE",
            "gsi3pk": f"DUE#{kind}",
            "gsi3sk": f"{isoformat_z(due_at)}#{order_id}",
        }
    )


class DynamoOrderRepository:
    def __init__(self, client: DynamoDBClient, table_name: str, clock: Clock) -> None:
        self._client = client
        self._table = table_name
        self._clock = clock
        self._seen = Seen()

    def _loaded(self, item: Mapping[str, Any]) -> Order:
        order = item_to_order(item)
        self._seen.remember(order)
        return order

    def new_payments(self, order: Order) -> tuple[Payment, ...]:
        return self._seen.new_payments(order)

    def get(self, order_id: str) -> Order | None:
        with translated_errors("get_order"):
            answer = self._client.get_item(
                TableName=self._table, Key=order_key(order_id), ConsistentRead=True
            )
        item = answer.get("Item")
        return self._loaded(item) if item else None

    def list_for_customer(self, customer_id: str, *, limit: int, cursor: str | None) -> Page[Order]:
        # Newest first. The cursor is rebuilt inside the caller's own partition, so it can
        # never reach another customer's orders.
        return self._orders_page(
            "ByCustomer",
            "gsi1",
            f"CUSTOMER#{customer_id}",
            newest_first=True,
            limit=limit,
            cursor=cursor,
        )

    def add(self, order: Order) -> None:
        writes: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": order_to_item(order),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        ]
        if order.checkout is not None:
            writes.append(
                self._pointer(f"CHECKOUT#{order.checkout.session_id}", "CHECKOUT", order.order_id)
            )
        writes += self._history_and_due(order, previous_due={})
        with translated_errors("add_order"):
            self._client.transact_write_items(TransactItems=writes)  # type: ignore[arg-type]
        self._seen.remember(order)

    def save(
        self,
        order: Order,
        *,
        event_id: str | None = None,
        parked: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        read = self._seen.of(order)
        status, version = read.status, read.version
        writes: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": order_to_item(order),
                    "ConditionExpression": "#s = :s AND version = :v",
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": to_item({":s": str(status), ":v": version}),
                }
            }
        ]
        writes += self._history_and_due(order, previous_due=dict(read.due))
        for payment in self._seen.new_payments(order):
            intent = payment.payment_intent
            writes.append(self._pointer(f"PAYMENT#{intent}", "PAYMENT", order.order_id))
            writes += self._absorb_parked(intent, (parked or {}).get(intent, ()), order.order_id)
        session = order.checkout.session_id if order.checkout else None
        if session is not None and session != read.checkout_session:
            writes.append(self._pointer(f"CHECKOUT#{session}", "CHECKOUT", order.order_id))
        before = dict(read.claims)
        for claim in order.claims:
            if before.get(claim.claim_id) != claim.status:
                writes.append(self._claim_pointer(order.order_id, claim))
        if event_id is not None:
            writes.append(self._ledger(event_id, order.order_id))  # last: see below
        try:
            with translated_errors("save_order"):
                self._client.transact_write_items(TransactItems=writes)  # type: ignore[arg-type]
        except ConflictError as exc:
            if event_id is not None and cancellation_codes(exc)[-1:] == ["ConditionalCheckFailed"]:
                raise DuplicateEventError("This provider event was already applied.") from exc
            raise
        self._seen.remember(order)

    def _ledger(self, event_id: str, order_id: str) -> dict[str, Any]:
        ledger = self._pointer(f"WEBHOOK#{event_id}", "WEBHOOK", order_id)
        ledger["Put"]["ConditionExpression"] = "attribute_not_exists(pk)"
        expires = self._clock.now() + LEDGER_RETENTION
        ledger["Put"]["Item"]["expires_at"] = {"N": str(int(expires.timestamp()))}
        return ledger

    def _absorb_parked(
        self, payment_intent: str, event_ids: Sequence[str], order_id: str
    ) -> list[dict[str, Any]]:
        """A new payment's parked events: exactly those applied (none: nothing parked), their
        parking removed and each recorded in the ledger."""
        key = _parked_key(payment_intent)
        if not event_ids:
            return [
                {
                    "ConditionCheck": {
                        "TableName": self._table,
                        "Key": key,
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            ]
        writes: list[dict[str, Any]] = [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": key,
                    "ConditionExpression": "#n = :n",
                    "ExpressionAttributeNames": {"#n": "parked_count"},
                    "ExpressionAttributeValues": to_item({":n": len(event_ids)}),
                }
            }
        ]
        return writes + [self._ledger(event_id, order_id) for event_id in event_ids]

    def park_event(self, payment_intent: str, event_id: str, record: Mapping[str, Any]) -> bool:
        expires = self._clock.now() + PARKED_RETENTION
        writes: list[dict[str, Any]] = [
            {
                # Only while no order records the payment: the payment's own save is
                # conditioned on this item, so one of the two always sees the other.
                "ConditionCheck": {
                    "TableName": self._table,
                    "Key": to_item({"pk": f"PAYMENT#{payment_intent}", "sk": "PAYMENT"}),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Update": {
                    "TableName": self._table,
                    "Key": _parked_key(payment_intent),
                    "UpdateExpression": (
                        "SET #e = list_append(if_not_exists(#e, :none), :one), #x = :x, "
                        "#t = :t ADD #ids :ids, #n :inc"
                    ),
                    "ConditionExpression": (
                        "attribute_not_exists(pk) OR (NOT contains(#ids, :id) AND #n < :max)"
                    ),
                    "ExpressionAttributeNames": {
                        "#e": "events",
                        "#x": "expires_at",
                        "#t": "type",
                        "#ids": "event_ids",
                        "#n": "parked_count",
                    },
                    "ExpressionAttributeValues": {
                        **to_item(
                            {
                                ":none": [],
                                ":one": [dict(record)],
                                ":x": int(expires.timestamp()),
                                ":t": "PARKED",
                                ":id": event_id,
                                ":inc": 1,
                                ":max": MAX_PARKED_EVENTS,
                            }
                        ),
                        ":ids": {"SS": [event_id]},
                    },
                }
            },
        ]
        try:
            with translated_errors("park_event"):
                self._client.transact_write_items(TransactItems=writes)  # type: ignore[arg-type]
        except ConflictError as exc:
            if cancellation_codes(exc)[:1] == ["ConditionalCheckFailed"]:
                raise ConflictError(
                    "The payment was recorded while this event was kept; try again.",
                    code="CONCURRENT_UPDATE",
                ) from exc
            if any(r["event_id"] == event_id for r in self.parked_events(payment_intent)):
                return False
            raise too_many_parked_events(payment_intent) from exc
        return True

    def parked_events(self, payment_intent: str) -> list[Mapping[str, Any]]:
        with translated_errors("parked_events"):
            answer = self._client.get_item(
                TableName=self._table, Key=_parked_key(payment_intent), ConsistentRead=True
            )
        item = answer.get("Item")
        return list(from_item(item)["events"]) if item else []

    def find_by_payment_intent(self, payment_intent: str) -> Order | None:
        return self._by_pointer(f"PAYMENT#{payment_intent}", "PAYMENT")

    def list_by_status(self, status: OrderStatus, *, limit: int, cursor: str | None) -> Page[Order]:
        return self._orders_page(
            "ByStatus", "gsi2", f"STATUS#{status}", newest_first=False, limit=limit, cursor=cursor
        )

    def _orders_page(
        self,
        index: str,
        prefix: str,
        partition: str,
        *,
        newest_first: bool,
        limit: int,
        cursor: str | None,
    ) -> Page[Order]:
        """One page of orders from an index whose sort key is `<created_at>#<order_id>`."""
        pk, sk = f"{prefix}pk", f"{prefix}sk"
        args: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index,
            "KeyConditionExpression": f"{pk} = :p",
            "ExpressionAttributeValues": to_item({":p": partition}),
            "ScanIndexForward": not newest_first,
            "Limit": limit,
        }
        if cursor:
            position = decode_cursor(cursor, ("s", "o"))
            args["ExclusiveStartKey"] = to_item(
                {pk: partition, sk: position["s"], "pk": f"ORDER#{position['o']}", "sk": "ORDER"}
            )
        with translated_errors("list_orders"):
            answer = self._client.query(**args)
        orders = [self._loaded(item) for item in answer["Items"]]
        last = answer.get("LastEvaluatedKey")
        next_cursor = None
        if last is not None and orders:
            values = from_item(last)
            next_cursor = encode_cursor({"s": values[sk], "o": values["pk"].removeprefix("ORDER#")})
        return Page(orders, next_cursor)

    def details(self, order_id: str) -> OrderDetails | None:
        args: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": to_item({":pk": f"ORDER#{order_id}"}),
            "ConsistentRead": True,
        }
        items: list[dict[str, Any]] = []
        while True:
            with translated_errors("order_details"):
                answer = self._client.query(**args)
            items += answer["Items"]
            if "LastEvaluatedKey" not in answer:
                break
            args["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        order, history, messages = None, [], []
        for item in items:
            kind = item.get("type", {}).get("S")
            if kind == "ORDER":
                order = self._loaded(item)
            elif kind == "HISTORY":
                history.append(_history_entry(from_item(item)))
            elif kind == "MESSAGE":
                messages.append(_message(from_item(item)))
        if order is None:
            return None
        history.sort(key=lambda h: h.version)
        messages.sort(key=lambda m: (m.at, m.message_id))
        return OrderDetails(order, history, messages)

    def add_message(self, message: Message) -> None:
        at = isoformat_z(message.at)
        item = {
            "pk": f"ORDER#{message.order_id}",
            "sk": f"MSG#{at}#{message.message_id}",
            "type": "MESSAGE",
            "order_id": message.order_id,
            "message_id": message.message_id,
            "author": message.author,
            "author_id": message.author_id,
            "text": message.text,
            "at": at,
            "event_type": EventType.MESSAGE_POSTED,
            "event_id": message.event_id,
        }
        with translated_errors("add_message"):
            self._client.put_item(
                TableName=self._table,
                Item=to_item(item),
                ConditionExpression="attribute_not_exists(pk)",
            )

    def redact_messages(self, order_id: str) -> None:
        args: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :m)",
            "ExpressionAttributeValues": to_item({":pk": f"ORDER#{order_id}", ":m": "MSG#"}),
            "ProjectionExpression": "pk, sk",
        }
        while True:
            with translated_errors("find_messages"):
                answer = self._client.query(**args)
            for key in answer["Items"]:
                with translated_errors("redact_message"):
                    self._client.update_item(
                        TableName=self._table,
                        Key=key,
                        UpdateExpression="SET #t = :erased",
                        ExpressionAttributeNames={"#t": "text"},
                        ExpressionAttributeValues=to_item({":erased": ERASED}),
                    )
            if "LastEvaluatedKey" not in answer:
                return
            args["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def find_by_checkout_session(self, session_id: str) -> Order | None:
        return self._by_pointer(f"CHECKOUT#{session_id}", "CHECKOUT")

    def _by_pointer(self, pk: str, sk: str) -> Order | None:
        with translated_errors("find_by_pointer"):
            answer = self._client.get_item(TableName=self._table, Key=to_item({"pk": pk, "sk": sk}))
        item = answer.get("Item")
        return self.get(from_item(item)["order_id"]) if item else None

    def due(self, kind: DueKind, until: datetime, *, page_size: int = 100) -> Iterator[str]:
        # Sort keys are "<due time>#<order id>"; "$" sorts right after "#", so the bound takes
        # every entry due at or before `until`'s second.
        args: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "ByDue",
            "KeyConditionExpression": "gsi3pk = :k AND gsi3sk < :until",
            "ExpressionAttributeValues": to_item(
                {":k": f"DUE#{kind}", ":until": isoformat_z(until) + "$"}
            ),
            "Limit": page_size,
        }
        while True:
            with translated_errors("query_due"):
                answer = self._client.query(**args)
            for item in answer["Items"]:
                yield from_item(item)["pk"].removeprefix("ORDER#")
            if "LastEvaluatedKey" not in answer:
                return
            args["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def _claim_pointer(self, order_id: str, claim: Claim) -> dict[str, Any]:
        """Lists claims by status for staff (the claim id itself names its order)."""
        put = self._pointer(f"CLAIM#{claim.claim_id}", "CLAIM", order_id)
        put["Put"]["Item"].update(
            to_item(
                {
                    "claim_id": claim.claim_id,
                    "gsi2pk": f"CLAIMS#{claim.status}",
                    "gsi2sk": f"{isoformat_z(claim.created_at)}#{claim.claim_id}",
                }
            )
        )
        return put

    def claims_by_status(self, status: ClaimStatus, *, limit: int, cursor: str | None) -> Page[str]:
        """Claim ids in one status, oldest first (their orders are read one by one)."""
        args: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "ByStatus",
            "KeyConditionExpression": "gsi2pk = :p",
            "ExpressionAttributeValues": to_item({":p": f"CLAIMS#{status}"}),
            "Limit": limit,
        }
        if cursor:
            position = decode_cursor(cursor, ("s", "c"))
            args["ExclusiveStartKey"] = to_item(
                {
                    "gsi2pk": f"CLAIMS#{status}",
                    "gsi2sk": position["s"],
                    "pk": f"CLAIM#{position['c']}",
                    "sk": "CLAIM",
                }
            )
        with translated_errors("list_claims"):
            answer = self._client.query(**args)
        ids = [from_item(item)["claim_id"] for item in answer["Items"]]
        last = answer.get("LastEvaluatedKey")
        next_cursor = None
        if last is not None and ids:
            values = from_item(last)
            next_cursor = encode_cursor({"s": values["gsi2sk"], "c": ids[-1]})
        return Page(ids, next_cursor)

    def _pointer(self, pk: str, sk: str, order_id: str) -> dict[str, Any]:
        item = {"pk": pk, "sk": sk, "type": "POINTER", "order_id": order_id}
        return {"Put": {"TableName": self._table, "Item": to_item(item)}}

    def _history_and_due(
        self, order: Order, previous_due: dict[str, datetime]
    ) -> list[dict[str, Any]]:
        """History entries, plus the due-index entries that appeared, moved or went away."""
        writes: list[dict[str, Any]] = [
            {"Put": {"TableName": self._table, "Item": history_to_item(order.order_id, entry)}}
            for entry in order.new_history
        ]
        due = order.due_entries()
        writes += [
            {"Put": {"TableName": self._table, "Item": _due_item(order.order_id, kind, at)}}
            for kind, at in due.items()
            if previous_due.get(kind) != at
        ]
        writes += [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": to_item({"pk": f"ORDER#{order.order_id}", "sk": f"DUE#{kind}"}),
                }
            }
            for kind in sorted(set(previous_due) - set(due))
        ]
        return writes


def _parked_key(payment_intent: str) -> dict[str, Any]:
    return to_item({"pk": f"PARKED#{payment_intent}", "sk": "PARKED"})


def _history_entry(values: Mapping[str, Any]) -> HistoryEntry:
    return HistoryEntry(
        version=values["version"],
        at=parse_iso(values["at"]),
        actor=values["actor"],
        from_status=OrderStatus(values["from_status"]) if values.get("from_status") else None,
        to_status=OrderStatus(values["to_status"]),
        reason=values["reason"],
        event_type=values["event_type"],
        event_id=values["event_id"],
        data=values.get("data", {}),
    )


def _message(values: Mapping[str, Any]) -> Message:
    return Message(
        message_id=values["message_id"],
        order_id=values["order_id"],
        author=values["author"],
        author_id=values["author_id"],
        text=values["text"],
        at=parse_iso(values["at"]),
        event_id=values["event_id"],
    )
