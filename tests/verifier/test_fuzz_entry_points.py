"""Hypothesis over the verifier's entry points for untrusted bytes and JSON: a JAdES seal
(``verifier.jades.verify.verify_jades``) and a QR photo (``verifier.inputs.decode_qr``).

Whatever comes in, the answer is a result with a stable code (a seal) or a text / an
``InputError`` with a code (a photo) — never another exception. Short, derandomized runs here;
``make fuzz`` runs the ``fuzz``-marked long ones.
"""

from __future__ import annotations

import base64
import copy
import io
import json
import string
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SHARED_REFERENCE
from verifier.inputs import InputError, decode_qr
from verifier.jades.results import JadesResult
from verifier.jades.verify import verify_jades

SEALED = SHARED_REFERENCE / "elm" / "Sample-MC-Annex1-signed.jsonld"
NOW = datetime(2026, 11, 1, tzinfo=UTC)
QR_CODES = {
    "image_too_large",
    "too_large",
    "not_an_image",
    "no_qr_code",
    "busy",
}
SHORT = settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
LONG = settings(SHORT, max_examples=1500, derandomize=False)

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
B64URL = st.text(alphabet=string.ascii_letters + string.digits + "-_", max_size=60)
JWS_MEMBERS = st.fixed_dictionaries(
    {"payload": JSON | st.text(max_size=40), "signatures": JSON},
    optional={"protected": JSON | B64URL, "signature": JSON | B64URL, "header": JSON},
)


def sealed_sample() -> dict[str, Any]:
    if not SEALED.is_file():
        pytest.skip(f"the EU's sealed sample is not at {SEALED}")
    loaded: dict[str, Any] = json.loads(SEALED.read_text(encoding="utf-8"))
    return loaded


def assert_a_result(document: Any) -> JadesResult:
    result = verify_jades(document, now=NOW)
    assert isinstance(result, JadesResult)
    assert isinstance(result.code, str) and result.code
    assert isinstance(result.message, str)
    return result


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def protected_header(sample: dict[str, Any]) -> dict[str, Any]:
    text = sample["signatures"][0]["protected"]
    loaded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    return loaded


@st.composite
def mutated_seals(draw: st.DrawFn) -> dict[str, Any]:
    """The EU's real seal with one thing changed: a member replaced by arbitrary JSON, a member
    of the protected header changed (re-encoded), bytes of the signature or payload flipped."""
    sample = copy.deepcopy(SAMPLE)
    signature = sample["signatures"][0]
    how = draw(st.sampled_from(["member", "header", "signature", "payload", "etsiU", "drop"]))
    if how == "member":
        target = draw(st.sampled_from([sample, signature, signature["header"]]))
        target[draw(st.sampled_from([*target, "x5c", "alg"]))] = draw(JSON)
    elif how == "header":
        header = protected_header(sample)
        header[draw(st.sampled_from([*header, "crit", "b64", "x5c", "sigT", "alg"]))] = draw(JSON)
        signature["protected"] = b64url(json.dumps(header).encode())
    elif how in ("signature", "payload"):
        key, holder = ("signature", signature) if how == "signature" else ("payload", sample)
        text = holder[key]
        at = draw(st.integers(0, max(0, len(text) - 1)))
        holder[key] = text[:at] + draw(st.text(max_size=3)) + text[at + 1 :]
    elif how == "etsiU":
        units = signature["header"].get("etsiU", [])
        if units:
            at = draw(st.integers(0, len(units) - 1))
            units[at] = draw(JSON | B64URL)
    else:
        del signature[draw(st.sampled_from(sorted(signature)))]
    return sample


SAMPLE: dict[str, Any] = (
    json.loads(SEALED.read_text(encoding="utf-8")) if SEALED.is_file() else {}
)


class TestJades:
    def test_the_real_seal_verifies_its_signature(self) -> None:
        result = assert_a_result(sealed_sample())
        assert result.payload is not None  # genuine; the chain is unchecked without anchors

    @SHORT
    @given(JSON)
    def test_any_json_value_gets_a_result(self, document: Any) -> None:
        if isinstance(document, dict):
            assert_a_result(document)

    @SHORT
    @given(JWS_MEMBERS)
    def test_anything_shaped_like_a_jws_gets_a_result(self, document: dict[str, Any]) -> None:
        assert_a_result(document)

    @pytest.mark.usefixtures("reference")
    @SHORT
    @given(mutated_seals())
    def test_a_mutated_real_seal_gets_a_result(self, document: dict[str, Any]) -> None:
        result = assert_a_result(document)
        if result.code == "jades_valid":
            pytest.fail("a changed seal is never valid without trust anchors")

    @pytest.mark.fuzz
    @pytest.mark.usefixtures("reference")
    @LONG
    @given(mutated_seals() | JWS_MEMBERS)
    def test_fuzz_jades(self, document: dict[str, Any]) -> None:
        assert_a_result(document)


# --- photos -------------------------------------------------------------------------------

MODES = st.sampled_from(["1", "L", "P", "RGB", "RGBA", "I;16", "LA", "CMYK"])
FORMATS = st.sampled_from(["PNG", "GIF", "JPEG", "BMP", "WEBP", "TIFF"])


@st.composite
def small_images(draw: st.DrawFn) -> bytes:
    """A small image of random mode, size and pixels, in a random format (animated
    sometimes), or such an image's bytes cut short."""
    from PIL import Image

    mode = draw(MODES)
    width, height = draw(st.integers(1, 48)), draw(st.integers(1, 48))
    probe = Image.new(mode, (1, 1))
    size = len(probe.tobytes()) * width * height
    pixels = draw(st.binary(min_size=size, max_size=size))
    image = Image.frombytes(mode, (width, height), pixels)
    fmt = draw(FORMATS)
    buffer = io.BytesIO()
    try:
        if fmt == "GIF" and draw(st.booleans()):
            frames = [image.convert("P"), Image.new("P", (width, height), 3)]
            frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])
        else:
            image.save(buffer, format=fmt)
    except (OSError, ValueError, KeyError):
        image.convert("RGB").save(buffer, format="PNG")
    data = buffer.getvalue()
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return data


def assert_code_or_text(data: bytes) -> None:
    try:
        text = decode_qr(data)
    except InputError as error:
        assert error.code in QR_CODES, error.code
    else:
        assert isinstance(text, str)


class TestQr:
    @SHORT
    @given(st.binary(max_size=2000))
    def test_any_bytes(self, data: bytes) -> None:
        assert_code_or_text(data)

    @SHORT
    @given(small_images())
    def test_small_random_images(self, data: bytes) -> None:
        assert_code_or_text(data)

    @pytest.mark.fuzz
    @LONG
    @given(small_images() | st.binary(max_size=20_000))
    def test_fuzz_qr(self, data: bytes) -> None:
        assert_code_or_text(data)


