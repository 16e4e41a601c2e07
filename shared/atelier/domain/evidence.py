"""Claim evidence files (P10): which files a claim accepts, and whether an uploaded file is what
its uploader declared.

The check reads only what S3 reports about the object (its size and stored Content-Type) and
its first `LEADING_BYTES` bytes (one ranged GET): never the whole file.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple

from atelier.domain.errors import InvalidRequestError
from atelier.domain.ids import order_id_of_claim

MIB = 1024 * 1024
MAX_PHOTO_BYTES = 25 * MIB
MAX_VIDEO_BYTES = 200 * MIB

PHOTO_TYPES = ("image/jpeg", "image/png", "image/heic", "image/webp")
VIDEO_TYPES = ("video/mp4", "video/quicktime")

# Every accepted content type and its size cap, in bytes.
MAX_BYTES: Mapping[str, int] = MappingProxyType(
    {
        **dict.fromkeys(PHOTO_TYPES, MAX_PHOTO_BYTES),
        **dict.fromkeys(VIDEO_TYPES, MAX_VIDEO_BYTES),
    }
)

# How much of a file the verification reads (a ranged GET); enough for every signature below.
LEADING_BYTES = 32

# What a customer calls each type, in messages.
LABELS: Mapping[str, str] = MappingProxyType(
    {
        "image/jpeg": "JPEG image",
        "image/png": "PNG image",
        "image/heic": "HEIC image",
        "image/webp": "WebP image",
        "video/mp4": "MP4 video",
        "video/quicktime": "QuickTime (MOV) video",
    }
)

# The file name extension of a download of each type.
EXTENSIONS: Mapping[str, str] = MappingProxyType(
    {
        "image/jpeg": ".jpg",
        "image/png": ".png",
        "image/heic": ".heic",
        "image/webp": ".webp",
        "video/mp4": ".mp4",
        "video/quicktime": ".mov",
    }
)

ALLOWED_SUMMARY = (
    f"JPEG, PNG, HEIC or WebP photos up to {MAX_PHOTO_BYTES // MIB} MB, "
    f"and MP4 or QuickTime (MOV) videos up to {MAX_VIDEO_BYTES // MIB} MB"
)

_JPEG = b"\xff\xd8\xff"
_PNG = b"\x89PNG\r\n\x1a\n"
_WEBP_CHUNKS = (b"VP8 ", b"VP8L", b"VP8X")
# ISO base media (ftyp) major brands. Only the major brand decides: AVIF files, for one, list
# `mif1` among their compatible brands and must not pass as HEIC.
_HEIC_BRANDS = frozenset(
    {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"}
)
_QUICKTIME_BRANDS = frozenset({b"qt  "})
_MP4_BRANDS = frozenset(
    {
        b"isom",
        b"iso2",
        b"iso3",
        b"iso4",
        b"iso5",
        b"iso6",
        b"iso8",
        b"iso9",
        b"mp41",
        b"mp42",
        b"avc1",
        b"dash",
        b"mmp4",
        b"MSNV",
        b"M4V ",
        b"M4VH",
        b"M4VP",
    }
)
# size (4) + "ftyp" (4) + major brand (4) + minor version (4)
_FTYP_MIN_SIZE = 16


class EvidenceKey(NamedTuple):
    """Where a claim's file lives in the bucket, and what that says about it."""

    order_id: str
    claim_id: str
    evidence_id: str


def evidence_key(claim_id: str, evidence_id: str) -> str:
    """`claims/{claim_id}/{evidence_id}`: the claim id names its order, so the upload check
    reads the order directly (docs/decisions.md)."""
    return f"claims/{claim_id}/{evidence_id}"


def parse_evidence_key(key: str) -> EvidenceKey | None:
    """What an object key under `claims/` names; None for a key no ticket could have issued."""
    parts = key.split("/")
    if len(parts) != 3 or parts[0] != "claims" or not parts[2]:
        return None
    order_id = order_id_of_claim(parts[1])
    return EvidenceKey(order_id, parts[1], parts[2]) if order_id else None


