"""Claim evidence files in the private S3 bucket: upload tickets (presigned POST), the few reads
the verification needs, and short-lived download links for staff.

Every read or delete names an object version: the bytes that were verified are the bytes staff
see, even after a second upload to the same key.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from atelier.domain.errors import NotFoundError, ServiceUnavailableError
from atelier.ports import StoredObject, UploadTicket

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

    from atelier.ports import Clock

MAX_UPLOAD_TICKET_SECONDS = 15 * 60
MAX_DOWNLOAD_URL_SECONDS = 5 * 60

# S3 answers worth retrying later; any 5xx is treated the same way.
_TRANSIENT = frozenset(
    {
        "SlowDown",
        "ServiceUnavailable",
        "InternalError",
        "RequestTimeout",
        "Throttling",
        "ThrottlingException",
        "RequestLimitExceeded",
        "503",
        "500",
    }
)
# A missing key or version. HEAD answers carry no body, so only the status is left as the code.
# (S3 answers 403 instead of 404 to a caller without s3:ListBucket: grant it on the prefix.)
_MISSING = frozenset({"404", "NoSuchKey", "NoSuchVersion"})
# botocore presigns S3 requests with the deprecated SigV2 unless the client's Config names a
# signature version, even though `client.meta.config.signature_version` reads "s3v4" either way;
# S3 refuses SigV2 for buckets made since 2020. moto accepts both, so only this check shows it.
_SIGV2_REFUSED = (
    "the evidence bucket's S3 client presigns with SigV2: build it with presigning_config()"
)
# A ranged GET of a zero-byte object: nothing to read.
_EMPTY_RANGE = frozenset({"InvalidRange", "416"})
# A download's file name goes into a Content-Disposition header unquoted by anyone else.
_PLAIN_FILENAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$")
# What S3 stores for an object uploaded without a Content-Type.
_NO_CONTENT_TYPE = "binary/octet-stream"


class EvidenceStoreError(Exception):
    """S3 refused a request for a reason a retry will not fix (access denied, no such bucket):
    a misconfiguration, not the caller's fault. Deliberately not a DomainError, so the API
    answers it as an unexpected 500 with a correlation id."""


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


def _is_transient(exc: ClientError) -> bool:
    return _code(exc) in _TRANSIENT or _status(exc) >= 500


@contextmanager
def translated_s3_errors(operation: str) -> Iterator[None]:
    """Turn botocore failures into domain errors. Missing objects are the caller's to handle
    (they are caught inside, before this sees them)."""
    try:
        yield
    except ClientError as exc:
        if _is_transient(exc):
            raise ServiceUnavailableError(
                "The file store is busy; try again shortly.",
                details={"operation": operation},
            ) from exc
        raise EvidenceStoreError(
            f"S3 refused {operation} with {_code(exc) or _status(exc)}"
        ) from exc
    except BotoCoreError as exc:  # timeouts, connection failures, a stream cut short
        raise ServiceUnavailableError(
            "The file store did not answer; try again shortly.",
            details={"operation": operation},
        ) from exc


def presigning_config(*, custom_endpoint: bool = False) -> Config:
    """The client settings presigned POSTs and URLs need; merge them into the SDK config:
    `boto3.client("s3", config=sdk_config.merge(presigning_config()))`.

    botocore presigns S3 requests with the deprecated SigV2 unless the Config names a signature
    version (see `_SIGV2_REFUSED`). Virtual-host addressing on the regional endpoint keeps a
    browser's POST from being redirected. An endpoint given as an IP address (the local stack's
    moto on 127.0.0.1) gets path style anyway; only a named custom host (`localhost`) needs
    `custom_endpoint=True`, or the bucket would become part of the host name.
    """
    if custom_endpoint:
        return Config(signature_version="s3v4", s3={"addressing_style": "path"})
    return Config(
        signature_version="s3v4",
        s3={"addressing_style": "virtual", "us_east_1_regional_endpoint": "regional"},
    )


class S3EvidenceStore:
    def __init__(self, client: S3Client, bucket: str, clock: Clock) -> None:
        self._client = client
        self._bucket = bucket
        self._clock = clock

    @property
    def bucket(self) -> str:
        return self._bucket

    def upload_ticket(
        self,
        key: str,
        content_type: str,
        max_bytes: int,
        expires_in: int = MAX_UPLOAD_TICKET_SECONDS,
    ) -> UploadTicket:
        """A presigned POST for exactly this key, this Content-Type and 1..max_bytes bytes.

        botocore writes the policy's expiration from the real clock (AWS checks it against the
        real clock too); `expires_at`, for the API answer, comes from the injected clock, so it
        agrees with every other time the API shows. With the system clock both are the same
        instant (to the second; the answer is never later than the policy).
        """
        if not 0 < expires_in <= MAX_UPLOAD_TICKET_SECONDS:
            raise ValueError(f"an upload ticket lasts 1..{MAX_UPLOAD_TICKET_SECONDS} seconds")
        if max_bytes < 1:
            raise ValueError("max_bytes must be at least 1")
        if "${filename}" in key:
            # S3 would substitute the browser's file name: the key would no longer be ours.
            raise ValueError("an evidence key is chosen by the server, never by the file name")
        expires_at = self._clock.now().replace(microsecond=0) + timedelta(seconds=expires_in)
        with translated_s3_errors("upload_ticket"):
            # botocore adds the `bucket` condition and, for a key without `${filename}`, the
            # exact `{"key": key}` condition and field.
            post = self._client.generate_presigned_post(
                Bucket=self._bucket,
                Key=key,
                Fields={"Content-Type": content_type},
                Conditions=[
                    {"Content-Type": content_type},
                    ["content-length-range", 1, max_bytes],
                ],
                ExpiresIn=expires_in,
            )
        fields = {str(name): str(value) for name, value in post["fields"].items()}
        if "x-amz-signature" not in fields:
            raise EvidenceStoreError(_SIGV2_REFUSED)
        return UploadTicket(url=post["url"], fields=fields, expires_at=expires_at)

    def head(self, key: str, version_id: str | None = None) -> StoredObject | None:
        """The object's size, version (the latest, unless one is named) and stored
        Content-Type; None when there is no such object or version (or the latest is a delete
        marker)."""
        params: dict[str, Any] = {"Bucket": self._bucket, "Key": key}
        if version_id is not None:
            params["VersionId"] = version_id
        with translated_s3_errors("head"):
            try:
                answer = self._client.head_object(**params)
            except ClientError as exc:
                if _code(exc) in _MISSING or (_code(exc) == "400" and version_id is not None):
                    # 400 on a HEAD with a version: a version id that cannot exist.
                    return None
                raise
        # An object written while the bucket was never versioned has S3's "null" version,
        # which GetObject and DeleteObject accept by that name.
        return StoredObject(
            size=int(answer["ContentLength"]),
            version_id=answer.get("VersionId") or "null",
            content_type=answer.get("ContentType") or _NO_CONTENT_TYPE,
        )

    def leading_bytes(self, key: str, version_id: str, count: int) -> bytes:
        """At most the first `count` bytes of that version: one ranged GET, never the whole
        file. A zero-byte object gives b"". NotFoundError when the version is gone."""
        if count < 1:
            raise ValueError("count must be at least 1")
        with translated_s3_errors("leading_bytes"):
            try:
                answer = self._client.get_object(
                    Bucket=self._bucket, Key=key, VersionId=version_id, Range=f"bytes=0-{count - 1}"
                )
            except ClientError as exc:
                if _code(exc) in _EMPTY_RANGE:
                    return b""
                if _code(exc) in _MISSING:
                    raise NotFoundError(
                        "The evidence file is no longer stored.", code="EVIDENCE_NOT_FOUND"
                    ) from exc
                raise
            # read(count) as well: should a server ignore the Range, no more is read.
            with closing(answer["Body"]) as body:
                return body.read(count)

    def delete_version(self, key: str, version_id: str) -> None:
        """Delete that version for good (no delete marker). Deleting it twice is harmless."""
        with translated_s3_errors("delete_version"):
            self._client.delete_object(Bucket=self._bucket, Key=key, VersionId=version_id)

    def download_url(
        self,
        key: str,
        version_id: str,
        *,
        content_type: str,
        filename: str,
        expires_in: int = MAX_DOWNLOAD_URL_SECONDS,
    ) -> str:
        """A presigned GET of exactly that version, valid `expires_in` seconds (at most 5
        minutes), answered with `content_type` and as an attachment named `filename`: S3 serves
        an object as the type it was stored with, and a browser renders an HTML page stored
        under a photo's key; the signed response overrides make it a download of the declared
        type. Signing is local: no request is made."""
        if not 0 < expires_in <= MAX_DOWNLOAD_URL_SECONDS:
            raise ValueError(f"a download link lasts 1..{MAX_DOWNLOAD_URL_SECONDS} seconds")
        if not _PLAIN_FILENAME.match(filename) or ".." in filename:
            raise ValueError(
                f"a download's file name is letters, digits, '.', '_' and '-': {filename!r}"
            )
        with translated_s3_errors("download_url"):
            url = self._client.generate_presigned_url(
                "get_object",
                Params={
                    "Bucket": self._bucket,
                    "Key": key,
                    "VersionId": version_id,
                    "ResponseContentType": content_type,
                    "ResponseContentDisposition": f'attachment; filename="{filename}"',
                },
                ExpiresIn=expires_in,
            )
        if "X-Amz-Signature=" not in url:
            raise EvidenceStoreError(_SIGV2_REFUSED)
        return url
