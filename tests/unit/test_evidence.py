"""P10: a claim's evidence is a photo or video of an accepted type and size, and an uploaded file
is only verified when its real size and leading bytes agree with what was declared.

The files under tests/fixtures/evidence are real (see generate.py there): the check reads the
same bytes a ranged GET would return.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from atelier.domain.claims import MAX_EVIDENCE_FILES
from atelier.domain.errors import InvalidRequestError
from atelier.domain.evidence import (
    LEADING_BYTES,
    MAX_BYTES,
    MAX_PHOTO_BYTES,
    MAX_VIDEO_BYTES,
    EvidenceKey,
    check_declared,
    download_filename,
    evidence_key,
    max_bytes_for,
    parse_evidence_key,
    sniff,
    verify,
)
from atelier.domain.ids import new_claim_id, new_order_id, order_id_of_claim
from tests.factories import MONDAY_10AM

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "evidence"
MB = 1024 * 1024


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def leading(content: bytes) -> bytes:
    """What the ranged GET returns: the first LEADING_BYTES bytes, or fewer."""
    return content[:LEADING_BYTES]


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    payload = major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return struct.pack(">I", len(payload) + 8) + b"ftyp" + payload + b"\x00" * 16


# The rules' numbers


def test_p10_caps_are_25_mb_for_photos_200_mb_for_videos_and_10_files_per_claim() -> None:
    assert MAX_PHOTO_BYTES == 25 * 1024 * 1024
    assert MAX_VIDEO_BYTES == 200 * 1024 * 1024
    assert MAX_EVIDENCE_FILES == 10  # the claim's own rule (domain/claims.py)
    assert dict(MAX_BYTES) == {
        "image/jpeg": MAX_PHOTO_BYTES,
        "image/png": MAX_PHOTO_BYTES,
        "image/heic": MAX_PHOTO_BYTES,
        "image/webp": MAX_PHOTO_BYTES,
        "video/mp4": MAX_VIDEO_BYTES,
        "video/quicktime": MAX_VIDEO_BYTES,
    }
    assert LEADING_BYTES == 32


# Declared before the upload (the ticket request)


@pytest.mark.parametrize("content_type", list(MAX_BYTES))
def test_p10_each_allowed_type_is_accepted_from_one_byte_up_to_its_cap(content_type: str) -> None:
    check_declared(content_type, 1)
    check_declared(content_type, MAX_BYTES[content_type])
    assert max_bytes_for(content_type) == MAX_BYTES[content_type]


@pytest.mark.parametrize(
    "content_type",
    [
        "image/gif",
        "image/avif",
        "image/jpg",
        "image/svg+xml",
        "application/pdf",
        "text/plain",
        "video/x-msvideo",
        "video/webm",
        "application/octet-stream",
        "IMAGE/JPEG",
        "image/jpeg; charset=binary",
        "",
    ],
)
def test_p10_other_content_types_are_refused_with_the_allowed_list(content_type: str) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        check_declared(content_type, 1000)

    assert refused.value.code == "EVIDENCE_TYPE_NOT_ALLOWED"
    for allowed in ("JPEG", "PNG", "HEIC", "WebP", "MP4", "QuickTime", "25 MB", "200 MB"):
        assert allowed in refused.value.message
    assert refused.value.details == {"allowed_types": list(MAX_BYTES)}


@pytest.mark.parametrize(
    ("content_type", "size", "cap_text"),
    [
        ("image/jpeg", 25 * MB + 1, "25 MB"),
        ("image/heic", 26 * MB, "25 MB"),
        ("video/mp4", 200 * MB + 1, "200 MB"),
        ("video/quicktime", 1024 * MB, "200 MB"),
    ],
)
def test_p10_a_file_over_its_cap_is_refused_naming_the_cap(
    content_type: str, size: int, cap_text: str
) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        check_declared(content_type, size)

    assert refused.value.code == "EVIDENCE_TOO_LARGE"
    assert cap_text in refused.value.message
    assert refused.value.details == {"max_bytes": MAX_BYTES[content_type], "size_bytes": size}


def test_p10_a_photo_may_not_use_the_video_cap() -> None:
    check_declared("video/mp4", 100 * MB)
    with pytest.raises(InvalidRequestError, match="25 MB"):
        check_declared("image/png", 100 * MB)


@pytest.mark.parametrize("size", [0, -1])
def test_p10_an_empty_file_is_refused(size: int) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        check_declared("image/jpeg", size)

    assert refused.value.code == "EVIDENCE_EMPTY"


# What the leading bytes say


@pytest.mark.parametrize(
    ("name", "content_type"),
    [("photo.jpg", "image/jpeg"), ("photo.png", "image/png"), ("video.mp4", "video/mp4")],
)
def test_p10_fixture_files_are_recognised_from_their_first_32_bytes(
    name: str, content_type: str
) -> None:
    assert sniff(leading(fixture(name))) == content_type


@pytest.mark.parametrize(
    ("head", "content_type"),
    [
        (ftyp(b"heic", b"mif1", b"heic"), "image/heic"),
        (ftyp(b"heix", b"mif1"), "image/heic"),
        (ftyp(b"mif1", b"heic"), "image/heic"),
        (ftyp(b"msf1", b"hevc"), "image/heic"),
        (ftyp(b"qt  ", b"qt  "), "video/quicktime"),
        (ftyp(b"mp42", b"isom", b"mp42"), "video/mp4"),
        (ftyp(b"M4V ", b"M4V ", b"mp42"), "video/mp4"),
        (ftyp(b"dash", b"iso6"), "video/mp4"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00" + b"\x00" * 16, "image/webp"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8L\x18\x00\x00\x00" + b"\x00" * 16, "image/webp"),
    ],
)
def test_p10_heic_webp_quicktime_and_mp4_headers_are_recognised(
    head: bytes, content_type: str
) -> None:
    assert sniff(head[:LEADING_BYTES]) == content_type


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"\xff\xd8",  # cut short before the third byte of the JPEG marker
        b"GIF89a\x01\x00\x01\x00",
        b"%PDF-1.7\n",
        b"RIFF\x24\x00\x00\x00WAVEfmt ",  # a WAV: RIFF, but not WebP
        b"RIFF\x24\x00\x00\x00AVI LIST",
        ftyp(b"avif", b"mif1", b"miaf"),  # AVIF lists mif1 but is not HEIC
        ftyp(b"M4A ", b"isom"),  # audio only
        ftyp(b"3gp5", b"isom"),
        b"\x00\x00\x00\x08ftypisom\x00\x00\x00\x00",  # an ftyp box too small to be one
        b"\x00\x00\x00\x14moovisom",  # no ftyp box at offset 4
    ],
)
def test_p10_other_leading_bytes_are_not_recognised(head: bytes) -> None:
    assert sniff(head) is None


# Verification of the uploaded object


@pytest.mark.parametrize(
    ("name", "content_type"),
    [("photo.jpg", "image/jpeg"), ("photo.png", "image/png"), ("video.mp4", "video/mp4")],
)
def test_p10_a_genuine_jpeg_png_and_mp4_are_verified(name: str, content_type: str) -> None:
    content = fixture(name)

    assert (
        verify(content_type, len(content), len(content), leading(content), stored_type=content_type)
        is None
    )


def test_p10_a_file_smaller_than_declared_is_verified() -> None:
    content = fixture("photo.jpg")

    assert (
        verify("image/jpeg", 5 * MB, len(content), leading(content), stored_type="image/jpeg")
        is None
    )


def test_p10_a_png_declared_as_mp4_is_rejected_saying_what_it_is() -> None:
    content = fixture("photo.png")

    reason = verify(
        "video/mp4", len(content), len(content), leading(content), stored_type="video/mp4"
    )

    assert reason is not None
    assert "PNG image" in reason
    assert "MP4 video" in reason


def test_p10_a_zero_byte_file_is_rejected() -> None:
    reason = verify("image/jpeg", 1000, 0, b"", stored_type="image/jpeg")

    assert reason is not None
    assert "empty" in reason


def test_p10_a_text_file_named_jpg_is_rejected() -> None:
    content = fixture("not-a-photo.jpg")

    reason = verify(
        "image/jpeg", len(content), len(content), leading(content), stored_type="image/jpeg"
    )

    assert reason is not None
    assert "not a JPEG image" in reason


def test_p10_an_object_larger_than_declared_is_rejected() -> None:
    content = fixture("photo.jpg")

    reason = verify(
        "image/jpeg", len(content) - 1, len(content), leading(content), stored_type="image/jpeg"
    )

    assert reason is not None
    assert "larger than" in reason
    assert f"{len(content) - 1:,} bytes" in reason


@pytest.mark.parametrize(
    ("content_type", "name", "cap_text"),
    [("image/jpeg", "photo.jpg", "25 MB"), ("video/mp4", "video.mp4", "200 MB")],
)
def test_p10_an_object_over_the_cap_is_rejected_even_if_declared_so(
    content_type: str, name: str, cap_text: str
) -> None:
    over = MAX_BYTES[content_type] + 1

    reason = verify(content_type, over, over, leading(fixture(name)), stored_type=content_type)

    assert reason is not None
    assert cap_text in reason


def test_p10_a_jpeg_declared_as_heic_is_rejected() -> None:
    content = fixture("photo.jpg")

    reason = verify(
        "image/heic", len(content), len(content), leading(content), stored_type="image/heic"
    )

    assert reason == (
        "The file is a JPEG image, not the HEIC image declared for it. "
        "Ask for a new upload with the file's real type."
    )


# A JPEG's first bytes in front of a web page: the leading bytes pass, the stored type does not.
JPEG_PREFIXED_HTML = b"\xff\xd8\xff\xe0<html><script>alert(document.cookie)</script></html>"


def test_P10_a_file_stored_under_another_content_type_than_declared_is_rejected() -> None:
    """The bytes look like a JPEG, but S3 would serve the object as it was stored (text/html):
    the stored Content-Type must be the declared one."""
    content = JPEG_PREFIXED_HTML

    reason = verify(
        "image/jpeg", len(content), len(content), leading(content), stored_type="text/html"
    )

    assert reason is not None
    assert "JPEG image" in reason and "image/jpeg" in reason
    assert "text/html" not in reason  # the uploader's own string is never echoed


@pytest.mark.parametrize("stored", ["image/JPEG", "image/jpeg; charset=utf-8", "", "image/png"])
def test_P10_only_the_exact_declared_content_type_is_accepted(stored: str) -> None:
    content = fixture("photo.jpg")

    assert verify("image/jpeg", len(content), len(content), leading(content), stored_type=stored)
    assert (
        verify("image/jpeg", len(content), len(content), leading(content), stored_type="image/jpeg")
        is None
    )


@pytest.mark.parametrize(
    ("content_type", "extension"),
    [
        ("image/jpeg", ".jpg"),
        ("image/png", ".png"),
        ("image/heic", ".heic"),
        ("image/webp", ".webp"),
        ("video/mp4", ".mp4"),
        ("video/quicktime", ".mov"),
    ],
)
def test_P10_a_download_is_named_by_the_evidence_id_and_its_declared_type(
    content_type: str, extension: str
) -> None:
    """The customer's file name is only a label: the download's name is built from our id."""
    assert download_filename("evd_01KF", content_type) == "evd_01KF" + extension


def test_p10_a_type_that_was_never_allowed_is_rejected() -> None:
    content = b"GIF89a" + b"\x00" * 26

    assert (
        verify("image/gif", len(content), len(content), content, stored_type="image/gif")
        is not None
    )


@given(
    declared_type=st.sampled_from(list(MAX_BYTES)),
    declared_size=st.integers(min_value=1, max_value=MAX_VIDEO_BYTES),
    actual_size=st.integers(min_value=0, max_value=MAX_VIDEO_BYTES + 1),
    head=st.one_of(
        st.binary(max_size=LEADING_BYTES),
        st.sampled_from(
            [
                leading(fixture("photo.jpg")),
                leading(fixture("photo.png")),
                leading(fixture("video.mp4")),
                ftyp(b"heic")[:LEADING_BYTES],
                ftyp(b"qt  ")[:LEADING_BYTES],
            ]
        ),
    ),
)
def test_p10_verify_accepts_only_a_non_empty_file_within_declaration_and_cap_of_its_type(
    declared_type: str, declared_size: int, actual_size: int, head: bytes
) -> None:
    accepted = (
        0 < actual_size <= min(declared_size, MAX_BYTES[declared_type])
        and sniff(head) == declared_type
    )

    assert (
        verify(declared_type, declared_size, actual_size, head, stored_type=declared_type) is None
    ) == accepted


# Keys: the claim id names its order, so the upload check reads the order directly


def test_a_claim_id_names_its_order_and_its_number_on_it() -> None:
    order_id = new_order_id(MONDAY_10AM)
    claim_id = new_claim_id(order_id, 2)
    assert claim_id == f"clm_{order_id.removeprefix('ord_')}_2"
    assert order_id_of_claim(claim_id) == order_id


@given(order=st.from_regex(r"[0-9A-Za-z_]{1,40}", fullmatch=True), number=st.integers(1, 10**6))
def test_any_claim_id_gives_back_the_order_it_was_made_for(order: str, number: int) -> None:
    assert order_id_of_claim(new_claim_id(f"ord_{order}", number)) == f"ord_{order}"


@pytest.mark.parametrize(
    "text",
    [
        "clm_01J0000000000000000000000A",
        "clm__1",
        "clm_X_0",
        "clm_X_01",
        "clm_X_",
        "ord_X_1",
        "clm_X_1/",
        "clm_X-Y_1",
        "clm_X_1\n",
        "",
    ],
)
def test_a_string_that_is_no_claim_id_names_no_order(text: str) -> None:
    assert order_id_of_claim(text) is None


def test_an_evidence_key_names_order_claim_and_file() -> None:
    claim_id = new_claim_id("ord_01KABC", 1)
    key = evidence_key(claim_id, "evd_01KXYZ")
    assert key == f"claims/{claim_id}/evd_01KXYZ"
    assert parse_evidence_key(key) == EvidenceKey("ord_01KABC", claim_id, "evd_01KXYZ")


@pytest.mark.parametrize(
    "key",
    [
        "claims/clm_01KOLDFORMAT0000000000000/evd_1",  # before claim ids named their order
        "claims/clm_01KABC_1/",
        "claims/clm_01KABC_1/evd_1/more",
        "other/clm_01KABC_1/evd_1",
        "claims/evd_1",
    ],
)
def test_a_key_no_ticket_could_have_issued_names_nothing(key: str) -> None:
    assert parse_evidence_key(key) is None
