"""The verifier's edge (issue #11): no request takes a worker down, every refusal is clear.

Photos are judged by their header before any pixel is decoded; JSON is read by one bounded
reader at every door; a body over the limit is 413 whatever its transfer encoding; text fields
with NUL or lone surrogates are ``invalid_input``; ``microcred verify`` refuses a file over the
limit in one line. Each test here failed on the main branch before this work.
"""

from __future__ import annotations

import io
import json
import random
from typing import Any

import pytest
import qrcode
from click.testing import CliRunner
from PIL import Image, ImageDraw, ImageFile, ImageFilter

from cli.main import main as microcred
from verifier.app import create_app
from verifier.fetch.client import Fetched, FetchError
from verifier.inputs import DECODE_SIDE, InputError, decode_qr
from verifier.limits import LIMITS

SHARE_URL = "https://issuer.example/c/abc123"
LINK = f"https://verifier.example/verify?url={SHARE_URL}"
JSON_ACCEPT = {"Accept": "application/json"}


class StubFetcher:
    """Serves one credential; anything else fails like an unreachable host."""

    def __init__(self, pages: dict[str, bytes]) -> None:
        self.pages = pages

    def fetch(self, url: str, *, accept: str = "application/json") -> Fetched:
        if url not in self.pages:
            raise FetchError("fetch_failed", f"{url} did not answer")
        return Fetched(url, 200, self.pages[url], {})

    def __call__(self, url: str) -> bytes:
        return self.fetch(url).content


