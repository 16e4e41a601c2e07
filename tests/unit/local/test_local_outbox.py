"""The outbox reads what moto's SES backend really holds (the stack runs moto in-process)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from moto.ses.models import ses_backends

from atelier.clock import FixedClock
from infra.local.outbox import SesOutbox

pytestmark = pytest.mark.unit

ACCOUNT = "210987654321"  # an account no other test touches
REGION = "us-east-1"
MONDAY = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.fixture
def ses() -> object:
    backend = ses_backends[ACCOUNT][REGION]
    backend.sent_messages.clear()
    backend.verify_email_identity("shop@atelier.example")
    return backend


def test_an_empty_outbox_is_an_empty_list(ses: object) -> None:
    assert SesOutbox(FixedClock(MONDAY), ACCOUNT, REGION).emails() == []


def test_sent_emails_are_listed_newest_first_with_the_local_time_they_were_seen(
    ses: object,
) -> None:
    clock = FixedClock(MONDAY)
    outbox = SesOutbox(clock, ACCOUNT, REGION)
    backend = ses_backends[ACCOUNT][REGION]

    backend.send_email(
        source="shop@atelier.example",
        subject="Your order is placed",
        body="Pay within 24 hours.",
        destinations={"ToAddresses": ["ada@example.com"]},
    )
    outbox.observe()  # the host looks after every invocation
    clock.advance(hours=2)
    backend.send_raw_email(
        source="shop@atelier.example",
        destinations=[],
        raw_data=(
            "From: shop@atelier.example\r\nTo: bob@example.com\r\n"
            "Subject: Payment reminder\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            "Four hours left.\r\n"
        ),
    )

    emails = outbox.emails()

    assert [email["subject"] for email in emails] == ["Payment reminder", "Your order is placed"]
    assert emails[0] == {
        "to": "bob@example.com",
        "subject": "Payment reminder",
        "body": "Four hours left.\n",
        "sent_at": "2026-11-23T17:00:00Z",
    }
    assert emails[1]["to"] == "ada@example.com"
    assert emails[1]["body"] == "Pay within 24 hours."
    assert emails[1]["sent_at"] == "2026-11-23T15:00:00Z"
