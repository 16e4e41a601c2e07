"""Quality claims on a delivered order (P9, P10): filing, evidence, submission, the lapse of an
unsubmitted claim, and the decision."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from atelier.domain.calendar import WorkingCalendar
from atelier.domain.claims import (
    MAX_CLAIMS_PER_ORDER,
    MAX_EVIDENCE_FILES,
    MAX_UPLOADS_PER_CLAIM,
    Claim,
    ClaimDecision,
    ClaimReason,
    ClaimStatus,
    Evidence,
    EvidenceStatus,
    Remedy,
    Resolution,
    ReturnLabel,
)
from atelier.domain.errors import ConflictError, InvalidRequestError, NotFoundError
from atelier.domain.events import EventType
from atelier.domain.order.production import ProductionWatch
from atelier.domain.order.state import S


class ClaimsDesk(ProductionWatch):
    def claim(self, claim_id: str) -> Claim:
        found = next((c for c in self.claims if c.claim_id == claim_id), None)
        if found is None:
            raise NotFoundError(f"There is no claim {claim_id!r} on this order.")
        return found

    def file_claim(
        self, claim_id: str, reason: str, description: str, actor: str, now: datetime
    ) -> Claim:
        """P9/P10: a quality claim on a delivered order, until its claim deadline, one at a time."""
        parsed = ClaimReason.parse(reason)
        self.require_status(S.DELIVERED, action="claimed (only a delivered order can be)")
        deadline = self.claim_deadline
        assert deadline is not None
        if now > deadline:
            raise InvalidRequestError(
                f"The claim window closed at {deadline.isoformat()}: quality claims are filed "
                "within 7 working days of delivery.",
                code="CLAIM_WINDOW_CLOSED",
                details={"claim_deadline": deadline.isoformat()},
            )
        if any(c.is_open for c in self.claims):
            raise ConflictError("This order already has an open claim.", code="CLAIM_OPEN")
        if len(self.claims) >= MAX_CLAIMS_PER_ORDER:
            raise ConflictError(
                f"An order takes at most {MAX_CLAIMS_PER_ORDER} quality claims, and this one "
                "has had them all. Write to us in the order's messages and we will help.",
                code="CLAIM_LIMIT_REACHED",
                details={"max_claims": MAX_CLAIMS_PER_ORDER},
            )
        claim = Claim(claim_id, ClaimStatus.AWAITING_EVIDENCE, parsed, description, now, deadline)
        self.claims += (claim,)
        self._record(
            EventType.CLAIM_FILED,
            actor,
            f"quality claim: {parsed}",
            now,
            data={"claim_id": claim_id, "reason": parsed.value},
        )
        return claim

    def add_evidence(self, claim_id: str, evidence: Evidence, now: datetime) -> None:
        """A ticket for one more file (the caller checked its declared type and size)."""
        claim = self._claim_accepting_evidence(claim_id, now)
        if len(claim.evidence) >= MAX_UPLOADS_PER_CLAIM:
            raise ConflictError(
                f"This claim has had {MAX_UPLOADS_PER_CLAIM} uploads, the most a claim takes "
                "(rejected uploads count too). Submit it with the files already verified, or "
                "write to us in the order's messages to send more.",
                code="EVIDENCE_UPLOADS_EXHAUSTED",
                details={"max_uploads": MAX_UPLOADS_PER_CLAIM, "uploads": len(claim.evidence)},
            )
        live = [e for e in claim.evidence if e.status is not EvidenceStatus.REJECTED]
        if len(live) >= MAX_EVIDENCE_FILES:
            raise InvalidRequestError(
                f"A claim takes at most {MAX_EVIDENCE_FILES} files.", code="TOO_MUCH_EVIDENCE"
            )
        self._set_claim(claim_id, evidence=(*claim.evidence, evidence))
        self._next_version()

    def settle_evidence(
        self,
        claim_id: str,
        evidence_id: str,
        *,
        version_id: str,
        rejection: str | None,
    ) -> bool:
        """The uploaded bytes were checked. False: nothing to change (already verified — a
        second upload to the same ticket never replaces verified bytes)."""
        claim = self.claim(claim_id)
        current = claim.evidence_by_id(evidence_id)
        if current is None or current.status is EvidenceStatus.VERIFIED:
            return False
        if rejection is None:
            settled = replace(
                current,
                status=EvidenceStatus.VERIFIED,
                version_id=version_id,
                rejection_reason=None,
            )
        else:
            settled = replace(current, status=EvidenceStatus.REJECTED, rejection_reason=rejection)
        evidence = tuple(settled if e.evidence_id == evidence_id else e for e in claim.evidence)
        self._set_claim(claim_id, evidence=evidence)
        self._next_version()
        return True

    def submit_claim(self, claim_id: str, actor: str, now: datetime) -> None:
        claim = self._claim_accepting_evidence(claim_id, now)
        if not claim.verified:
            raise ConflictError(
                "Upload at least one photo or video, and wait until it is verified, before "
                "submitting the claim.",
                code="NO_VERIFIED_EVIDENCE",
            )
        self._set_claim(claim_id, status=ClaimStatus.SUBMITTED)
        self._record(
            EventType.CLAIM_SUBMITTED, actor, "claim submitted", now, data={"claim_id": claim_id}
        )

    def lapse_claims(self, now: datetime) -> bool:
        """P10: a claim not submitted by the deadline lapses."""
        lapsed = [
            c.claim_id
            for c in self.claims
            if c.status is ClaimStatus.AWAITING_EVIDENCE and now > c.claim_deadline
        ]
        for claim_id in lapsed:
            self._set_claim(claim_id, status=ClaimStatus.LAPSED)
            self._record(
                EventType.CLAIM_LAPSED,
                "system",
                "not submitted by the deadline",
                now,
                data={"claim_id": claim_id},
            )
        return bool(lapsed)

    def approve_claim(
        self,
        claim_id: str,
        actor: str,
        kind: Remedy,
        return_label: ReturnLabel,
        now: datetime,
        calendar: WorkingCalendar,
    ) -> None:
        """P10: the shop remakes or replaces the piece at its cost; it ships by a new ship_by
        counted from the approval."""
        self._require_submitted(claim_id)
        self._set_claim(
            claim_id,
            status=ClaimStatus.APPROVED,
            resolution=Resolution(ClaimDecision.APPROVE, kind, None, return_label),
        )
        self.shipment = None
        self._start_production(
            EventType.CLAIM_APPROVED,
            actor,
            f"quality claim approved: {kind.lower()}",
            now,
            calendar,
            {
                "claim_id": claim_id,
                "kind": kind,
                "return_label": {
                    "carrier": return_label.carrier,
                    "reference": return_label.reference,
                },
            },
        )

    def reject_claim(self, claim_id: str, actor: str, note: str, now: datetime) -> None:
        self._require_submitted(claim_id)
        self._set_claim(
            claim_id,
            status=ClaimStatus.REJECTED,
            resolution=Resolution(ClaimDecision.REJECT, None, note, None),
        )
        self._record(
            EventType.CLAIM_REJECTED,
            actor,
            "quality claim rejected",
            now,
            data={"claim_id": claim_id, "note": note},
        )

    def _require_submitted(self, claim_id: str) -> None:
        claim = self.claim(claim_id)
        if claim.status is not ClaimStatus.SUBMITTED:
            raise ConflictError(
                f"A claim that is {claim.status} cannot be decided.",
                code="CLAIM_NOT_SUBMITTED",
                details={"status": claim.status},
            )

    def _claim_accepting_evidence(self, claim_id: str, now: datetime) -> Claim:
        claim = self.claim(claim_id)
        if claim.status is not ClaimStatus.AWAITING_EVIDENCE:
            raise ConflictError(
                f"A claim that is {claim.status} takes no more evidence.",
                code="CLAIM_NOT_OPEN_FOR_EVIDENCE",
                details={"status": claim.status},
            )
        if now > claim.claim_deadline:
            raise InvalidRequestError(
                f"The claim window closed at {claim.claim_deadline.isoformat()}.",
                code="CLAIM_WINDOW_CLOSED",
                details={"claim_deadline": claim.claim_deadline.isoformat()},
            )
        return claim
