"""Quality claims (P9, P10): the claim, its evidence and the shop's resolution."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from atelier.domain.errors import InvalidRequestError

MAX_EVIDENCE_FILES = 10
# Upload tickets a claim is given, rejected uploads included: each ticket is kept on the order
# item (DynamoDB caps an item at 400 KB), so the count of them must be bounded, not only the
# files that pass. Twice the files a claim holds leaves room for honest retries.
MAX_UPLOADS_PER_CLAIM = 2 * MAX_EVIDENCE_FILES
# Claims one order takes over its life (after a rejection, or on a remade piece); the claims
# live in the order item too.
MAX_CLAIMS_PER_ORDER = 5

NOT_COVERED = (
    "Customized pieces are made to your request, so they are not returned or exchanged for a "
    "change of mind, a wrong size or any other reason than quality. A claim covers a piece that "
    "arrived damaged (DAMAGED), has a production defect (DEFECTIVE), or differs seriously from the "
    "agreed request (NOT_AS_SPECIFIED)."
)


class ClaimReason(StrEnum):
    DAMAGED = "DAMAGED"
    DEFECTIVE = "DEFECTIVE"
    NOT_AS_SPECIFIED = "NOT_AS_SPECIFIED"

    @classmethod
    def parse(cls, text: str) -> ClaimReason:
        """P9: only quality reasons; anything else is refused with the policy's explanation."""
        try:
            return cls(text)
        except ValueError:
            raise InvalidRequestError(
                NOT_COVERED,
                code="CLAIM_REASON_NOT_COVERED",
                details={"allowed": [r.value for r in cls]},
            ) from None


class ClaimStatus(StrEnum):
    AWAITING_EVIDENCE = "AWAITING_EVIDENCE"
    SUBMITTED = "SUBMITTED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    RESOLVED = "RESOLVED"
    LAPSED = "LAPSED"


OPEN_CLAIM = frozenset({ClaimStatus.AWAITING_EVIDENCE, ClaimStatus.SUBMITTED, ClaimStatus.APPROVED})


class EvidenceStatus(StrEnum):
    PENDING = "PENDING"  # a ticket was issued; the upload has not been checked yet
    VERIFIED = "VERIFIED"
    REJECTED = "REJECTED"


@dataclass(frozen=True)
class Evidence:
    evidence_id: str
    key: str  # claims/{claim_id}/{evidence_id}: chosen by the server
    label: str  # the customer's file name, only a label
    content_type: str
    size_bytes: int
    status: EvidenceStatus = EvidenceStatus.PENDING
    rejection_reason: str | None = None
    version_id: str | None = None  # the verified bytes' S3 version


@dataclass(frozen=True)
class ReturnLabel:
    """A prepaid return label; the shop bears both ways' shipping (P10)."""

    carrier: str
    reference: str
    cost_cents: int


class ClaimDecision(StrEnum):
    APPROVE = "APPROVE"
    REJECT = "REJECT"


class Remedy(StrEnum):
    """What the shop does about an approved claim, at its cost (P10)."""

    REMAKE = "REMAKE"
    REPLACE = "REPLACE"


@dataclass(frozen=True)
class Resolution:
    decision: ClaimDecision
    kind: Remedy | None  # when approved
    note: str | None
    return_label: ReturnLabel | None


@dataclass(frozen=True)
class Claim:
    claim_id: str
    status: ClaimStatus
    reason: ClaimReason
    description: str
    created_at: datetime
    claim_deadline: datetime
    evidence: tuple[Evidence, ...] = ()
    resolution: Resolution | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_CLAIM

    def evidence_by_id(self, evidence_id: str) -> Evidence | None:
        return next((e for e in self.evidence if e.evidence_id == evidence_id), None)

    @property
    def verified(self) -> tuple[Evidence, ...]:
        return tuple(e for e in self.evidence if e.status is EvidenceStatus.VERIFIED)
