"""Request and response bodies of the HTTP API. Stored items live in the adapters, not here."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from atelier.clock import isoformat_z
from atelier.domain.catalog import CustomizationRange, Product
from atelier.domain.claims import Claim
from atelier.domain.customization import Customization
from atelier.domain.messages import MESSAGE_CAP, Message
from atelier.domain.order import Address, Contact, Order
from atelier.domain.text import EXPRESSION_CAP, OPTION_CAP, REMARKS_CAP, check_text
from atelier.ports import OrderDetails


def _clean(cap: int, *, multiline: bool = False, required: bool = False) -> AfterValidator:
    """Hard cap, no control or format characters, outer white space dropped (422 otherwise)."""

    def validate(text: str) -> str:
        cleaned = check_text(text, cap=cap, multiline=multiline)
        if required and not cleaned:
            raise ValueError("must not be blank")
        return cleaned

    return AfterValidator(validate)


Option = Annotated[str, Field(max_length=OPTION_CAP), _clean(OPTION_CAP)]
Expression = Annotated[str, Field(max_length=EXPRESSION_CAP), _clean(EXPRESSION_CAP)]
Remarks = Annotated[str, Field(max_length=REMARKS_CAP), _clean(REMARKS_CAP, multiline=True)]
Name = Annotated[str, Field(min_length=1, max_length=200), _clean(200, required=True)]
Line = Annotated[str, Field(min_length=1, max_length=200), _clean(200, required=True)]
OptionalLine = Annotated[str, Field(max_length=200), _clean(200)]
City = Annotated[str, Field(min_length=1, max_length=100), _clean(100, required=True)]
Region = Annotated[str, Field(max_length=100), _clean(100)]
PostalCode = Annotated[str, Field(min_length=1, max_length=20), _clean(20, required=True)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class CustomizationIn(_In):
    style: Option | None = None
    color: Option | None = None
    expression: Expression | None = Field(
        default=None, description="An engraving's text, or one of the offered expressions."
    )
    remarks: Remarks | None = Field(default=None, description="Read by a designer (P4).")

    def to_domain(self) -> Customization:
        return Customization.of(self.style, self.color, self.expression, self.remarks)


class ContactIn(_In):
    name: Name
    email: Annotated[
        str,
        Field(max_length=254, pattern=r"^[^@\s\x00-\x1f]+@[^@\s\x00-\x1f]+\.[^@\s\x00-\x1f]+$"),
        _clean(254, required=True),
    ]
    phone: (
        Annotated[str, Field(max_length=32, pattern=r"^\+?[0-9 ()./-]{5,31}$"), _clean(32)] | None
    ) = None

    def to_domain(self) -> Contact:
        return Contact(self.name.strip(), self.email.strip(), self.phone)


class AddressIn(_In):
    line1: Line
    line2: OptionalLine | None = None
    city: City
    region: Region | None = None
    postal_code: PostalCode
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")]

    def to_domain(self) -> Address:
        return Address(
            line1=self.line1,
            line2=self.line2 or None,
            city=self.city,
            region=self.region or None,
            postal_code=self.postal_code,
            country=self.country,
        )


class CreateOrderIn(_In):
    """Prices, fees and totals are never sent: the server computes them (P2)."""

    product_id: Annotated[str, Field(min_length=1, max_length=64)]
    size: Annotated[str, Field(min_length=1, max_length=20)] | None = None
    customization: CustomizationIn
    contact: ContactIn
    shipping_address: AddressIn
    accept_terms_version: Annotated[str, Field(min_length=1, max_length=40)] = Field(
        description="The version of GET /terms the customer accepted (P6)."
    )


# ---------------------------------------------------------------------------- responses


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable UPPER_SNAKE code to branch on.")
    message: str = Field(description="What went wrong and what to do, for a person.")
    details: Any = None


class ErrorResponse(BaseModel):
    error: ErrorDetail


class Terms(BaseModel):
    version: str
    text: str


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


class ProductPage(BaseModel):
    items: list[ProductView]
    next_cursor: str | None


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


class OrderPage(BaseModel):
    items: list[OrderView]
    next_cursor: str | None


# ---------------------------------------------------------------------------- workshop

Note = Annotated[
    str, Field(min_length=1, max_length=2000), _clean(2000, multiline=True, required=True)
]
MessageText = Annotated[
    str,
    Field(min_length=1, max_length=MESSAGE_CAP),
    _clean(MESSAGE_CAP, multiline=True, required=True),
]
ShortText = Annotated[str, Field(min_length=1, max_length=100), _clean(100, required=True)]


class ReviewIn(_In):
    decision: Literal["ACCEPT", "SURCHARGE", "DECLINE"]
    surcharge_cents: Annotated[int, Field(gt=0, le=10_000_000)] | None = None
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


class StaffCancelIn(_In):
    reason: Note
    refund_cents: Annotated[int, Field(ge=0, le=100_000_000)] | None = Field(
        default=None, description="Leave out for a full refund."
    )


class DelayIn(_In):
    reason: Note
    expected_ship_date: date = Field(description="A working day after today, shop time.")


class ShipIn(_In):
    carrier: ShortText
    tracking_number: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[\x21-\x7e ]+$")]


class DeliverIn(_In):
    delivered_at: AwareDatetime


class MessageIn(_In):
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


class MessagePage(BaseModel):
    items: list[MessageView]
    next_cursor: str | None = None


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
    flags: list[str]


class StaffOrderPage(BaseModel):
    items: list[StaffOrderSummary]
    next_cursor: str | None


# ---------------------------------------------------------------------------- claims

Description = Annotated[
    str,
    Field(min_length=1, max_length=REMARKS_CAP),
    _clean(REMARKS_CAP, multiline=True, required=True),
]


class ClaimIn(_In):
    reason: Annotated[str, Field(min_length=1, max_length=40)] = Field(
        description="DAMAGED, DEFECTIVE or NOT_AS_SPECIFIED; any other reason is refused (P9)."
    )
    description: Description


class EvidenceIn(_In):
    filename: Annotated[str, Field(min_length=1, max_length=200), _clean(200, required=True)]
    content_type: Annotated[str, Field(min_length=1, max_length=100)]
    size_bytes: Annotated[int, Field(ge=0, le=10_000_000_000)]


class EvidenceTicketView(BaseModel):
    """A presigned S3 POST: send `fields` as form fields, then the file last, as `file`."""

    evidence_id: str
    url: str
    fields: dict[str, str]
    expires_at: str


class EvidenceView(BaseModel):
    evidence_id: str
    content_type: str
    size_bytes: int
    status: str
    rejection_reason: str | None
    download_url: str | None = Field(default=None, description="Staff only: 5 minutes.")


class ReturnLabelView(BaseModel):
    carrier: str
    reference: str
    cost_cents: int


class ResolutionView(BaseModel):
    decision: str
    kind: str | None
    note: str | None
    return_label: ReturnLabelView | None


class ClaimView(BaseModel):
    claim_id: str
    order_id: str
    status: str
    reason: str
    description: str
    claim_deadline: str
    evidence: list[EvidenceView]
    resolution: ResolutionView | None

    @classmethod
    def of(cls, order_id: str, claim: Claim, urls: dict[str, str] | None = None) -> ClaimView:
        r = claim.resolution
        label = r.return_label if r else None
        return cls(
            claim_id=claim.claim_id,
            order_id=order_id,
            status=claim.status,
            reason=claim.reason,
            description=claim.description,
            claim_deadline=isoformat_z(claim.claim_deadline),
            evidence=[
                EvidenceView(
                    evidence_id=e.evidence_id,
                    content_type=e.content_type,
                    size_bytes=e.size_bytes,
                    status=e.status,
                    rejection_reason=e.rejection_reason,
                    download_url=(urls or {}).get(e.evidence_id),
                )
                for e in claim.evidence
            ],
            resolution=None
            if r is None
            else ResolutionView(
                decision=r.decision,
                kind=r.kind,
                note=r.note,
                return_label=None if label is None else ReturnLabelView(**vars(label)),
            ),
        )


class ClaimPage(BaseModel):
    items: list[ClaimView]
    next_cursor: str | None


class ClaimDecisionIn(_In):
    decision: Literal["APPROVE", "REJECT"]
    resolution: Literal["REMAKE", "REPLACE"] | None = None
    note: Note | None = Field(
        default=None, description="Shown to the customer; required to REJECT."
    )
    return_carrier: ShortText = "USPS"
    shipping_cost_cents: Annotated[int, Field(ge=0, le=1_000_000)] = Field(
        default=0, description="The shop's cost for both legs (the return and the new shipment)."
    )

    @model_validator(mode="after")
    def _what_each_decision_needs(self) -> ClaimDecisionIn:
        if self.decision == "APPROVE" and self.resolution is None:
            raise ValueError("APPROVE needs a resolution: REMAKE or REPLACE")
        if self.decision == "REJECT" and self.note is None:
            raise ValueError("REJECT needs a note for the customer")
        return self


# ---------------------------------------------------------------------------- privacy (P6)


class DesignView(BaseModel):
    """A design for reuse: no personal data (no name, contact, address, remarks or engraving)."""

    design_id: str
    product_id: str
    product_name: str
    style: str | None
    color: str | None
    expression: str | None = Field(description="Only a chosen option (e.g. a face), never text.")
    evidence_keys: list[str]


class DesignPage(BaseModel):
    items: list[DesignView]
    next_cursor: str | None


class ErasureView(BaseModel):
    erased_order_ids: list[str]
    already_erased: int
    still_active_order_ids: list[str] = Field(
        description="Open, or inside their claim window: their data is still needed."
    )
