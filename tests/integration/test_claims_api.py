"""Quality claims through the emulated API Gateway against moto (P9, P10)."""

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest

from atelier.adapters.stripe_signature import sign_payload
from atelier.domain.errors import ConflictError
from infra.local.inprocess import object_created_event
from infra.local.runtime import FunctionHost
from tests.factories import order_body, ring, stripe_session_event
from tests.integration.conftest import WEBHOOK_SECRET, invoke_schedule

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "evidence"


@pytest.fixture
def delivered(api, container, clock):
    """A ring paid, shipped and delivered on Friday 2026-12-04 at noon, New York time."""
    container.products.save(ring())
    order = api.call("POST", "/orders", order_body()).json
    oid = order["order_id"]
    now = int(clock.now().timestamp())
    raw = json.dumps(stripe_session_event(order, created=now, event_id=f"evt_{oid}")).encode()
    api.call(
        "POST",
        "/webhooks/payments",
        raw=raw,
        as_user=None,
        headers={"Stripe-Signature": sign_payload(raw, WEBHOOK_SECRET, now)},
    )
    api.staff("POST", f"/staff/orders/{oid}/ship", {"carrier": "UPS", "tracking_number": "1Z1"})
    clock.set(datetime(2026, 12, 4, 17, 0, tzinfo=UTC))
    reply = api.staff(
        "POST", f"/staff/orders/{oid}/deliver", {"delivered_at": "2026-12-04T17:00:00Z"}
    )
    assert reply.status == 200, reply.raw
    return reply.json


def file_claim(api, order, reason="DAMAGED", user="cust-a"):
    return api.call(
        "POST",
        f"/orders/{order['order_id']}/claims",
        {"reason": reason, "description": "The stone fell out."},
        as_user=user,
    )


@pytest.mark.parametrize("reason", ["DAMAGED", "DEFECTIVE", "NOT_AS_SPECIFIED"])
def test_P9_each_quality_reason_is_accepted(api, delivered, reason):
    reply = file_claim(api, delivered, reason)
    assert reply.status == 201, reply.raw
    assert reply.json["status"] == "AWAITING_EVIDENCE"
    assert reply.json["reason"] == reason


@pytest.mark.parametrize("reason", ["CHANGED_MIND", "WRONG_SIZE_ORDERED", "NO_LONGER_NEEDED"])
def test_P9_other_reasons_are_refused_with_the_policy(api, delivered, reason):
    reply = file_claim(api, delivered, reason)
    assert reply.status == 422
    error = reply.json["error"]
    assert error["code"] == "CLAIM_REASON_NOT_COVERED"
    assert "not returned or exchanged" in error["message"]


def test_P10_the_deadline_is_7_working_days_after_delivery_across_a_weekend(api, delivered):
    # Delivered Friday Dec 4: Mon 7 .. Tue 15 are the 7 working days (no holiday in between).
    assert delivered["claim_deadline"] == "2026-12-16T04:59:59Z"  # Tue Dec 15 23:59:59 EST


def test_P10_the_deadlines_last_second_is_accepted_and_the_next_refused(api, delivered, clock):
    clock.set(datetime(2026, 12, 16, 4, 59, 59, tzinfo=UTC))
    assert file_claim(api, delivered).status == 201
    other = delivered  # the same order: one open claim at a time is the next rule
    assert file_claim(api, other).status == 409


def test_P10_a_claim_after_the_deadline_states_the_deadline(api, delivered, clock):
    clock.set(datetime(2026, 12, 16, 5, 0, 0, tzinfo=UTC))
    reply = file_claim(api, delivered)
    assert reply.status == 422
    assert reply.json["error"]["code"] == "CLAIM_WINDOW_CLOSED"
    assert "2026-12-16T04:59:59" in reply.json["error"]["message"]