def max_bytes_for(content_type: str) -> int:
    """The size cap of an accepted content type; InvalidRequestError for any other type."""
    cap = MAX_BYTES.get(content_type)
    if cap is None:
        raise InvalidRequestError(
            f"Files of type {content_type!r} cannot be used as evidence. Upload {ALLOWED_SUMMARY}.",
            code="EVIDENCE_TYPE_NOT_ALLOWED",
            details={"allowed_types": list(MAX_BYTES)},
        )
    return cap


def check_declared(content_type: str, size_bytes: int) -> None:
    """Refuse, before any upload, a file whose declared type or size a claim cannot take.

    Content types are compared exactly (lower case, no parameters), because the upload policy
    pins the very same string.
    """
    cap = max_bytes_for(content_type)
    if size_bytes <= 0:
        raise InvalidRequestError(
            "The file is empty. Choose a photo or video that shows the problem.",
            code="EVIDENCE_EMPTY",
        )
    if size_bytes > cap:
        raise InvalidRequestError(
            f"{LABELS[content_type]}s can be at most {_megabytes(cap)}; this file is "
            f"{_megabytes(size_bytes)}. Upload a smaller or shorter file.",
            code="EVIDENCE_TOO_LARGE",
            details={"max_bytes": cap, "size_bytes": size_bytes},
        )


def sniff(leading: bytes) -> str | None:
    """The accepted content type that a file's leading bytes show, or None for anything else."""
    if leading.startswith(_JPEG):
        return "image/jpeg"
    if leading.startswith(_PNG):
        return "image/png"
    if leading[0:4] == b"RIFF" and leading[8:12] == b"WEBP" and leading[12:16] in _WEBP_CHUNKS:
        return "image/webp"
    if len(leading) >= _FTYP_MIN_SIZE and leading[4:8] == b"ftyp":
        (box_size,) = struct.unpack(">I", leading[0:4])
        if box_size < _FTYP_MIN_SIZE:
            return None
        brand = leading[8:12]
        if brand in _HEIC_BRANDS:
            return "image/heic"
        if brand in _QUICKTIME_BRANDS:
            return "video/quicktime"
        if brand in _MP4_BRANDS:
            return "video/mp4"
    return None


def download_filename(evidence_id: str, content_type: str) -> str:
    """The name a staff download is saved under: our id and the declared type's extension
    (the customer's file name is only a label, and never reaches a header)."""
    return evidence_id + EXTENSIONS.get(content_type, "")


def verify(
    declared_type: str,
    declared_size: int,
    actual_size: int,
    leading: bytes,
    *,
    stored_type: str,
) -> str | None:
    """None when an uploaded file is what was declared; else the reason, for the customer.

    `actual_size` is the stored object's size; `leading` its first bytes (`LEADING_BYTES`, or
    fewer when the file is shorter); `stored_type` the Content-Type it is stored with, which is
    the type S3 serves it as: it must be the declared type exactly (the upload policy pins it,
    but an emulation, or a policy mistake, may let another through). A file smaller than
    declared is accepted: the upload policy allows 1 byte up to the declared size, and the
    stored size is the one to keep.
    """
    cap = MAX_BYTES.get(declared_type)
    if cap is None:
        return f"Files of type {declared_type!r} cannot be used as evidence."
    label = LABELS[declared_type]
    if stored_type != declared_type:
        # The uploader's own string is not repeated: it is whatever they chose to send.
        return (
            f"The file was not uploaded as a {label}: its Content-Type must be "
            f"{declared_type}, as the upload ticket says. Ask for a new upload and send the "
            "ticket's fields unchanged."
        )
    if actual_size <= 0:
        return "The file is empty. Upload a photo or video that shows the problem."
    if actual_size > cap:
        return (
            f"The file is {_megabytes(actual_size)}, over the {_megabytes(cap)} allowed for "
            f"{label}s."
        )
    if actual_size > declared_size:
        return (
            f"The file is {actual_size:,} bytes, larger than the {declared_size:,} bytes "
            "declared for it. Ask for a new upload with the file's real size."
        )
    found = sniff(leading)
    if found == declared_type:
        return None
    if found is None:
        return f"The file is not a {label}. Upload {ALLOWED_SUMMARY}."
    return (
        f"The file is a {LABELS[found]}, not the {label} declared for it. "
        "Ask for a new upload with the file's real type."
    )


def _megabytes(size: int) -> str:
    if size % MIB == 0:
        return f"{size // MIB} MB"
    return f"{size / MIB:.1f} MB"
