"""An order as the table's ORDER item, and back: attribute names are the stored format
(docs/data-model.md), so a change here is a data migration."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from atelier.adapters.dynamodb import keys
from atelier.adapters.items import from_item, to_item
from atelier.clock import isoformat_z, parse_iso
from atelier.domain.catalog import CustomizationRange
from atelier.domain.claims import (
    Claim,
    ClaimDecision,
    ClaimReason,
    ClaimStatus,
    Evidence,
    EvidenceStatus,
    Remedy,
    Resolution,
    ReturnLabel,
)
from atelier.domain.customization import Customization, ReviewReason
from atelier.domain.order import (
    Address,
    Checkout,
    Contact,
    Delay,
    FailedRefund,
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


def order_to_item(order: Order) -> dict[str, Any]:
    created = isoformat_z(order.created_at)
    c, price, r = order.customization, order.price, order.review
    values: dict[str, Any] = {
        "pk": keys.order_pk(order.order_id),
        "sk": keys.ORDER,
        "type": "ORDER",
        "gsi1pk": keys.customer_partition(order.customer_id),
        "gsi1sk": keys.by_time(order.created_at, order.order_id),
        "gsi2pk": keys.status_partition(order.status),
        "gsi2sk": keys.by_time(order.created_at, order.order_id),
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
            ClaimDecision(resolution["decision"]),
            Remedy(resolution["kind"]) if resolution.get("kind") else None,
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


def _iso(value: datetime | None) -> str | None:
    return isoformat_z(value) if value is not None else None


def _date(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _drop_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}
