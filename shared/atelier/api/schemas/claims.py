"""Quality claims (P9, P10): what the customer files and uploads, what staff decide, and the
claim as both see it."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from atelier.api.schemas.text import Description, Input, Note, ShortText, clean
from atelier.clock import isoformat_z
from atelier.domain.claims import Claim


class ClaimIn(Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "reason": "DAMAGED",
                    "description": "The band arrived bent; the face is scratched.",
                }
            ]
        }
    )

    reason: Annotated[str, Field(min_length=1, max_length=40)] = Field(
        description="DAMAGED, DEFECTIVE or NOT_AS_SPECIFIED; any other reason is refused (P9)."
    )
    description: Description


class EvidenceIn(Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"filename": "bent-band.jpg", "content_type": "image/jpeg", "size_bytes": 245760}
            ]
        }
    )

    filename: Annotated[str, Field(min_length=1, max_length=200), clean(200, required=True)]
    content_type: Annotated[str, Field(min_length=1, max_length=100)]
    size_bytes: Annotated[int, Field(strict=True, ge=0, le=10_000_000_000)]


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


class ClaimDecisionIn(Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "decision": "APPROVE",
                    "resolution": "REMAKE",
                    "return_carrier": "USPS",
                    "shipping_cost_cents": 1600,
                }
            ]
        }
    )

    decision: Literal["APPROVE", "REJECT"]
    resolution: Literal["REMAKE", "REPLACE"] | None = None
    note: Note | None = Field(
        default=None, description="Shown to the customer; required to REJECT."
    )
    return_carrier: ShortText = "USPS"
    shipping_cost_cents: Annotated[int, Field(strict=True, ge=0, le=1_000_000)] = Field(
        default=0, description="The shop's cost for both legs (the return and the new shipment)."
    )

    @model_validator(mode="after")
    def _what_each_decision_needs(self) -> ClaimDecisionIn:
        if self.decision == "APPROVE" and self.resolution is None:
            raise ValueError("APPROVE needs a resolution: REMAKE or REPLACE")
        if self.decision == "REJECT" and self.note is None:
            raise ValueError("REJECT needs a note for the customer")
        return self