@pytest.fixture
def client(signed: dict[str, Any]) -> Any:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "FETCHER": StubFetcher({SHARE_URL: json.dumps(signed).encode()}),
        }
    )
    return app.test_client()


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def phone_photo(
    text: str, size: tuple[int, int] = (4032, 3024), share: float = 0.12, fmt: str = "JPEG"
) -> bytes:
    """A phone-sized photo: a QR code of ``text`` covering ``share`` of the shorter side, turned
    a little, on a cluttered, unevenly lit background, blurred, saved as ``fmt``."""
    rng = random.Random(7)
    photo = Image.new("RGB", size, (200, 190, 170))
    draw = ImageDraw.Draw(photo)
    for _ in range(60):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        colour = tuple(rng.randrange(90, 255) for _ in range(3))
        draw.rectangle([x, y, x + rng.randrange(50, 600), y + rng.randrange(50, 400)], fill=colour)
    side = int(min(size) * share)
    code = qrcode.make(text, border=4).convert("RGB").resize((side, side), Image.Resampling.NEAREST)
    code = code.rotate(7, expand=True, fillcolor=(255, 255, 255))
    photo.paste(code, (rng.randrange(size[0] - code.width), rng.randrange(size[1] - code.height)))
    shade = Image.linear_gradient("L").resize(size).point(lambda v: 255 - v // 3)
    photo = Image.composite(photo, Image.new("RGB", size, (30, 30, 30)), shade)
    photo = photo.filter(ImageFilter.GaussianBlur(1.2))
    buffer = io.BytesIO()
    photo.save(buffer, format=fmt, **({"quality": 85} if fmt == "JPEG" else {}))
    return buffer.getvalue()


class TestPhotos:
    def test_the_37_kb_pixel_bomb_is_refused_from_its_header(self, client: Any) -> None:
        """13,000 x 13,000 one-bit PNG: 18 s and a GB to decode on main; refused unread."""
        bomb = png(Image.new("1", (13_000, 13_000), 1))
        assert len(bomb) < 64 * 1024
        data = {"qr": (io.BytesIO(bomb), "b.png")}
        response = client.post(
            "/verify", data=data, content_type="multipart/form-data", headers=JSON_ACCEPT
        )
        assert response.status_code == 413
        assert response.get_json()["error"]["code"] == "image_too_large"

    @pytest.mark.parametrize("size", [(9000, 100), (4100, 4100)], ids=["side", "pixels"])
    def test_over_the_limits_nothing_is_decoded(
        self, size: tuple[int, int], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        image = png(Image.new("1", size, 1))

        def no_decoding(self: Any) -> Any:
            raise AssertionError("pixels were decoded")

        monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
        with pytest.raises(InputError) as refused:
            decode_qr(image)
        assert (refused.value.code, refused.value.status) == ("image_too_large", 413)

    @pytest.mark.parametrize(
        ("size", "share", "fmt"),
        [
            ((4032, 3024), 0.12, "JPEG"),
            ((4032, 3024), 0.35, "JPEG"),
            ((3000, 4000), 0.2, "JPEG"),
            ((2400, 1800), 0.2, "PNG"),
        ],
        ids=["12mp-small-code", "12mp-large-code", "portrait", "png"],
    )
    def test_a_phone_photo_of_a_qr_code_is_still_read(
        self, size: tuple[int, int], share: float, fmt: str
    ) -> None:
        assert decode_qr(phone_photo(LINK, size, share, fmt)) == LINK

    def test_the_photo_is_read_small(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import zxingcpp

        seen: list[tuple[int, int]] = []
        original = zxingcpp.read_barcodes

        def spy(image: Any, **options: Any) -> Any:
            seen.append(image.size)
            assert image.mode == "L"
            return original(image, **options)

        monkeypatch.setattr(zxingcpp, "read_barcodes", spy)
        assert decode_qr(phone_photo(LINK)) == LINK
        assert seen and max(seen[0]) <= DECODE_SIDE

    def test_only_the_first_frame_of_an_animation_is_read(self) -> None:
        code = qrcode.make(LINK, border=4).convert("L")
        blank = Image.new("L", code.size, 255)
        first_blank, first_code = io.BytesIO(), io.BytesIO()
        blank.save(first_blank, format="GIF", save_all=True, append_images=[code] * 50)
        code.save(first_code, format="GIF", save_all=True, append_images=[blank] * 50)
        with pytest.raises(InputError) as refused:
            decode_qr(first_blank.getvalue())
        assert refused.value.code == "no_qr_code"
        assert decode_qr(first_code.getvalue()) == LINK

    def test_a_photo_through_the_form_reaches_the_credential(self, client: Any) -> None:
        data = {"qr": (io.BytesIO(phone_photo(LINK)), "photo.jpg")}
        response = client.post(
            "/verify", data=data, content_type="multipart/form-data", headers=JSON_ACCEPT
        )
        assert response.status_code == 200
        assert response.get_json()["checks"][1]["code"] == "seal_valid"


class TestJsonAtTheEdge:
    def test_a_chunked_body_over_the_limit_is_413(self, client: Any) -> None:
        """25 MB sent chunked: main answered 400 ``empty`` (it read nothing)."""
        body = io.BytesIO(b'{"a": "' + b"x" * (25 * 1024 * 1024) + b'"}')
        response = client.post(
            "/api/verify",
            input_stream=body,
            headers={"Transfer-Encoding": "chunked", "Content-Type": "application/json"},
        )
        assert response.status_code == 413
        assert response.get_json()["error"]["code"] == "too_large"
        assert body.tell() <= LIMITS.max_bytes + 64 * 1024  # read no further than needed

    def test_a_chunked_body_within_the_limit_is_read(self, client: Any, signed: Any) -> None:
        response = client.post(
            "/api/verify",
            input_stream=io.BytesIO(json.dumps(signed).encode()),
            headers={"Transfer-Encoding": "chunked", "Content-Type": "application/json"},
        )
        assert response.status_code == 200
        assert response.get_json()["checks"][1]["code"] == "seal_valid"

    @pytest.mark.parametrize("route", ["/api/verify", "/credentials/verify"])
    def test_a_lone_surrogate_is_invalid_input(self, client: Any, route: str) -> None:
        body = b'{"verifiableCredential": {"name": "\\ud800"}, "name": "\\udfff"}'
        response = client.post(route, data=body)
        assert response.status_code == 400
        assert response.get_json()["error"]["code"] == "invalid_input"

    def test_too_many_values_is_413_before_parsing(self, client: Any) -> None:
        body = b"[" + b"1," * (LIMITS.max_nodes + 10) + b"1]"
        response = client.post("/api/verify", data=body)
        assert response.status_code == 413
        assert response.get_json()["error"]["code"] == "too_many_nodes"

    def test_an_uploaded_file_over_the_limit_is_413(self, client: Any) -> None:
        # The multipart body is made here: werkzeug's test client would spool it to a
        # temporary file it never closes.
        content = b" " * (LIMITS.max_bytes + 10)
        body = (
            b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.json"\r\n'
            b"Content-Type: application/json\r\n\r\n" + content + b"\r\n--b--\r\n"
        )
        response = client.post(
            "/verify",
            input_stream=io.BytesIO(body),
            content_length=len(body),
            content_type="multipart/form-data; boundary=b",
            headers=JSON_ACCEPT,
        )
        assert response.status_code == 413
        assert response.get_json()["error"]["code"] == "too_large"

    @pytest.mark.parametrize(
        ("field", "value"),
        [("url", "https://issuer.example/c/a\x00b"), ("credential", '{"a": 1}\x00')],
    )
    def test_a_form_field_with_nul_is_invalid_input(
        self, client: Any, field: str, value: str
    ) -> None:
        response = client.post("/verify", data={field: value}, headers=JSON_ACCEPT)
        assert response.status_code == 400
        assert response.get_json()["error"]["code"] == "invalid_input"

    @pytest.mark.parametrize(
        "url", ["https://issuer.example/c/a\x00b", "https://issuer.example/" + "a" * 3000]
    )
    def test_a_link_that_is_not_text_is_invalid_input(self, client: Any, url: str) -> None:
        response = client.get("/verify", query_string={"url": url}, headers=JSON_ACCEPT)
        assert response.status_code == 400
        assert response.get_json()["error"]["code"] == "invalid_input"


class TestCommandLine:
    def test_a_file_over_the_limit_is_refused_in_one_line(self, tmp_path: Any) -> None:
        """50 MB embedded image: main read it whole and ended in internal_error."""
        document = {"@context": [], "image": "data:image/png;base64," + "A" * (50 * 1024 * 1024)}
        path = tmp_path / "monster.json"
        path.write_text(json.dumps(document))
        result = CliRunner().invoke(microcred, ["verify", str(path)])
        assert result.exit_code == 2
        lines = result.output.strip().splitlines()
        assert len(lines) == 1
        assert "too_large" in lines[0] and "2,097,152 bytes" in lines[0]

    def test_too_many_values_is_refused(self, tmp_path: Any) -> None:
        path = tmp_path / "many.json"
        path.write_text(json.dumps({f"p{n}": n for n in range(100_000)}))
        result = CliRunner().invoke(microcred, ["verify", str(path)])
        assert result.exit_code == 2
        assert "too_many_nodes" in result.output


class TestStructureAtEveryDoor:
    """The structural limits answer the same at every door that reads a credential from text
    (and so hands its bounds on, ``verifier.limits.read_bounded``) as ``verify_credential``
    walking the document: a ``format`` error with the limit's code, nothing else checked."""

    @staticmethod
    def answer(document: dict[str, Any], door: str) -> tuple[int, dict[str, Any]]:
        text = json.dumps(document).encode()
        app = create_app(
            {"TESTING": True, "SECRET_KEY": "test", "FETCHER": StubFetcher({SHARE_URL: text})}
        )
        client = app.test_client()
        if door == "api":
            response = client.post("/api/verify", data=text, content_type="application/json")
        elif door == "vc-api":
            response = client.post("/credentials/verify", json={"verifiableCredential": document})
        elif door == "link":
            response = client.get(f"/verify?url={SHARE_URL}", headers=JSON_ACCEPT)
        else:  # the multipart body made here: in memory (werkzeug's would be a temporary file)
            body = (
                b'--b\r\nContent-Disposition: form-data; name="file"; filename="c.json"\r\n'
                b"Content-Type: application/json\r\n\r\n" + text + b"\r\n--b--\r\n"
            )
            response = client.post(
                "/verify",
                data=body,
                content_type="multipart/form-data; boundary=b",
                headers=JSON_ACCEPT,
            )
        answer = response.get_json()
        return response.status_code, answer.get("report", answer)

    @pytest.mark.parametrize("door", ["api", "vc-api", "link", "form"])
    @pytest.mark.parametrize(
        ("change", "code"),
        [
            (lambda d: d.update(proof=[d["proof"]] * (LIMITS.max_proofs + 1)), "too_many_proofs"),
            (lambda d: d.update(note="x" * (LIMITS.max_string + 1)), "string_too_long"),
            (lambda d: None, None),
        ],
        ids=["proofs", "string", "ordinary"],
    )
    def test_the_same_answer_as_the_walk(
        self, signed: dict[str, Any], door: str, change: Any, code: str | None
    ) -> None:
        change(signed)
        status, answer = self.answer(signed, door)
        assert status == (400 if door == "vc-api" and code else 200)  # the VC API: 400 failed
        checks = answer["checks"] if isinstance(answer, dict) else answer
        found = {c["check"]: (c["outcome"], c["code"]) for c in checks}
        if code is None:
            assert found["format"][0] == "ok" and found["seal"] == ("ok", "seal_valid")
            return
        assert found["format"] == ("error", code)
        assert all(found[name] == ("unchecked", code) for name in found if name != "format")