def test_another_customer_can_neither_read_nor_upload_to_a_claim(api, delivered):
    claim = file_claim(api, delivered).json
    base = f"/orders/{delivered['order_id']}/claims/{claim['claim_id']}"
    assert api.call("GET", base, as_user="cust-b").status == 404
    ticket = api.call(
        "POST",
        f"{base}/evidence",
        {"filename": "a.jpg", "content_type": "image/jpeg", "size_bytes": 100},
        as_user="cust-b",
    )
    assert ticket.status == 404


def ticket(api, order, claim, path="photo.jpg", content_type="image/jpeg", size=None):
    data = (FIXTURES / path).read_bytes() if (FIXTURES / path).exists() else b""
    reply = api.call(
        "POST",
        f"/orders/{order['order_id']}/claims/{claim['claim_id']}/evidence",
        {"filename": path, "content_type": content_type, "size_bytes": size or len(data) or 1},
    )
    return reply, data


def upload_and_check(stack, container, key, data, content_type="image/jpeg"):
    """Put the object as the presigned POST would (its Content-Type the ticket's, unless the
    POST broke the policy), then deliver S3's EventBridge event."""
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.put_object(
        Bucket=container.settings.evidence_bucket, Key=key, Body=data, ContentType=content_type
    )
    event = object_created_event(container.settings.evidence_bucket, key, len(data))
    function = stack.functions["EvidenceUploadFunction"]
    return FunctionHost(stack.functions).invoke(function, event)["outcome"]


def test_P10_ticket_policy_pins_key_type_and_size_and_expires_within_15_minutes(
    api, delivered, clock
):
    claim = file_claim(api, delivered).json
    reply, _ = ticket(api, delivered, claim, size=5000)
    assert reply.status == 201, reply.raw
    issued = reply.json
    fields = issued["fields"]
    key = f"claims/{claim['claim_id']}/{issued['evidence_id']}"
    assert fields["key"] == key
    assert fields["Content-Type"] == "image/jpeg"
    policy = json.loads(base64.b64decode(fields["policy"]))
    conditions = policy["conditions"]
    assert {"key": key} in conditions or ["eq", "$key", key] in conditions
    assert {"Content-Type": "image/jpeg"} in conditions or [
        "eq",
        "$Content-Type",
        "image/jpeg",
    ] in conditions
    assert ["content-length-range", 1, 5000] in conditions
    expiration = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    assert expiration - datetime.now(UTC) <= timedelta(minutes=15, seconds=5)


@pytest.mark.parametrize(
    "content_type, size, code",
    [
        ("application/pdf", 100, "EVIDENCE_TYPE_NOT_ALLOWED"),
        ("image/jpeg", 26 * 1024 * 1024, "EVIDENCE_TOO_LARGE"),
        ("video/mp4", 201 * 1024 * 1024, "EVIDENCE_TOO_LARGE"),
    ],
)
def test_P10_types_and_sizes_outside_the_policy_get_no_ticket(
    api, delivered, content_type, size, code
):
    claim = file_claim(api, delivered).json
    reply = api.call(
        "POST",
        f"/orders/{delivered['order_id']}/claims/{claim['claim_id']}/evidence",
        {"filename": "x", "content_type": content_type, "size_bytes": size},
    )
    assert reply.status == 422
    assert reply.json["error"]["code"] == code


def test_P10_a_claim_takes_at_most_10_files(api, delivered):
    claim = file_claim(api, delivered).json
    for _ in range(10):
        reply, _ = ticket(api, delivered, claim, size=5000)
        assert reply.status == 201, reply.raw
    eleventh, _ = ticket(api, delivered, claim, size=5000)
    assert eleventh.status == 422
    assert eleventh.json["error"]["code"] == "TOO_MUCH_EVIDENCE"
    assert "at most 10 files" in eleventh.json["error"]["message"]


