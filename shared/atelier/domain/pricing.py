"""P2: what an order costs. Integer cents only; the client never sends an amount."""

from __future__ import annotations

from dataclasses import dataclass

from atelier.domain.catalog import Product


@dataclass(frozen=True)
class Price:
    """What the order costs: the snapshot taken when it was placed, plus any agreed surcharge."""

    product_cents: int
    customization_fee_cents: int
    surcharge_cents: int = 0
    currency: str = "USD"

    @property
    def total_cents(self) -> int:
        return self.product_cents + self.customization_fee_cents + self.surcharge_cents


def price_order(product: Product, customization_fee_cents: int) -> Price:
    """Price plus the customization fee, once per order (prices include tax and shipping)."""
    if customization_fee_cents < 0:
        raise ValueError("the customization fee cannot be negative")
    return Price(
        product_cents=product.price_cents,
        customization_fee_cents=customization_fee_cents,
        currency=product.currency,
    )
