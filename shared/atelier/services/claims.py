"""Quality claims (P9, P10): filing, evidence uploads and their check, submission, lapsing,
and the shop's decision."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from atelier.domain.calendar import WorkingCalendar
from atelier.domain.claims import Claim, ClaimDecision, ClaimStatus, Evidence, Remedy, ReturnLabel
from atelier.domain.due import DueKind
from atelier.domain.errors import NotFoundError
from atelier.domain.evidence import (
    LEADING_BYTES,
    check_declared,
    download_filename,
    evidence_key,
    max_bytes_for,
    parse_evidence_key,
    verify,
)
from atelier.domain.ids import new_claim_id, new_ulid, order_id_of_claim
from atelier.domain.order import Order
from atelier.observability import logger
from atelier.ports import Clock, EvidenceStore, OrderRepository, Page, UploadTicket
from atelier.services.customer_orders import customer_order
from atelier.services.sweep import SweepReport, change_each_due

UPLOAD_MISSING = "The upload could not be checked; please upload the file again."


@dataclass(frozen=True)
class IssuedTicket:
    evidence_id: str
    ticket: UploadTicket


@dataclass(frozen=True)
class Claims:
    """The claims flow. `evidence` builds the evidence store on first use: lapsing unsubmitted
    claims (the hourly watch) needs none, and an S3 client is not free to build."""

    orders: OrderRepository
    evidence: Callable[[], EvidenceStore]
    clock: Clock
    calendar: WorkingCalendar

    # ---------------------------------------------------------------- customer

    def file(self, customer_id: str, order_id: str, reason: str, description: str) -> Claim:
        order = customer_order(self.orders, customer_id, order_id)
        now = self.clock.now()
        claim_id = new_claim_id(order.order_id, len(order.claims) + 1)
        claim = order.file_claim(claim_id, reason, description, "customer", now)
        self.orders.save(order)
        logger.info("claim filed", order_id=order_id, claim_id=claim.claim_id)
        return claim

    def read(self, customer_id: str, order_id: str, claim_id: str) -> Claim:
        return customer_order(self.orders, customer_id, order_id).claim(claim_id)

    def ticket(
        self,
        customer_id: str,
        order_id: str,
        claim_id: str,
        label: str,
        content_type: str,
        size_bytes: int,
    ) -> IssuedTicket:
        """A presigned POST for one file; the key is the server's, the file name only a label."""
        order = customer_order(self.orders, customer_id, order_id)
        check_declared(content_type, size_bytes)
        now = self.clock.now()
        evidence_id = "evd_" + new_ulid(now)
        key = evidence_key(claim_id, evidence_id)
        order.add_evidence(
            claim_id, Evidence(evidence_id, key, label, content_type, size_bytes), now
        )
        ticket = self.evidence().upload_ticket(
            key, content_type, min(size_bytes, max_bytes_for(content_type))
        )
        self.orders.save(order)
        return IssuedTicket(evidence_id, ticket)

    def submit(self, customer_id: str, order_id: str, claim_id: str) -> Claim:
        order = customer_order(self.orders, customer_id, order_id)
        order.submit_claim(claim_id, "customer", self.clock.now())
        self.orders.save(order)
        return order.claim(claim_id)

    # ---------------------------------------------------------------- the upload check

    def check_upload(self, key: str) -> str:
        """An object arrived under claims/: verify it against its ticket with a HEAD and one
        ranged GET of its first bytes (never the whole file). Unknown keys and bad files are
        deleted. A re-delivered event changes nothing."""
        parsed = parse_evidence_key(key)
        head = self.evidence().head(key)
        order = self.orders.get(parsed.order_id) if parsed else None
        evidence = None
        if order is not None and parsed is not None:
            claim = next((c for c in order.claims if c.claim_id == parsed.claim_id), None)
            evidence = claim.evidence_by_id(parsed.evidence_id) if claim else None
        if head is None:
            # Nothing there (deleted after a verdict whose record did not commit): settle it.
            if (
                order is not None
                and parsed is not None
                and evidence is not None
                and order.settle_evidence(
                    parsed.claim_id, parsed.evidence_id, version_id="", rejection=UPLOAD_MISSING
                )
            ):
                self.orders.save(order)
            return "gone"
        size, version_id, stored_type = head
        if order is None or evidence is None or parsed is None:
            self.evidence().delete_version(key, version_id)
            logger.warning("upload under no ticket deleted", key_prefix="claims/")
            return "unknown"
        if evidence.status.value == "VERIFIED":
            if evidence.version_id != version_id:
                # A second upload to a used ticket never replaces verified bytes.
                self.evidence().delete_version(key, version_id)
            return "already_verified"
        leading = self.evidence().leading_bytes(key, version_id, LEADING_BYTES) if size else b""
        problem = verify(
            evidence.content_type, evidence.size_bytes, size, leading, stored_type=stored_type
        )
        # Record the verdict first: if this write fails, the retry still finds the object.
        if order.settle_evidence(
            parsed.claim_id, parsed.evidence_id, version_id=version_id, rejection=problem
        ):
            self.orders.save(order)
        if problem is not None:
            self.evidence().delete_version(key, version_id)
        logger.info(
            "evidence checked",
            order_id=order.order_id,
            claim_id=parsed.claim_id,
            evidence_id=parsed.evidence_id,
            verified=problem is None,
        )
        return "verified" if problem is None else "rejected"

    # ---------------------------------------------------------------- staff

    def staff_list(
        self, status: ClaimStatus, *, limit: int, cursor: str | None
    ) -> Page[tuple[Order, Claim]]:
        page = self.orders.claims_by_status(status, limit=limit, cursor=cursor)
        found = []
        for claim_id in page.items:
            order_id = order_id_of_claim(claim_id)
            order = self.orders.get(order_id) if order_id else None
            if order is not None:
                found.append((order, order.claim(claim_id)))
        return Page(found, page.next_cursor)

    def staff_read(self, claim_id: str) -> tuple[Order, Claim]:
        """The claim and its order, read with one request: the claim id names the order."""
        order_id = order_id_of_claim(claim_id)
        order = self.orders.get(order_id) if order_id else None
        if order is None:
            raise NotFoundError(f"There is no claim {claim_id!r}.")
        return order, order.claim(claim_id)

    def evidence_urls(self, claim: Claim) -> dict[str, str]:
        """Presigned GETs (5 minutes) of each verified file's checked version, served as its
        declared type and as a download named by its id."""
        return {
            e.evidence_id: self.evidence().download_url(
                e.key,
                e.version_id,
                content_type=e.content_type,
                filename=download_filename(e.evidence_id, e.content_type),
            )
            for e in claim.verified
            if e.version_id
        }

    def decide(
        self,
        actor: str,
        claim_id: str,
        decision: ClaimDecision,
        *,
        kind: Remedy | None = None,
        note: str | None = None,
        return_carrier: str = "USPS",
        shipping_cost_cents: int = 0,
    ) -> tuple[Order, Claim]:
        order, _ = self.staff_read(claim_id)
        now = self.clock.now()
        if decision is ClaimDecision.APPROVE:
            label = ReturnLabel(
                return_carrier, "RL-" + secrets.token_hex(6).upper(), shipping_cost_cents
            )
            order.approve_claim(claim_id, actor, kind or Remedy.REMAKE, label, now, self.calendar)
        else:
            order.reject_claim(claim_id, actor, note or "", now)
        self.orders.save(order)
        logger.info("claim decided", claim_id=claim_id, decision=decision)
        return order, order.claim(claim_id)

    # ---------------------------------------------------------------- the schedule

    def lapse_unsubmitted(self, report: SweepReport) -> SweepReport:
        """P10: a claim not submitted by its deadline lapses."""
        now = self.clock.now()
        change_each_due(
            self.orders, DueKind.CLAIM, now, report, lambda o: o.lapse_claims(now), "lapsed"
        )
        return report