def test_P10_full_claim_verified_submitted_approved_reshipped_resolved(
    api, delivered, stack, container, clock
):
    claim = file_claim(api, delivered).json
    jpeg = (FIXTURES / "photo.jpg").read_bytes()
    reply, _ = ticket(api, delivered, claim, size=len(jpeg))
    key = f"claims/{claim['claim_id']}/{reply.json['evidence_id']}"
    assert upload_and_check(stack, container, key, jpeg) == "verified"
    assert upload_and_check(stack, container, key, b"not a jpeg") == "already_verified"
    base = f"/orders/{delivered['order_id']}/claims/{claim['claim_id']}"
    read = api.call("GET", base).json
    assert [e["status"] for e in read["evidence"]] == ["VERIFIED"]
    submitted = api.call("POST", f"{base}/submit")
    assert submitted.status == 200 and submitted.json["status"] == "SUBMITTED"

    queue = api.staff("GET", "/staff/claims?status=SUBMITTED").json["items"]
    assert [c["claim_id"] for c in queue] == [claim["claim_id"]]
    assert queue[0]["evidence"][0]["download_url"].startswith("http")
    decided = api.staff(
        "POST",
        f"/staff/claims/{claim['claim_id']}/decision",
        {"decision": "APPROVE", "resolution": "REMAKE", "shipping_cost_cents": 1800},
    )
    assert decided.status == 200, decided.raw
    assert decided.json["status"] == "APPROVED"
    assert decided.json["resolution"]["return_label"]["cost_cents"] == 1800
    order = api.call("GET", f"/orders/{delivered['order_id']}").json
    assert order["status"] == "IN_PRODUCTION"
    assert order["ship_by"] == "2026-12-11"  # 5 working days from the approval (Fri Dec 4)
    api.staff(
        "POST",
        f"/staff/orders/{delivered['order_id']}/ship",
        {"carrier": "UPS", "tracking_number": "1Z2"},
    )
    assert api.call("GET", base).json["status"] == "RESOLVED"


JPEG = (FIXTURES / "photo.jpg").read_bytes()


@pytest.mark.parametrize(
    "data, declared, declared_size, reason_part",
    [
        ((FIXTURES / "photo.png").read_bytes(), "video/mp4", None, "MP4"),
        ((FIXTURES / "not-a-photo.jpg").read_bytes(), "image/jpeg", None, "JPEG"),
        (b"", "image/jpeg", 100, "empty"),
        (JPEG + b"\0" * 100, "image/jpeg", len(JPEG), "larger"),
    ],
    ids=["png declared as mp4", "text named jpg", "zero bytes", "larger than declared"],
)
def test_P10_bad_uploads_are_rejected_and_deleted(
    api, delivered, stack, container, data, declared, declared_size, reason_part
):
    claim = file_claim(api, delivered).json
    size = declared_size or len(data)
    reply, _ = ticket(api, delivered, claim, path="upload", content_type=declared, size=size)
    assert reply.status == 201, reply.raw
    key = f"claims/{claim['claim_id']}/{reply.json['evidence_id']}"
    assert upload_and_check(stack, container, key, data, declared) == "rejected"
    evidence = api.call("GET", f"/orders/{delivered['order_id']}/claims/{claim['claim_id']}").json[
        "evidence"
    ][0]
    assert evidence["status"] == "REJECTED"
    assert reason_part in evidence["rejection_reason"]
    s3 = boto3.client("s3", region_name="us-east-1")
    versions = s3.list_object_versions(Bucket=container.settings.evidence_bucket, Prefix=key)
    assert not versions.get("Versions")


JPEG_PREFIXED_HTML = b"\xff\xd8\xff\xe0<html><script>alert(document.cookie)</script></html>"


