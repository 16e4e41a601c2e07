"""The emails the functions sent through the emulated SES (v1 or v2), read from moto's backend.

moto keeps sent messages in order but without a time, so each message is stamped with the
local clock the first time it is seen; the host looks after every invocation, so the stamp is
the end of the invocation that sent it.
"""

from __future__ import annotations

import email
import email.policy
import json
from datetime import datetime
from email.message import EmailMessage
from typing import Any, Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SesOutbox:
    def __init__(self, clock: Clock, account_id: str, region: str) -> None:
        self._clock = clock
        self._account_id = account_id
        self._region = region
        self._sent_at: dict[str, str] = {}

    def observe(self) -> None:
        """Stamp the messages sent since the last look."""
        from atelier.clock import isoformat_z

        stamp: str | None = None
        for message in self._messages():
            if message.id not in self._sent_at:
                stamp = stamp or isoformat_z(self._clock.now())
                self._sent_at[message.id] = stamp

    def emails(self) -> list[dict[str, str]]:
        """`[{"to", "subject", "body", "sent_at"}]`, newest first."""
        self.observe()
        return [
            {**self._describe(message), "sent_at": self._sent_at[message.id]}
            for message in reversed(self._messages())
        ]

    def _messages(self) -> list[Any]:
        from moto.ses.models import ses_backends  # SESv2 sends through the v1 backend too

        return list(ses_backends[self._account_id][self._region].sent_messages)

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
        from moto.ses.models import ses_backends
        from moto.ses.template import parse_template

        template = ses_backends[self._account_id][self._region].templates.get(message.template)
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
