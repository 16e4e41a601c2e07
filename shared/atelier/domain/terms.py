"""The customized-order terms in force (P6). A new version is a new constant here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Terms:
    version: str
    text: str


CURRENT_TERMS = Terms(
    version="2026-11-01",
    text=(
        "Customized orders. You describe the style, color and expression you want within the "
        "range published for the piece; requests outside that range, and any remarks, are read by "
        "a designer who may accept them, ask for a surcharge or decline them. You pay the piece's "
        "price plus a $10.00 customization fee within 24 hours of ordering, or the order expires. "
        "The workshop ships within 5 working days of payment and agreement. Customized pieces are "
        "not returned or exchanged except for quality problems (damaged, defective, or seriously "
        "different from the agreed request), claimed within 7 working days of delivery with photo "
        "or video evidence; the shop then remakes or replaces the piece at its own cost. "
        "Design copyright is held jointly by you and the shop. The shop may reuse design elements "
        "for internal reference and promotion, never together with your personal data."
    ),
)
