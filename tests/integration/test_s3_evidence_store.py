"""P10: the evidence bucket adapter against moto.

moto accepts any presigned POST (it enforces no policy condition, not even the signature), so
the ticket's conditions are proven here by decoding its policy. The upload itself is a real
multipart POST over HTTP to an in-process moto server, as a browser would send it.
"""

from __future__ import annotations

import base64
import http.client
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config
from botocore.stub import Stubber
from moto import mock_aws
from moto.server import ThreadedMotoServer
from urllib3 import encode_multipart_formdata

from atelier.adapters.s3 import (
    EvidenceStoreError,
    S3EvidenceStore,
    StoredObject,
    presigning_config,
)
from atelier.clock import FixedClock
from atelier.domain.errors import NotFoundError, ServiceUnavailableError
from atelier.domain.evidence import LEADING_BYTES, MAX_PHOTO_BYTES, verify

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "evidence"
JPEG = (FIXTURES / "photo.jpg").read_bytes()
PNG = (FIXTURES / "photo.png").read_bytes()
TEXT = (FIXTURES / "not-a-photo.jpg").read_bytes()
KEY = "claims/clm_01/evd_01"


@pytest.fixture(autouse=True)
def _aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


def s3_client(endpoint_url: str | None = None) -> S3Client:
    # The default presigning config also for moto on 127.0.0.1: an IP endpoint is path style.
    config = Config(retries={"mode": "standard", "max_attempts": 1}).merge(presigning_config())
    client: S3Client = boto3.client(
        "s3", region_name="us-east-1", endpoint_url=endpoint_url, config=config
    )
    return client


def versioned_bucket(client: S3Client) -> str:
    bucket = f"evidence-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    return bucket


def decoded_policy(fields: dict[str, str]) -> dict[str, Any]:
    policy: dict[str, Any] = json.loads(base64.b64decode(fields["policy"]))
    return policy


# ------------------------------------------------------------------ the ticket's policy


@pytest.fixture
def mocked_store(clock: FixedClock) -> Iterator[S3EvidenceStore]:
    with mock_aws():
        client = s3_client()
        yield S3EvidenceStore(client, versioned_bucket(client), clock)


def test_p10_upload_ticket_policy_pins_key_content_type_and_size_and_expires_within_15_minutes(
    mocked_store: S3EvidenceStore, clock: FixedClock
) -> None:
    # botocore dates the policy with the real clock, so the bounds are taken from it too.
    before = datetime.now(UTC).replace(microsecond=0)
    ticket = mocked_store.upload_ticket(KEY, "image/jpeg", 4_000_000)
    after = datetime.now(UTC)
    fields = ticket.fields

    policy = decoded_policy(fields)
    conditions = policy["conditions"]
    assert {"key": KEY} in conditions
    assert {"Content-Type": "image/jpeg"} in conditions
    assert ["content-length-range", 1, 4_000_000] in conditions
    # No condition loosens the key or the type (a `starts-with` would let the uploader choose).
    assert not [c for c in conditions if isinstance(c, list) and c[0] == "starts-with"]
    assert fields["key"] == KEY
    assert fields["Content-Type"] == "image/jpeg"
    assert fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"  # SigV4, never the legacy SigV2
    assert "AWSAccessKeyId" not in fields
    assert "file" not in fields  # the file goes last, added by the uploader
    expiration = datetime.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert before + timedelta(minutes=15) <= expiration <= after + timedelta(minutes=15)
    # The API's answer follows the injected clock.
    assert ticket.expires_at == clock.now() + timedelta(minutes=15)
    # Virtual-host style on the regional endpoint: a browser's POST is not redirected.
    assert urlsplit(ticket.url).hostname == f"{mocked_store.bucket}.s3.us-east-1.amazonaws.com"


def test_p10_a_shorter_ticket_expires_sooner(mocked_store: S3EvidenceStore) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    fields = mocked_store.upload_ticket(KEY, "video/mp4", 150_000_000, expires_in=300).fields

    expiration = datetime.strptime(
        decoded_policy(fields)["expiration"], "%Y-%m-%dT%H:%M:%SZ"
    ).replace(tzinfo=UTC)
    assert expiration - before <= timedelta(minutes=5, seconds=1)
    assert {"Content-Type": "video/mp4"} in decoded_policy(fields)["conditions"]


