"""The emails the functions sent through the emulated SES (v1 or v2), read from moto's backend.

moto keeps sent messages in order but without a time, so each message is stamped with the
local clock the first time it is seen; the host looks after every invocation, so the stamp is
the end of the invocation that sent it.
"""

from __future__ import annotations

import email
import email.policy
import json
from collections import deque
from datetime import datetime
from email.message import EmailMessage
from typing import Any, Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


OUTBOX_CAPACITY = 10_000  # the newest emails kept; older ones are dropped, oldest first


class SesOutbox:
    """Moves each message moto's SES holds into the outbox as `{"to", "subject", "body",
    "sent_at"}` the first time it is seen, and drops it from moto: memory stays bounded by
    `OUTBOX_CAPACITY` however long the stack runs, and a look costs what was sent since the
    last one."""

    def __init__(
        self, clock: Clock, account_id: str, region: str, capacity: int = OUTBOX_CAPACITY
    ) -> None:
        self._clock = clock
        self._account_id = account_id
        self._region = region
        self._emails: deque[dict[str, str]] = deque(maxlen=capacity)
        self.sent_total = 0

    def observe(self) -> None:
        """Take in the messages sent since the last look."""
        from atelier.clock import isoformat_z
        from infra.local.emulation import BACKEND_LOCK

        with BACKEND_LOCK:
            sent = self._backend().sent_messages
            new, sent[:] = list(sent), []
        if not new:
            return
        stamp = isoformat_z(self._clock.now())
        for message in new:
            self._emails.append({**self._describe(message), "sent_at": stamp})
        self.sent_total += len(new)

    def emails(self) -> list[dict[str, str]]:
        """`[{"to", "subject", "body", "sent_at"}]`, newest first."""
        self.observe()
        return list(reversed(self._emails))

    def snapshot(self) -> list[dict[str, str]]:
        """Oldest first, for the saved state."""
        self.observe()
        return list(self._emails)

    def restore(self, emails: list[dict[str, str]], sent_total: int) -> None:
        self._emails.clear()
        self._emails.extend(emails)
        self.sent_total = sent_total

    def _backend(self) -> Any:
        from moto.ses.models import ses_backends  # SESv2 sends through the v1 backend too

        return ses_backends[self._account_id][self._region]

    def _describe(self, message: Any) -> dict[str, str]:
        if hasattr(message, "raw_data"):
            return _describe_raw(message.destinations, message.raw_data)
        if hasattr(message, "template"):
            return self._describe_templated(message)
        return {
            "to": _recipients(message.destinations),
            "subject": str(message.subject),
            "body": str(message.body),
        }

    def _describe_templated(self, message: Any) -> dict[str, str]:
        from moto.ses.template import parse_template

        template = self._backend().templates.get(message.template)
        destinations = message.destinations
        if isinstance(destinations, list):  # bulk: one Destination per entry
            destinations = destinations[0].get("Destination", {}) if destinations else {}
        if template is None:
            return {"to": _recipients(destinations), "subject": "", "body": ""}
        data = json.loads(message.template_data or "{}")
        return {
            "to": _recipients(destinations),
            "subject": parse_template(str(template["subject_part"]), data),
            "body": parse_template(str(template.get("text_part") or template["html_part"]), data),
        }


def _recipients(destinations: Any) -> str:
    if isinstance(destinations, dict):
        addresses = [
            str(address)
            for key in ("ToAddresses", "CcAddresses", "BccAddresses")
            for address in destinations.get(key) or ()
        ]
    else:
        addresses = [str(address) for address in destinations or ()]
    return ", ".join(dict.fromkeys(addresses))  # moto may list a raw message's To twice


def _describe_raw(destinations: Any, raw_data: str) -> dict[str, str]:
    parsed = email.message_from_string(raw_data, policy=email.policy.default)
    body = ""
    if isinstance(parsed, EmailMessage):
        part = parsed.get_body(preferencelist=("plain", "html"))
        if part is not None and isinstance(part, EmailMessage):
            body = str(part.get_content()).replace("\r\n", "\n")
    return {
        "to": _recipients(destinations) or str(parsed.get("To", "")),
        "subject": str(parsed.get("Subject", "")),
        "body": body,
    }
