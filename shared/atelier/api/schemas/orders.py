"""Views both APIs show: a product, an order (staff see more of it), a message."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from atelier.api.schemas.text import Input, MessageText
from atelier.clock import isoformat_z
from atelier.domain.catalog import CustomizationRange, Product
from atelier.domain.messages import Message
from atelier.domain.order import Order


class ProductView(BaseModel):
    product_id: str
    name: str
    description: str
    price_cents: int
    currency: str
    sizes: list[str]
    customization: CustomizationRange

    @classmethod
    def of(cls, product: Product) -> ProductView:
        return cls.model_validate(product.model_dump(exclude={"active"}))


class CustomizationView(BaseModel):
    style: str | None
    color: str | None
    expression: str | None
    remarks: str | None


class AmountsView(BaseModel):
    product_cents: int
    customization_fee_cents: int
    surcharge_cents: int
    total_cents: int
    paid_cents: int
    refunded_cents: int
    currency: str


class ReviewReasonView(BaseModel):
    field: str
    code: str
    message: str


class SurchargeView(BaseModel):
    cents: int
    note: str
    due_at: str


class ReviewView(BaseModel):
    required: bool
    reasons: list[ReviewReasonView]
    surcharge: SurchargeView | None


class DelayView(BaseModel):
    reason: str
    expected_ship_date: str


class ShipmentView(BaseModel):
    carrier: str
    tracking_number: str
    shipped_at: str
    delivered_at: str | None


class CheckoutView(BaseModel):
    provider: str
    url: str
    session_id: str


class OrderView(BaseModel):
    """An order as its customer sees it. Times are ISO 8601 UTC; ship_by is a shop-local date."""

    order_id: str
    status: str
    product_id: str
    product_name: str
    size: str | None
    customization: CustomizationView
    amounts: AmountsView
    terms_version: str
    created_at: str
    payment_due_at: str
    paid_at: str | None
    ship_by: str | None
    review: ReviewView
    delay: DelayView | None
    shipment: ShipmentView | None
    checkout: CheckoutView | None
    claim_deadline: str | None = Field(
        default=None, description="After delivery: the last moment to file a quality claim."
    )

    @classmethod
    def of(cls, order: Order, now: datetime) -> OrderView:
        price, r, checkout = order.price, order.review, order.open_checkout(now)
        c = order.customization
        return cls(
            order_id=order.order_id,
            status=order.effective_status(now),
            product_id=order.product_id,
            product_name=order.product.name,
            size=order.size,
            customization=CustomizationView(
                style=c.style, color=c.color, expression=c.expression, remarks=c.remarks
            ),
            amounts=AmountsView(
                product_cents=price.product_cents,
                customization_fee_cents=price.customization_fee_cents,
                surcharge_cents=price.surcharge_cents,
                total_cents=price.total_cents,
                paid_cents=order.paid_cents,
                refunded_cents=order.refunded_cents,
                currency=price.currency,
            ),
            terms_version=order.terms_version,
            created_at=isoformat_z(order.created_at),
            payment_due_at=isoformat_z(order.payment_due_at),
            paid_at=isoformat_z(order.paid_at) if order.paid_at else None,
            ship_by=order.ship_by.isoformat() if order.ship_by else None,
            review=ReviewView(
                required=r.required,
                reasons=[ReviewReasonView(**vars(reason)) for reason in r.reasons],
                surcharge=None
                if r.surcharge is None
                else SurchargeView(
                    cents=r.surcharge.cents,
                    note=r.surcharge.note,
                    due_at=isoformat_z(r.surcharge.due_at),
                ),
            ),
            delay=None
            if order.delay is None
            else DelayView(
                reason=order.delay.reason,
                expected_ship_date=order.delay.expected_ship_date.isoformat(),
            ),
            shipment=None
            if order.shipment is None
            else ShipmentView(
                carrier=order.shipment.carrier,
                tracking_number=order.shipment.tracking_number,
                shipped_at=isoformat_z(order.shipment.shipped_at),
                delivered_at=isoformat_z(order.shipment.delivered_at)
                if order.shipment.delivered_at
                else None,
            ),
            checkout=None
            if checkout is None
            else CheckoutView(
                provider=checkout.provider, url=checkout.url, session_id=checkout.session_id
            ),
            claim_deadline=isoformat_z(order.claim_deadline) if order.claim_deadline else None,
        )


class MessageIn(Input):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"text": "Could the band be 1.5 mm thin instead of 2 mm?"}]}
    )

    text: MessageText


class MessageView(BaseModel):
    message_id: str
    author: str
    text: str
    at: str

    @classmethod
    def of(cls, message: Message) -> MessageView:
        return cls(
            message_id=message.message_id,
            author=message.author,
            text=message.text,
            at=isoformat_z(message.at),
        )