@pytest.mark.parametrize("expires_in", [0, 901, 3600])
def test_p10_no_ticket_outlives_15_minutes(mocked_store: S3EvidenceStore, expires_in: int) -> None:
    with pytest.raises(ValueError, match="upload ticket"):
        mocked_store.upload_ticket(KEY, "image/jpeg", 1000, expires_in=expires_in)


def test_p10_a_ticket_never_lets_the_file_name_choose_the_key(
    mocked_store: S3EvidenceStore,
) -> None:
    with pytest.raises(ValueError, match="file name"):
        mocked_store.upload_ticket("claims/clm_01/${filename}", "image/jpeg", 1000)


@pytest.mark.parametrize("expires_in", [0, 301])
def test_p10_no_download_link_outlives_5_minutes(
    mocked_store: S3EvidenceStore, expires_in: int
) -> None:
    with pytest.raises(ValueError, match="download link"):
        mocked_store.download_url(
            KEY, "v1", content_type="image/jpeg", filename="evd_01.jpg", expires_in=expires_in
        )


def test_a_client_that_would_presign_with_sigv2_is_refused(clock: FixedClock) -> None:
    # No signature version in the Config: botocore quietly presigns with SigV2.
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        store = S3EvidenceStore(client, versioned_bucket(client), clock)

        with pytest.raises(EvidenceStoreError, match="SigV2"):
            store.upload_ticket(KEY, "image/jpeg", 1000)
        with pytest.raises(EvidenceStoreError, match="SigV2"):
            store.download_url(KEY, "v1", content_type="image/jpeg", filename="evd_01.jpg")


# ------------------------------------------------------------------ a real upload over HTTP


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def served(moto_url: str, clock: FixedClock) -> tuple[S3EvidenceStore, S3Client, str]:
    client = s3_client(moto_url)
    bucket = versioned_bucket(client)
    return S3EvidenceStore(client, bucket, clock), client, bucket


def http_request(
    method: str, url: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=10)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request(method, target, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def post_form(url: str, fields: dict[str, str], filename: str, content: bytes) -> int:
    """A browser's multipart/form-data POST: the ticket's fields, then the file, last."""
    body, form_type = encode_multipart_formdata(
        [*fields.items(), ("file", (filename, content, fields["Content-Type"]))]
    )
    status, _ = http_request("POST", url, body, {"Content-Type": form_type})
    return status


class Wire:
    """What the client sent and received: requests made and body bytes answered to GETs."""

    def __init__(self, client: S3Client) -> None:
        self.requests: list[str] = []
        self.ranges: list[str | None] = []
        self.bytes_answered = 0
        client.meta.events.register("before-send.s3", self._sent)
        client.meta.events.register("after-call.s3.GetObject", self._got)

    def _sent(self, request: Any, **_: Any) -> None:
        self.requests.append(request.method)
        if request.method == "GET":
            self.ranges.append(request.headers.get("Range", b"").decode() or None)

    def _got(self, http_response: Any, **_: Any) -> None:
        self.bytes_answered += int(http_response.headers["Content-Length"])


def test_p10_a_posted_jpeg_is_read_by_version_with_one_ranged_get_and_linked_for_staff(
    served: tuple[S3EvidenceStore, S3Client, str],
) -> None:
    store, client, bucket = served
    ticket = store.upload_ticket(KEY, "image/jpeg", len(JPEG))

    assert post_form(ticket.url, ticket.fields, "IMG_0001.jpg", JPEG) == 204

    stored = store.head(KEY)
    assert stored is not None
    assert stored.size == len(JPEG)
    assert client.head_object(Bucket=bucket, Key=KEY)["ContentType"] == "image/jpeg"

    wire = Wire(client)
    leading = store.leading_bytes(KEY, stored.version_id, LEADING_BYTES)
    assert leading == JPEG[:LEADING_BYTES]
    assert wire.ranges == [f"bytes=0-{LEADING_BYTES - 1}"]
    assert wire.bytes_answered == LEADING_BYTES  # ranged on the wire, not cut short locally
    assert verify("image/jpeg", len(JPEG), stored.size, leading, stored_type="image/jpeg") is None

    link = store.download_url(
        KEY, stored.version_id, content_type="image/jpeg", filename="evd_01.jpg"
    )
    assert f"versionId={stored.version_id}" in link
    assert "X-Amz-Expires=300" in link
    assert http_request("GET", link) == (200, JPEG)


JPEG_PREFIXED_HTML = b"\xff\xd8\xff\xe0<html><script>alert(document.cookie)</script></html>"


def http_get(url: str) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=10)
    try:
        connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        response = connection.getresponse()
        headers = {name.lower(): value for name, value in response.getheaders()}
        return response.status, headers, response.read()
    finally:
        connection.close()


