"""Catalog products and the customization range each one publishes (P5)."""

from __future__ import annotations

import re
from typing import Annotated, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic.config import JsonDict

from atelier.domain.text import Shaped

ProductId = Annotated[
    str,
    Shaped(
        r"^[a-z0-9][a-z0-9-]{1,62}$",
        "2 to 63 lowercase letters, digits and hyphens, starting with a letter or digit, "
        "e.g. signet-ring",
    ),
]
OptionText = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OptionsRange(_Frozen):
    options: tuple[OptionText, ...] = ()


class ExpressionOptions(_Frozen):
    """A choice among fixed expressions, e.g. a figure's smiling or winking face."""

    kind: Literal["options"] = "options"
    options: tuple[OptionText, ...]


class ExpressionText(_Frozen):
    """Free text within limits, e.g. an engraving."""

    kind: Literal["text"] = "text"
    max_length: int = Field(strict=True, ge=1, le=200)
    allowed_pattern: str = Field(max_length=200)

    @field_validator("allowed_pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"allowed_pattern is not a valid regular expression: {exc}") from exc
        return value

    def matches(self, text: str) -> bool:
        return re.fullmatch(self.allowed_pattern, text) is not None


class FixedAttributes(_Frozen):
    """What the customer cannot change."""

    structure: str = Field(max_length=500)
    material: str = Field(max_length=200)
    size: str = Field(max_length=200)


class CustomizationRange(_Frozen):
    style: OptionsRange
    color: OptionsRange
    expression: Annotated[ExpressionOptions | ExpressionText, Field(discriminator="kind")]
    fixed: FixedAttributes


class ProductDetails(_Frozen):
    """Everything a catalog product is but its id: what staff send to replace one."""

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=4000)
    price_cents: int = Field(strict=True, gt=0, le=100_000_000)
    currency: Literal["USD"] = "USD"
    sizes: tuple[Annotated[str, StringConstraints(min_length=1, max_length=20)], ...] = ()
    customization: CustomizationRange
    active: bool = True

    @model_validator(mode="after")
    def _sizes_unique(self) -> Self:
        if len(set(self.sizes)) != len(self.sizes):
            raise ValueError("sizes must be unique")
        return self

    def with_id(self, product_id: str) -> Product:
        return Product.model_validate({**self.model_dump(), "product_id": product_id})


# A product as staff would add it: the example POST /staff/products documents
# (PUT /staff/products/{product_id} documents the same without its id, at a new price).
PRODUCT_EXAMPLE: JsonDict = {
    "product_id": "birthstone-pendant",
    "name": "Birthstone Pendant",
    "description": "A small faceted birthstone in a four-claw setting on a fine chain.",
    "price_cents": 8800,
    "currency": "USD",
    "sizes": [],
    "customization": {
        "style": {"options": ["round", "teardrop"]},
        "color": {"options": ["yellow gold", "silver"]},
        "expression": {"kind": "text", "max_length": 10, "allowed_pattern": "^[A-Za-z .&'-]*$"},
        "fixed": {
            "structure": "6 mm stone in a four-claw setting on a 45 cm chain",
            "material": "sterling silver, optional 14k gold vermeil",
            "size": "6 mm stone, 45 cm chain",
        },
    },
    "active": True,
}


class Product(ProductDetails):
    model_config = ConfigDict(json_schema_extra={"examples": [PRODUCT_EXAMPLE]})

    product_id: ProductId
