"""Organisations' logos: only PNG or JPEG (by their header), bounded in bytes and pixels,
re-encoded; set with ``microcred issuer set-logo``; drawn at the top of the certificate PDF."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from pypdf import PdfReader

from issuer.errors import InvalidInput
from issuer.partnerships.logos import MAX_BYTES, check_logo
from tests.issuer.test_staff import api_issue


def _image(kind: str, size: tuple[int, int] = (120, 60)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (11, 78, 162)).save(out, format=kind)
    return out.getvalue()


@pytest.mark.parametrize(("kind", "media_type"), [("PNG", "image/png"), ("JPEG", "image/jpeg")])
def test_png_and_jpeg_are_accepted_and_re_encoded(kind: str, media_type: str) -> None:
    data, found = check_logo(_image(kind) + b"trailing bytes")
    assert found == media_type
    assert not data.endswith(b"trailing bytes")
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (120, 60)


@pytest.mark.parametrize(
    "data",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        _image("GIF"),
        _image("PNG", (8, 8)),
        b"\x89PNG\r\n\x1a\n" + b"\0" * 100,
        b"x" * (MAX_BYTES + 1),
    ],
    ids=["svg", "gif", "tiny", "broken-png", "too-large"],
)
def test_other_files_are_refused(data: bytes) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_logo(data)
    assert refused.value.code == "invalid_logo"


def test_the_logo_heads_the_certificate(cli, tmp_path, app, client, auth, demo) -> None:  # type: ignore[no-untyped-def]
    uuid = api_issue(client, auth, "S-1", "Åsa", "Lind")
    share = client.post(f"/api/v1/credentials/{uuid}/share-links", headers=auth()).get_json()
    path = "/c/" + share["url"].rsplit("/c/", 1)[1] if "url" in share else None
    assert path, share
    before = PdfReader(io.BytesIO(client.get(f"{path}/certificate.pdf").data))
    logo = tmp_path / "logo.png"
    logo.write_bytes(_image("PNG"))
    partnership = demo.partnership.slug
    organisation = demo.organisations[0].slug
    assert cli("set-logo", partnership, organisation, str(logo)).stdout.strip() == "logo set"
    after = PdfReader(io.BytesIO(client.get(f"{path}/certificate.pdf").data))
    assert len(after.pages[0].images) == len(before.pages[0].images) + 1
    cli("set-logo", partnership, organisation, "--remove")
    removed = PdfReader(io.BytesIO(client.get(f"{path}/certificate.pdf").data))
    assert len(removed.pages[0].images) == len(before.pages[0].images)
