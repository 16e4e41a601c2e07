"""staff_api's own bodies: the workshop's decisions, the staff view of an order and its
queue, and privacy (P6)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from atelier.api.schemas.claims import ClaimView
from atelier.api.schemas.orders import MessageView, OrderView
from atelier.api.schemas.text import Input, Note, ShortText
from atelier.clock import isoformat_z
from atelier.domain.text import Shaped
from atelier.ports import OrderDetails

if TYPE_CHECKING:
    from atelier.domain.calendar import WorkingCalendar
    from atelier.domain.order import Order


class ReviewIn(Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "decision": "SURCHARGE",
                    "surcharge_cents": 2500,
                    "note": "A thinner band needs a new mold.",
                }
            ]
        }
    )

    decision: Literal["ACCEPT", "SURCHARGE", "DECLINE"]
    surcharge_cents: Annotated[int, Field(strict=True, gt=0, le=10_000_000)] | None = None
    note: Note | None = Field(
        default=None, description="Shown to the customer; required for SURCHARGE and DECLINE."
    )

    @model_validator(mode="after")
    def _what_each_decision_needs(self) -> ReviewIn:
        if self.decision == "SURCHARGE" and (self.surcharge_cents is None or self.note is None):
            raise ValueError("a SURCHARGE needs surcharge_cents and a note for the customer")
        if self.decision == "DECLINE" and self.note is None:
            raise ValueError("a DECLINE needs a note for the customer")
        if self.decision != "SURCHARGE" and self.surcharge_cents is not None:
            raise ValueError("surcharge_cents goes with decision SURCHARGE only")
        return self


class StaffCancelIn(Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"reason": "The stone you chose is no longer available; we are very sorry."}
            ]
        }
    )

    reason: Note
    refund_cents: Annotated[int, Field(strict=True, ge=0, le=100_000_000)] | None = Field(
        default=None, description="Leave out for a full refund."
    )


# A fixed example must stay a working day in the future for as long as the docs are used: it is
# checked against the running stack (tests/e2e/test_openapi_examples.py) and needs moving on
# before it passes (docs/decisions.md).
DELAY_EXAMPLE_DATE = "2030-01-15"


class DelayIn(Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "reason": "The stone setter is out this week.",
                    "expected_ship_date": DELAY_EXAMPLE_DATE,
                }
            ]
        }
    )

    reason: Note
    expected_ship_date: date = Field(description="A working day after today, shop time.")


class ShipIn(Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"carrier": "UPS", "tracking_number": "1Z999AA10123456784"}]
        }
    )

    carrier: ShortText
    tracking_number: Annotated[
        str,
        Field(min_length=1, max_length=100),
        Shaped(
            r"^[\x21-\x7e ]+$",
            "the carrier's tracking number in plain letters, digits, spaces and punctuation "
            "(ASCII), e.g. 1Z999AA10123456784",
        ),
    ]


class DeliverIn(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [{}]})

    delivered_at: AwareDatetime | None = Field(
        default=None,
        description="When the carrier delivered it (e.g. 2026-12-07T15:30:00Z); now if left out.",
    )


class HistoryView(BaseModel):
    at: str
    actor: str
    from_status: str | None
    to_status: str
    reason: str
    event_type: str


class ContactView(BaseModel):
    name: str
    email: str
    phone: str | None


class AddressView(BaseModel):
    line1: str
    line2: str | None
    city: str
    region: str | None
    postal_code: str
    country: str


class StaffOrderView(OrderView):
    """An order as staff see it: with contact, address, history, messages and claims."""

    customer_id: str
    contact: ContactView
    shipping_address: AddressView
    flags: list[str]
    history: list[HistoryView]
    messages: list[MessageView]
    claims: list[ClaimView]

    @classmethod
    def of_details(cls, details: OrderDetails, now: datetime) -> StaffOrderView:
        order = details.order
        base = OrderView.of(order, now).model_dump()
        return cls(
            **base,
            customer_id=order.customer_id,
            contact=ContactView(**vars(order.contact)),
            shipping_address=AddressView(**vars(order.shipping_address)),
            flags=list(order.flags),
            history=[
                HistoryView(
                    at=isoformat_z(h.at),
                    actor=h.actor,
                    from_status=h.from_status,
                    to_status=h.to_status,
                    reason=h.reason,
                    event_type=h.event_type,
                )
                for h in details.history
            ],
            messages=[MessageView.of(m) for m in details.messages],
            claims=[ClaimView.of(order.order_id, c) for c in order.claims],
        )


class StaffOrderSummary(BaseModel):
    order_id: str
    status: str
    product_name: str
    created_at: str
    review_required: bool
    ship_by: str | None
    working_days_left: int | None = Field(
        description="Working days from today (shop time) to the watched ship date; 0 on the "
        "day itself, negative once late."
    )
    delayed: bool = Field(
        description="Staff recorded a delay (P7): `ship_by` is then the delay's expected date."
    )
    flags: list[str]

    @classmethod
    def of(cls, order: Order, now: datetime, calendar: WorkingCalendar) -> StaffOrderSummary:
        watched = order.ship_watch.ship_date if order.ship_watch else None
        return cls(
            order_id=order.order_id,
            status=order.status,
            product_name=order.product.name,
            created_at=isoformat_z(order.created_at),
            review_required=order.review.required,
            ship_by=watched.isoformat() if watched else None,
            working_days_left=order.working_days_left(now, calendar),
            delayed=order.delay is not None,
            flags=list(order.flags),
        )


class StaffOrderPage(BaseModel):
    items: list[StaffOrderSummary]
    next_cursor: str | None


class DesignView(BaseModel):
    """A design for reuse: nothing that identifies a customer or an order (no name, contact,
    address, remarks, engraving, free text, claim evidence, ids or dates)."""

    design_id: str = Field(
        description="The design's own id: the same choices on the same product share it; "
        "it names no order."
    )
    product_id: str
    product_name: str
    style: str | None = Field(description="Only one of the product's published styles.")
    color: str | None = Field(description="Only one of the product's published colors.")
    expression: str | None = Field(
        description="Only a published option (e.g. a face), never engraving text."
    )


class DesignPage(BaseModel):
    items: list[DesignView]
    next_cursor: str | None


class ErasureView(BaseModel):
    erased_order_ids: list[str]
    already_erased: int
    still_active_order_ids: list[str] = Field(
        description="Open, or inside their claim window: their data is still needed."
    )
