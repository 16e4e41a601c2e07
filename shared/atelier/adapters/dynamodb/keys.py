"""Every key of the single table (docs/data-model.md), built in one place: partition and sort
keys, index keys, and the pointer items' keys. Nothing else in the adapter spells a prefix."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from atelier.adapters.items import to_item
from atelier.clock import isoformat_z

ORDER = "ORDER"
PRODUCT = "PRODUCT"
MESSAGE_PREFIX = "MSG#"
ACTIVE_CATALOG = "CATALOG#ACTIVE"
INACTIVE_CATALOG = "CATALOG#INACTIVE"


def order_pk(order_id: str) -> str:
    return f"ORDER#{order_id}"


def order_id_of(pk: str) -> str:
    return pk.removeprefix("ORDER#")


def order_key(order_id: str) -> dict[str, Any]:
    return to_item({"pk": order_pk(order_id), "sk": ORDER})


def product_pk(product_id: str) -> str:
    return f"PRODUCT#{product_id}"


def product_key(product_id: str) -> dict[str, Any]:
    return to_item({"pk": product_pk(product_id), "sk": PRODUCT})


def catalog_partition(active: bool) -> str:
    return ACTIVE_CATALOG if active else INACTIVE_CATALOG


def by_time(at: datetime, item_id: str) -> str:
    """The sort key of every index read in time order: `<ISO time>#<id>`."""
    return f"{isoformat_z(at)}#{item_id}"


def customer_partition(customer_id: str) -> str:
    return f"CUSTOMER#{customer_id}"


def status_partition(status: str) -> str:
    return f"STATUS#{status}"


def history_sk(version: int) -> str:
    return f"HISTORY#{version:06d}"


def message_sk(at: datetime, message_id: str) -> str:
    return f"{MESSAGE_PREFIX}{isoformat_z(at)}#{message_id}"


def due_sk(kind: str) -> str:
    return f"DUE#{kind}"


def due_partition(kind: str) -> str:
    return f"DUE#{kind}"


def checkout_pointer(session_id: str) -> tuple[str, str]:
    return f"CHECKOUT#{session_id}", "CHECKOUT"


def payment_pointer(payment_intent: str) -> tuple[str, str]:
    return f"PAYMENT#{payment_intent}", "PAYMENT"


def webhook_pointer(event_id: str) -> tuple[str, str]:
    return f"WEBHOOK#{event_id}", "WEBHOOK"


def claim_pointer(claim_id: str) -> tuple[str, str]:
    return f"CLAIM#{claim_id}", "CLAIM"


def claims_partition(status: str) -> str:
    return f"CLAIMS#{status}"


def parked_key(payment_intent: str) -> dict[str, Any]:
    return to_item({"pk": f"PARKED#{payment_intent}", "sk": "PARKED"})


def key_of(pointer: tuple[str, str]) -> dict[str, Any]:
    pk, sk = pointer
    return to_item({"pk": pk, "sk": sk})
