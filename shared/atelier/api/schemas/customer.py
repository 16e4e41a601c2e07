"""orders_api's own bodies: placing an order, the terms, and the customer's pages."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from atelier.api.schemas.orders import MessageView, OrderView, ProductView
from atelier.api.schemas.text import (
    City,
    Expression,
    Input,
    Line,
    Name,
    Option,
    OptionalLine,
    PostalCode,
    Region,
    Remarks,
    clean,
)
from atelier.domain.countries import is_country_code
from atelier.domain.customization import Customization
from atelier.domain.order import Address, Contact
from atelier.domain.terms import CURRENT_TERMS
from atelier.domain.text import Shaped

COUNTRY_CODE = "a two-letter ISO country code, e.g. US"


def _assigned_country(code: str) -> str:
    if not is_country_code(code):
        raise ValueError(f"must be {COUNTRY_CODE} (ISO 3166-1 assigns no country this code)")
    return code


class CustomizationIn(Input):
    style: Option | None = None
    color: Option | None = None
    expression: Expression | None = Field(
        default=None, description="An engraving's text, or one of the offered expressions."
    )
    remarks: Remarks | None = Field(default=None, description="Read by a designer (P4).")

    def to_domain(self) -> Customization:
        return Customization.of(self.style, self.color, self.expression, self.remarks)


class ContactIn(Input):
    name: Name
    email: Annotated[
        str,
        Field(max_length=254),
        Shaped(
            r"^[^@\s\x00-\x1f]+@[^@\s\x00-\x1f]+\.[^@\s\x00-\x1f]+$",
            "an email address such as ada@example.com",
        ),
        clean(254, required=True),
    ]
    phone: (
        Annotated[
            str,
            Field(max_length=32),
            Shaped(
                r"^\+?[0-9 ()./-]{5,31}$",
                "a phone number of 5 to 31 digits, spaces and ( ) . / -, with an optional "
                "leading +, e.g. +1 555 0100",
            ),
            clean(32),
        ]
        | None
    ) = None

    def to_domain(self) -> Contact:
        return Contact(self.name.strip(), self.email.strip(), self.phone)


class AddressIn(Input):
    line1: Line
    line2: OptionalLine | None = None
    city: City
    region: Region | None = None
    postal_code: PostalCode
    country: Annotated[
        str,
        Field(description="ISO 3166-1 alpha-2, in capitals."),
        Shaped(r"^[A-Z]{2}$", COUNTRY_CODE),
        AfterValidator(_assigned_country),
    ]

    def to_domain(self) -> Address:
        return Address(
            line1=self.line1,
            line2=self.line2 or None,
            city=self.city,
            region=self.region or None,
            postal_code=self.postal_code,
            country=self.country,
        )


class CreateOrderIn(Input):
    """Prices, fees and totals are never sent: the server computes them (P2)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "product_id": "signet-ring",
                    "size": "7",
                    "customization": {"style": "oval", "color": "gold", "expression": "A & J"},
                    "contact": {
                        "name": "Ada Lovelace",
                        "email": "ada@example.com",
                        "phone": "+1 555 0100",
                    },
                    "shipping_address": {
                        "line1": "1 Main St",
                        "city": "Springfield",
                        "region": "IL",
                        "postal_code": "62701",
                        "country": "US",
                    },
                    "accept_terms_version": CURRENT_TERMS.version,
                }
            ]
        }
    )

    product_id: Annotated[str, Field(min_length=1, max_length=64)]
    size: Annotated[str, Field(min_length=1, max_length=20)] | None = None
    customization: CustomizationIn
    contact: ContactIn
    shipping_address: AddressIn
    accept_terms_version: Annotated[str, Field(min_length=1, max_length=40)] = Field(
        description="The version of GET /terms the customer accepted (P6)."
    )


class Terms(BaseModel):
    version: str
    text: str


class ProductPage(BaseModel):
    items: list[ProductView]
    next_cursor: str | None


class OrderPage(BaseModel):
    items: list[OrderView]
    next_cursor: str | None


class MessagePage(BaseModel):
    items: list[MessageView]
    next_cursor: str | None = None