def test_P10_a_jpeg_prefixed_page_stored_as_text_html_is_rejected_and_deleted(
    api, delivered, stack, container
):
    """The leading bytes are a JPEG's, but the object was stored as text/html (moto takes a
    POST that breaks the policy's Content-Type condition): rejected, and the version deleted."""
    claim = file_claim(api, delivered).json
    reply, _ = ticket(api, delivered, claim, path="upload", size=len(JPEG_PREFIXED_HTML))
    key = reply.json["fields"]["key"]

    outcome = upload_and_check(stack, container, key, JPEG_PREFIXED_HTML, "text/html")

    assert outcome == "rejected"
    read = api.call("GET", f"/orders/{delivered['order_id']}/claims/{claim['claim_id']}").json
    assert read["evidence"][0]["status"] == "REJECTED"
    assert "image/jpeg" in read["evidence"][0]["rejection_reason"]
    s3 = boto3.client("s3", region_name="us-east-1")
    versions = s3.list_object_versions(Bucket=container.settings.evidence_bucket, Prefix=key)
    assert not versions.get("Versions")


def test_P10_staff_links_serve_evidence_as_its_declared_type_and_as_an_attachment(
    api, delivered, stack, container
):
    claim = submitted_claim(api, delivered, stack, container)
    queue = api.staff("GET", "/staff/claims?status=SUBMITTED").json["items"]
    evidence = queue[0]["evidence"][0]
    query = parse_qs(urlsplit(evidence["download_url"]).query)

    assert query["response-content-type"] == ["image/jpeg"]
    assert query["response-content-disposition"] == [
        f'attachment; filename="{evidence["evidence_id"]}.jpg"'
    ]
    assert claim["claim_id"] not in query["response-content-disposition"][0]


def test_P10_a_key_no_claim_issued_is_deleted(api, delivered, stack, container):
    key = "claims/clm_NOPE/evd_NOPE"
    assert upload_and_check(stack, container, key, b"\xff\xd8\xff\xe0junk") == "unknown"
    s3 = boto3.client("s3", region_name="us-east-1")
    assert not s3.list_object_versions(Bucket=container.settings.evidence_bucket, Prefix=key).get(
        "Versions"
    )


def test_P10_an_unsubmitted_claim_lapses_after_the_deadline(api, delivered, stack, clock):
    claim = file_claim(api, delivered).json
    clock.set(datetime(2026, 12, 16, 5, 0, 1, tzinfo=UTC))
    assert invoke_schedule(stack, "sla_watch")["lapsed"] == 1
    read = api.call("GET", f"/orders/{delivered['order_id']}/claims/{claim['claim_id']}").json
    assert read["status"] == "LAPSED"


def test_P10_a_claim_cannot_be_submitted_without_verified_evidence(api, delivered):
    claim = file_claim(api, delivered).json
    reply = api.call("POST", f"/orders/{delivered['order_id']}/claims/{claim['claim_id']}/submit")
    assert reply.status == 409
    assert reply.json["error"]["code"] == "NO_VERIFIED_EVIDENCE"


# ---------------------------------------------------------------------------- ids and reads


def test_a_claim_id_names_its_order_and_the_evidence_key_its_claim(api, delivered):
    claim = file_claim(api, delivered).json
    assert claim["claim_id"] == "clm_" + delivered["order_id"].removeprefix("ord_") + "_1"
    reply, _ = ticket(api, delivered, claim)
    assert reply.json["fields"]["key"] == f"claims/{claim['claim_id']}/{reply.json['evidence_id']}"


@pytest.mark.parametrize(
    "key",
    [
        "claims/clm_NOPE/evd_NOPE",  # no order in the claim id (also the old form, clm_<ULID>)
        "claims/clm_01KNOSUCHORDER00000000000_1/evd_X",  # an order that does not exist
        "claims/{claim_id}/evd_FORGED",  # the order and claim exist, the ticket does not
        "claims/{other_claim_id}/{evidence_id}",  # a claim the order does not have
        "claims/{claim_id}/{evidence_id}/extra",
    ],
)
def test_P10_a_key_no_ticket_issued_is_deleted_whatever_it_names(
    api, delivered, stack, container, key
):
    claim = file_claim(api, delivered).json
    reply, _ = ticket(api, delivered, claim)
    key = key.format(
        claim_id=claim["claim_id"],
        other_claim_id=claim["claim_id"][:-1] + "2",
        evidence_id=reply.json["evidence_id"],
    )
    assert upload_and_check(stack, container, key, JPEG) == "unknown"
    s3 = boto3.client("s3", region_name="us-east-1")
    assert not s3.list_object_versions(Bucket=container.settings.evidence_bucket, Prefix=key).get(
        "Versions"
    )
    evidence = api.call("GET", f"/orders/{delivered['order_id']}/claims/{claim['claim_id']}")
    assert [e["status"] for e in evidence.json["evidence"]] == ["PENDING"]


