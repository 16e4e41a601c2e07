"""P8: consultation messages between staff and the customer, kept on the order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from atelier.domain.ids import new_event_id, new_ulid

MESSAGE_CAP = 4000
Author = Literal["customer", "staff"]


@dataclass(frozen=True)
class Message:
    message_id: str
    order_id: str
    author: Author
    author_id: str
    text: str
    at: datetime
    event_id: str  # the MessagePosted domain event it publishes

    @classmethod
    def post(
        cls, order_id: str, author: Author, author_id: str, text: str, now: datetime
    ) -> Message:
        return cls(
            "msg_" + new_ulid(now), order_id, author, author_id, text, now, new_event_id(now)
        )
