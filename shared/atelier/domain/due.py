"""The deadlines an order can wait on: each kind is one sparse `DUE#<kind>` entry of the due
index, and one sweep that reads it (docs/design.md, data access)."""

from __future__ import annotations

from enum import StrEnum


class DueKind(StrEnum):
    PAYMENT = "PAYMENT"  # P3: unpaid at the deadline, the order expires
    REMINDER = "REMINDER"  # the payment reminder before that deadline
    SURCHARGE = "SURCHARGE"  # an offered surcharge the customer has not answered
    CLAIM = "CLAIM"  # P10: a claim still waiting for its evidence
    SHIP_WARNING = "SHIP_WARNING"  # P4: the working day before ship_by
    SHIP_LATE = "SHIP_LATE"  # P4: ship_by passed with nothing shipped
