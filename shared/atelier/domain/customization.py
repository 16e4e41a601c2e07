"""A customer's customization request and its check against the product's range (P1, P4, P5)."""

from __future__ import annotations

from dataclasses import dataclass

from atelier.domain.catalog import CustomizationRange, ExpressionOptions, OptionsRange
from atelier.domain.errors import InvalidRequestError


@dataclass(frozen=True)
class Customization:
    style: str | None = None
    color: str | None = None
    expression: str | None = None
    remarks: str | None = None

    @classmethod
    def of(
        cls,
        style: str | None = None,
        color: str | None = None,
        expression: str | None = None,
        remarks: str | None = None,
    ) -> Customization:
        """Normalise: surrounding white space is dropped and blank counts as absent."""

        def clean(value: str | None) -> str | None:
            return (value.strip() or None) if value is not None else None

        return cls(clean(style), clean(color), clean(expression), clean(remarks))

    def is_empty(self) -> bool:
        return not (self.style or self.color or self.expression or self.remarks)


@dataclass(frozen=True)
class ReviewReason:
    field: str
    code: str
    message: str


def require_some_customization(request: Customization) -> None:
    """P1: at least one of style, color, expression and remarks is given."""
    if request.is_empty():
        raise InvalidRequestError(
            "Describe at least one change: a style, a color, an expression or remarks.",
            code="EMPTY_CUSTOMIZATION",
        )


def _canonical_option(value: str, offered: OptionsRange | ExpressionOptions) -> str | None:
    wanted = value.casefold()
    return next((option for option in offered.options if option.casefold() == wanted), None)


def agree_customization(
    allowed: CustomizationRange, request: Customization
) -> tuple[Customization, list[ReviewReason]]:
    """P4/P5: the request with offered options spelled as the catalog spells them, and the
    reasons a designer must review it (empty: agreed automatically)."""
    reasons: list[ReviewReason] = []
    style, color, expression = request.style, request.color, request.expression

    for field, value, offered in (("style", style, allowed.style), ("color", color, allowed.color)):
        if value is None:
            continue
        canonical = _canonical_option(value, offered)
        if canonical is None:
            listed = ", ".join(offered.options) or "none"
            reasons.append(
                ReviewReason(
                    field,
                    f"{field.upper()}_NOT_OFFERED",
                    f"This {field} is not in the piece's range (offered: {listed}); "
                    "a designer will review it.",
                )
            )
        elif field == "style":
            style = canonical
        else:
            color = canonical

    rule = allowed.expression
    if expression is not None:
        if isinstance(rule, ExpressionOptions):
            canonical = _canonical_option(expression, rule)
            if canonical is None:
                reasons.append(
                    ReviewReason(
                        "expression",
                        "EXPRESSION_NOT_OFFERED",
                        f"This expression is not offered (offered: {', '.join(rule.options)}); "
                        "a designer will review it.",
                    )
                )
            else:
                expression = canonical
        else:
            if len(expression) > rule.max_length:
                reasons.append(
                    ReviewReason(
                        "expression",
                        "ENGRAVING_TOO_LONG",
                        f"The engraving has {len(expression)} characters; this piece takes "
                        f"{rule.max_length}. A designer will review it.",
                    )
                )
            if not rule.matches(expression):
                reasons.append(
                    ReviewReason(
                        "expression",
                        "ENGRAVING_CHARACTERS_NOT_OFFERED",
                        "The engraving uses characters this piece cannot take; "
                        "a designer will review it.",
                    )
                )

    if request.remarks is not None:
        reasons.append(
            ReviewReason(
                "remarks",
                "REMARKS_NEED_REVIEW",
                "Remarks are read by a designer before production.",
            )
        )

    agreed = Customization(style, color, expression, request.remarks)
    return agreed, reasons