def submitted_claim(api, delivered, stack, container):
    claim = file_claim(api, delivered).json
    reply, _ = ticket(api, delivered, claim, size=len(JPEG))
    assert upload_and_check(stack, container, reply.json["fields"]["key"], JPEG) == "verified"
    base = f"/orders/{delivered['order_id']}/claims/{claim['claim_id']}"
    assert api.call("POST", f"{base}/submit").status == 200
    return claim


@pytest.mark.parametrize(
    "claim_id",
    ["clm_01KNOSUCHORDER00000000000_1", "{order}_2", "clm_01J0000000000000000000000A", "x"],
    ids=["no such order", "not on the order", "an id naming no order", "not a claim id"],
)
def test_a_decision_on_a_claim_that_is_not_there_is_a_404(
    api, delivered, stack, container, claim_id
):
    claim = submitted_claim(api, delivered, stack, container)
    target = claim_id.replace("{order}", claim["claim_id"][:-2])
    reply = api.staff(
        "POST", f"/staff/claims/{target}/decision", {"decision": "REJECT", "note": "no"}
    )
    assert reply.status == 404, reply.raw
    assert reply.json["error"]["code"] == "NOT_FOUND"


def test_a_second_claim_on_an_order_gets_the_next_number(api, delivered, stack, container):
    first = submitted_claim(api, delivered, stack, container)
    rejected = api.staff(
        "POST",
        f"/staff/claims/{first['claim_id']}/decision",
        {"decision": "REJECT", "note": "The photo shows wear, not a defect."},
    )
    assert rejected.status == 200, rejected.raw
    second = file_claim(api, delivered)
    assert second.status == 201, second.raw
    assert second.json["claim_id"] == first["claim_id"][:-1] + "2"


def test_an_upload_check_and_a_claim_decision_each_read_the_order_once(
    api, delivered, stack, container, counted
):
    claim = file_claim(api, delivered).json
    reply, _ = ticket(api, delivered, claim, size=len(JPEG))
    counted.clear()
    assert upload_and_check(stack, container, reply.json["fields"]["key"], JPEG) == "verified"
    assert counted == {"GetItem": 1, "TransactWriteItems": 1}
    base = f"/orders/{delivered['order_id']}/claims/{claim['claim_id']}"
    assert api.call("POST", f"{base}/submit").status == 200
    counted.clear()
    decided = api.staff(
        "POST",
        f"/staff/claims/{claim['claim_id']}/decision",
        {"decision": "APPROVE", "resolution": "REMAKE", "shipping_cost_cents": 1800},
    )
    assert decided.status == 200, decided.raw
    assert counted == {"GetItem": 1, "TransactWriteItems": 1}
    counted.clear()
    api.staff("GET", "/staff/claims?status=APPROVED")
    assert counted == {"Query": 1, "GetItem": 1}  # the queue, then each claim's order


# ---------------------------------------------------------------------------- bounded uploads


