"""A quality claim over HTTP on the local stack, with a real photo uploaded to the presigned
S3 POST (P9, P10): delivered → claim → upload → verified → submit → approve → reshipped →
RESOLVED, and the emails in the outbox."""

from __future__ import annotations

import http.client
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from urllib3 import encode_multipart_formdata

from tests.e2e.conftest import RunningStack, call, pay_in_sandbox, place_ring, token_for

pytestmark = pytest.mark.e2e
PHOTO = Path(__file__).resolve().parents[1] / "fixtures" / "evidence" / "photo.jpg"


def post_form(url: str, fields: dict[str, str], data: bytes, content_type: str) -> int:
    """multipart/form-data as a browser sends it to S3: the fields, then the file last."""
    body, form_type = encode_multipart_formdata(
        [*fields.items(), ("file", ("photo.jpg", data, content_type))]
    )
    target = urlsplit(url)
    connection = http.client.HTTPConnection(target.hostname or "", target.port, timeout=10)
    connection.request("POST", target.path or "/", body, {"Content-Type": form_type})
    status = connection.getresponse().status
    connection.close()
    return status


def test_a_claim_with_a_real_photo_is_verified_approved_and_resolved(
    stack: RunningStack,
) -> None:
    customer = token_for(stack, "e2e-claimant")
    staff = token_for(stack, "e2e-claims-desk", "staff")
    email = "claimant@example.com"
    order = place_ring(
        stack,
        customer,
        size="6",
        customization={"style": "round", "color": "silver"},
        contact={"name": "Claim Test", "email": email},
        shipping_address={
            "line1": "2 Birch Rd",
            "city": "Portland",
            "region": "ME",
            "postal_code": "04101",
            "country": "US",
        },
    ).json
    oid = order["order_id"]
    pay_in_sandbox(stack, order)
    call(
        stack,
        "POST",
        f"/staff/orders/{oid}/ship",
        {"carrier": "UPS", "tracking_number": "1ZA"},
        token=staff,
    )
    now = call(stack, "GET", "/_local/clock").json["now"]
    delivered = call(
        stack, "POST", f"/staff/orders/{oid}/deliver", {"delivered_at": now}, token=staff
    )
    assert delivered.json["status"] == "DELIVERED", delivered.raw

    claim = call(
        stack,
        "POST",
        f"/orders/{oid}/claims",
        {"reason": "DAMAGED", "description": "The band arrived bent."},
        token=customer,
    )
    assert claim.status == 201, claim.raw
    base = f"/orders/{oid}/claims/{claim.json['claim_id']}"
    photo = PHOTO.read_bytes()
    ticket = call(
        stack,
        "POST",
        f"{base}/evidence",
        {"filename": "bent.jpg", "content_type": "image/jpeg", "size_bytes": len(photo)},
        token=customer,
    )
    assert ticket.status == 201, ticket.raw
    assert post_form(ticket.json["url"], ticket.json["fields"], photo, "image/jpeg") in (200, 204)

    deadline = time.monotonic() + 10
    status = "PENDING"
    while time.monotonic() < deadline:
        status = call(stack, "GET", base, token=customer).json["evidence"][0]["status"]
        if status != "PENDING":
            break
        time.sleep(0.2)
    assert status == "VERIFIED"

    assert call(stack, "POST", f"{base}/submit", token=customer).json["status"] == "SUBMITTED"
    decided = call(
        stack,
        "POST",
        f"/staff/claims/{claim.json['claim_id']}/decision",
        {"decision": "APPROVE", "resolution": "REMAKE", "shipping_cost_cents": 1600},
        token=staff,
    )
    assert decided.status == 200, decided.raw
    reshipped = call(
        stack,
        "POST",
        f"/staff/orders/{oid}/ship",
        {"carrier": "UPS", "tracking_number": "1ZB"},
        token=staff,
    )
    assert reshipped.json["status"] == "SHIPPED", reshipped.raw
    assert call(stack, "GET", base, token=customer).json["status"] == "RESOLVED"

    subjects = [m["subject"] for m in call(stack, "GET", "/_local/outbox").json if m["to"] == email]
    assert any("claim" in s.lower() and "approved" in s.lower() for s in subjects), subjects
