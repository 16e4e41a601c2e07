"""evidence_upload: an object was created under claims/ in the evidence bucket (S3 → EventBridge).
Checks it against its ticket — size and leading bytes, never the whole file — and marks the
evidence VERIFIED or REJECTED; unknown or bad uploads are deleted (P10)."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.typing import LambdaContext

from atelier.bootstrap import Container, get_container
from atelier.entry import lambda_entry


@lambda_entry(needs=("evidence_bucket",))
def lambda_handler(
    event: dict[str, Any], context: LambdaContext, container: Container | None = None
) -> dict[str, Any]:
    c = container or get_container()
    detail = event.get("detail") or {}
    # S3 URL-encodes keys in its events (moto's too: "claims%2F...").
    key = unquote_plus(str((detail.get("object") or {}).get("key", "")))
    outcome = c.claims.check_upload(key)
    return {"outcome": outcome}
