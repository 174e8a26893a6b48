"""schemas.bitstring against the Bitstring Status List specification's published facts."""

from __future__ import annotations

import base64
import gzip
import json

import pytest

from schemas.bitstring import MINIMUM_ENTRIES, decode_list, encode_list, is_set


@pytest.fixture(scope="module")
def facts(reference):
    return json.loads((reference / "w3c" / "status-list" / "facts.json").read_text("utf-8"))


class TestPublishedLists:
    def test_the_spec_list_decodes_to_zero_bits(self, facts):
        example = facts["examples"][0]
        bits = decode_list(example["encodedList"])
        assert len(bits) == example["uncompressedBytes"] == 16384
        assert not any(bits)
        assert is_set(bits, 94567) is False

    def test_the_malformed_explainer_string_is_refused(self, facts):
        with pytest.raises(ValueError):
            decode_list(facts["examples"][1]["encodedList"])

    @pytest.mark.parametrize(
        "name",
        [
            "rec-status-list-credential-eddsa-rdfc-2022.json",
            "rec-status-list-credential-ecdsa-rdfc-2019.json",
        ],
    )
    def test_recommendation_examples_decode(self, reference, name):
        document = json.loads((reference / "w3c" / "status-list" / name).read_text("utf-8"))
        bits = decode_list(document["credentialSubject"]["encodedList"])
        assert len(bits) * 8 >= MINIMUM_ENTRIES

    def test_our_empty_list_has_the_same_bits(self, facts):
        assert decode_list(encode_list([])) == decode_list(facts["examples"][0]["encodedList"])


class TestBitOrder:
    def test_index_zero_is_the_most_significant_bit(self):
        bits = decode_list(encode_list([0, 9, 131071]))
        assert bits[0] == 0b1000_0000
        assert bits[1] == 0b0100_0000
        assert bits[-1] == 0b0000_0001
        assert [i for i in range(MINIMUM_ENTRIES) if is_set(bits, i)] == [0, 9, 131071]

    def test_out_of_range(self):
        with pytest.raises(ValueError):
            encode_list([MINIMUM_ENTRIES])
        with pytest.raises(IndexError):
            is_set(decode_list(encode_list([])), MINIMUM_ENTRIES)


class TestRefusals:
    @pytest.mark.parametrize("value", [None, 3, "", "H4sIAAAA", "u!!!!", "uAAAA"])
    def test_not_a_list(self, value):
        with pytest.raises(ValueError):
            decode_list(value)

    def test_too_short_for_herd_privacy(self):
        short = "u" + base64.urlsafe_b64encode(gzip.compress(bytes(1024))).decode().rstrip("=")
        with pytest.raises(ValueError):
            decode_list(short)

    def test_gzip_bomb_is_refused(self):
        bomb = gzip.compress(bytes(64 * 1024 * 1024), compresslevel=9)
        encoded = "u" + base64.urlsafe_b64encode(bomb).decode().rstrip("=")
        with pytest.raises(ValueError):
            decode_list(encoded)
