"""In-memory fakes of the evidence store, the Idempotency-Key records and the email sender."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from atelier.domain.errors import ConflictError
from atelier.notifications.layout import Email
from atelier.ports import (
    Clock,
    StoredObject,
    UploadTicket,
)


class InMemoryEvidenceStore:
    """The EvidenceStore port (ports.py) over a dict of versioned objects. `post` is the
    customer's presigned POST: S3 enforces the ticket's size range and Content-Type, so a body
    outside them is never stored; `put` stores anything, as a POST that broke the policy would
    be on an emulation that does not enforce it."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.objects: dict[str, list[tuple[str, bytes, str]]] = {}
        self.tickets: dict[str, tuple[str, int]] = {}
        self._versions = itertools.count(1)

    def upload_ticket(self, key: str, content_type: str, max_bytes: int) -> UploadTicket:
        self.tickets[key] = (content_type, max_bytes)
        return UploadTicket(
            "https://evidence.example/",
            {"key": key, "Content-Type": content_type},
            self.clock.now() + timedelta(minutes=15),
        )

    def post(self, key: str, body: bytes) -> str | None:
        ticket = self.tickets.get(key)
        if ticket is None or not 1 <= len(body) <= ticket[1]:
            return None
        return self.put(key, body, ticket[0])

    def put(self, key: str, body: bytes, content_type: str) -> str:
        version_id = f"v{next(self._versions)}"
        self.objects.setdefault(key, []).append((version_id, body, content_type))
        return version_id

    def head(self, key: str) -> StoredObject | None:
        versions = self.objects.get(key)
        if not versions:
            return None
        version_id, body, content_type = versions[-1]
        return StoredObject(len(body), version_id, content_type)

    def leading_bytes(self, key: str, version_id: str, count: int) -> bytes:
        for stored_id, body, _ in self.objects.get(key, []):
            if stored_id == version_id:
                return body[:count]
        raise KeyError(f"no version {version_id} of {key}")

    def delete_version(self, key: str, version_id: str) -> None:
        self.objects[key] = [o for o in self.objects.get(key, []) if o[0] != version_id]

    def download_url(self, key: str, version_id: str, *, content_type: str, filename: str) -> str:
        return (
            f"https://evidence.example/{key}?versionId={version_id}"
            f"&response-content-type={content_type}&attachment={filename}"
        )

    def has_version(self, key: str, version_id: str) -> bool:
        return any(o[0] == version_id for o in self.objects.get(key, []))


class InMemoryIdempotencyRecords:
    """The Idempotency-Key layer's records, as (customer, key) -> the answer kept."""

    def __init__(self) -> None:
        self.kept: dict[tuple[str, str], dict[str, Any]] = {}
        self.forgotten: list[tuple[str, str]] = []

    def run_once(
        self,
        *,
        customer_id: str,
        key: str,
        body: dict[str, Any],
        work: Callable[[], dict[str, Any]],
        lambda_context: Any = None,
    ) -> dict[str, Any]:
        kept = self.kept.get((customer_id, key))
        if kept is None:
            kept = self.kept[(customer_id, key)] = {"body": body, "answer": work()}
        elif kept["body"] != body:
            raise ConflictError(
                "This Idempotency-Key was used for a different request; use a new key.",
                code="IDEMPOTENCY_KEY_REUSED",
            )
        answer: dict[str, Any] = kept["answer"]
        return answer

    def forget(self, customer_id: str, key: str) -> None:
        self.kept.pop((customer_id, key), None)
        self.forgotten.append((customer_id, key))


class InMemoryEmailSender:
    """Keeps what it was asked to send; `fail_next` makes the next sends fail as SES does
    when it throttles."""

    def __init__(self) -> None:
        self.sent: list[Email] = []
        self.fail_next = 0

    def send(self, email: Email) -> None:
        from atelier.domain.errors import ServiceUnavailableError

        if self.fail_next:
            self.fail_next -= 1
            raise ServiceUnavailableError("The mail service is busy; try again shortly.")
        self.sent.append(email)