def test_P10_a_post_that_swaps_its_content_type_is_caught_by_the_stored_type(
    served: tuple[S3EvidenceStore, S3Client, str],
) -> None:
    """moto takes a POST whose Content-Type field breaks the policy (AWS would refuse it): the
    object is stored as text/html, HEAD says so, and the check refuses it although its first
    bytes are a JPEG's."""
    store, _, _ = served
    ticket = store.upload_ticket(KEY, "image/jpeg", len(JPEG_PREFIXED_HTML))
    swapped = {**ticket.fields, "Content-Type": "text/html"}

    assert post_form(ticket.url, swapped, "photo.jpg", JPEG_PREFIXED_HTML) == 204

    stored = store.head(KEY)
    assert stored is not None
    assert stored.content_type == "text/html"
    leading = store.leading_bytes(KEY, stored.version_id, LEADING_BYTES)
    reason = verify(
        "image/jpeg",
        len(JPEG_PREFIXED_HTML),
        stored.size,
        leading,
        stored_type=stored.content_type,
    )
    assert reason is not None and "image/jpeg" in reason


def test_P10_staff_download_is_the_declared_type_as_an_attachment_whatever_was_stored(
    served: tuple[S3EvidenceStore, S3Client, str],
) -> None:
    """Even bytes stored as text/html are served as the declared type, to be saved, never
    rendered by the browser (ResponseContentType and ResponseContentDisposition are signed)."""
    store, client, bucket = served
    version = client.put_object(
        Bucket=bucket, Key=KEY, Body=JPEG_PREFIXED_HTML, ContentType="text/html"
    )["VersionId"]

    link = store.download_url(KEY, version, content_type="image/jpeg", filename="evd_01.jpg")

    status, headers, body = http_get(link)
    assert status == 200 and body == JPEG_PREFIXED_HTML
    assert headers["content-type"] == "image/jpeg"
    assert headers["content-disposition"] == 'attachment; filename="evd_01.jpg"'


@pytest.mark.parametrize("filename", ['a".jpg', "a b.jpg", "../x.jpg", "", "x" * 101, "é.jpg"])
def test_a_download_name_that_is_not_plain_is_refused(
    mocked_store: S3EvidenceStore, filename: str
) -> None:
    with pytest.raises(ValueError, match="file name"):
        mocked_store.download_url(KEY, "v1", content_type="image/jpeg", filename=filename)


def test_p10_a_second_upload_to_the_same_ticket_does_not_replace_the_verified_version(
    served: tuple[S3EvidenceStore, S3Client, str],
) -> None:
    store, _, _ = served
    ticket = store.upload_ticket(KEY, "image/jpeg", MAX_PHOTO_BYTES)
    assert post_form(ticket.url, ticket.fields, "first.jpg", JPEG) == 204
    verified = store.head(KEY)
    assert verified is not None

    assert post_form(ticket.url, ticket.fields, "second.jpg", PNG) == 204  # moto ignores the policy

    latest = store.head(KEY)
    assert latest is not None
    assert latest.version_id != verified.version_id
    assert store.head(KEY, verified.version_id) == verified
    assert store.leading_bytes(KEY, verified.version_id, 3) == JPEG[:3]
    assert http_request(
        "GET",
        store.download_url(
            KEY, verified.version_id, content_type="image/jpeg", filename="evd_01.jpg"
        ),
    ) == (200, JPEG)

    store.delete_version(KEY, latest.version_id)
    assert store.head(KEY) == verified