def dynamodb_item_size(item):
    """An item's size as DynamoDB counts it against its 400 KB limit: names and values in
    UTF-8, numbers about one byte per two digits, 3 bytes per map or list plus 1 per element."""

    def value_size(value):
        ((kind, inner),) = value.items()
        if kind in ("S", "B"):
            return len(inner.encode() if kind == "S" else inner)
        if kind == "N":
            return (len(inner.lstrip("-").replace(".", "")) + 1) // 2 + 1
        if kind in ("BOOL", "NULL"):
            return 1
        if kind == "L":
            return 3 + sum(1 + value_size(v) for v in inner)
        if kind == "M":
            return 3 + sum(1 + len(k.encode()) + value_size(v) for k, v in inner.items())
        return sum(len(x.encode()) for x in inner)  # SS / NS

    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def test_P10_a_claim_takes_at_most_20_uploads_counting_rejected_ones(
    api, delivered, stack, container
):
    claim = file_claim(api, delivered).json
    for _ in range(20):
        reply, _ = ticket(api, delivered, claim, path="upload", size=100)
        assert reply.status == 201, reply.raw
        key = reply.json["fields"]["key"]
        assert upload_and_check(stack, container, key, b"junk, not a photo") == "rejected"

    refused, _ = ticket(api, delivered, claim, path="upload", size=100)

    assert refused.status == 409, refused.raw
    error = refused.json["error"]
    assert error["code"] == "EVIDENCE_UPLOADS_EXHAUSTED"
    assert "20 uploads" in error["message"] and "rejected" in error["message"]
    assert "messages" in error["message"]  # what to do now
    assert error["details"] == {"max_uploads": 20, "uploads": 20}
    read = api.call("GET", f"/orders/{delivered['order_id']}/claims/{claim['claim_id']}").json
    assert len(read["evidence"]) == 20  # the refused attempt changed nothing


def test_P10_the_order_item_stays_small_after_1000_upload_attempts(
    api, delivered, stack, container
):
    """640 rejected uploads used to push the order item past DynamoDB's 400 KB, after which no
    save of the order worked. Now the claim's tickets are capped, so the item is bounded."""
    claims = container.claims
    oid = delivered["order_id"]
    claim = claims.file("cust-a", oid, "DAMAGED", "The stone fell out. " * 100)
    s3 = boto3.client("s3", region_name="us-east-1")
    bucket = container.settings.evidence_bucket
    refused = 0

    def order_item_size():
        key = {"pk": {"S": f"ORDER#{oid}"}, "sk": {"S": "ORDER"}}
        table = container.settings.table_name
        return dynamodb_item_size(container.dynamodb.get_item(TableName=table, Key=key)["Item"])

    for attempt in range(1000):
        if attempt % 25 == 0:  # fail as soon as the bound is crossed, not at the 400 KB wall
            assert order_item_size() < 64 * 1024, attempt
        try:
            issued = claims.ticket("cust-a", oid, claim.claim_id, "x" * 200, "image/jpeg", 1000)
        except ConflictError as exc:
            assert exc.code == "EVIDENCE_UPLOADS_EXHAUSTED", exc
            refused += 1
            continue
        key = issued.ticket.fields["key"]
        body = JPEG[:1000] if attempt == 0 else b"junk"
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="image/jpeg")
        claims.check_upload(key)

    assert refused == 980
    assert order_item_size() < 64 * 1024  # of DynamoDB's 400 KB
    submitted = api.call("POST", f"/orders/{oid}/claims/{claim.claim_id}/submit")
    assert submitted.status == 200, submitted.raw  # the order still saves


def test_P10_an_order_takes_at_most_5_claims_so_its_item_stays_bounded(
    api, delivered, stack, container
):
    for _ in range(5):
        claim = submitted_claim(api, delivered, stack, container)
        rejected = api.staff(
            "POST",
            f"/staff/claims/{claim['claim_id']}/decision",
            {"decision": "REJECT", "note": "The photos show wear from use."},
        )
        assert rejected.status == 200, rejected.raw

    sixth = file_claim(api, delivered)

    assert sixth.status == 409, sixth.raw
    assert sixth.json["error"]["code"] == "CLAIM_LIMIT_REACHED"
    assert "messages" in sixth.json["error"]["message"]