def test_p10_rejecting_a_bad_upload_costs_three_requests_and_at_most_32_bytes(
    served: tuple[S3EvidenceStore, S3Client, str],
) -> None:
    store, client, _ = served
    ticket = store.upload_ticket(KEY, "image/jpeg", len(TEXT))
    assert post_form(ticket.url, ticket.fields, "not-a-photo.jpg", TEXT) == 204
    wire = Wire(client)

    stored = store.head(KEY)
    assert stored is not None
    reason = verify(
        "image/jpeg",
        len(TEXT),
        stored.size,
        store.leading_bytes(KEY, stored.version_id, LEADING_BYTES),
        stored_type="image/jpeg",
    )
    assert reason is not None
    store.delete_version(KEY, stored.version_id)

    assert wire.requests == ["HEAD", "GET", "DELETE"]
    assert wire.bytes_answered == LEADING_BYTES
    assert store.head(KEY) is None
    store.delete_version(KEY, stored.version_id)  # a re-delivered event deletes nothing more


def test_p10_a_zero_byte_object_reads_as_no_bytes(
    served: tuple[S3EvidenceStore, S3Client, str],
) -> None:
    store, client, bucket = served
    version = client.put_object(Bucket=bucket, Key=KEY, Body=b"")["VersionId"]

    assert store.head(KEY) == StoredObject(
        size=0, version_id=version, content_type="binary/octet-stream"
    )
    # S3 answers a range on an empty object with 416 InvalidRange.
    assert store.leading_bytes(KEY, version, LEADING_BYTES) == b""


def test_missing_objects_and_versions_are_none_and_a_deleted_version_cannot_be_read(
    served: tuple[S3EvidenceStore, S3Client, str],
) -> None:
    store, client, bucket = served
    assert store.head("claims/clm_01/never-issued") is None

    version = client.put_object(Bucket=bucket, Key=KEY, Body=JPEG)["VersionId"]
    store.delete_version(KEY, version)

    assert store.head(KEY) is None
    assert store.head(KEY, version) is None
    with pytest.raises(NotFoundError):
        store.leading_bytes(KEY, version, LEADING_BYTES)


# ------------------------------------------------------------------ failures in domain terms


@pytest.fixture
def stubbed(clock: FixedClock) -> Iterator[tuple[S3EvidenceStore, Stubber]]:
    client = s3_client()
    with Stubber(client) as stubber:
        yield S3EvidenceStore(client, "evidence-bucket", clock), stubber


@pytest.mark.parametrize(
    ("code", "status"),
    [("SlowDown", 503), ("InternalError", 500), ("RequestTimeout", 400), ("503", 503)],
)
def test_throttling_and_s3_failures_are_service_unavailable(
    stubbed: tuple[S3EvidenceStore, Stubber], code: str, status: int
) -> None:
    store, stubber = stubbed
    stubber.add_client_error("head_object", service_error_code=code, http_status_code=status)

    with pytest.raises(ServiceUnavailableError) as raised:
        store.head(KEY)

    assert raised.value.__cause__ is not None


def test_access_denied_is_a_configuration_error_not_a_missing_object(
    stubbed: tuple[S3EvidenceStore, Stubber],
) -> None:
    store, stubber = stubbed
    stubber.add_client_error("get_object", service_error_code="AccessDenied", http_status_code=403)

    with pytest.raises(EvidenceStoreError, match="AccessDenied"):
        store.leading_bytes(KEY, "v1", LEADING_BYTES)


def test_an_unreachable_s3_is_service_unavailable(clock: FixedClock) -> None:
    client = boto3.client(
        "s3",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",  # discard port: nothing listens
        config=Config(retries={"mode": "standard", "max_attempts": 1}, connect_timeout=1).merge(
            presigning_config(custom_endpoint=True)
        ),
    )
    store = S3EvidenceStore(client, "evidence-bucket", clock)

    with pytest.raises(ServiceUnavailableError):
        store.delete_version(KEY, "v1")
