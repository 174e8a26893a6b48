"""schemas.vc_rules: the W3C VC 1.1 / 2.0 data-model rules, each shape refused naming its path."""

from __future__ import annotations

from typing import Any

import pytest

from schemas.vc_rules import VC_V1, VC_V2, check_credential, parse_date_time, vc_version

SRI = "sha384-NSOcNpmdIVUxIJGvGUoe22FjTWrXiaXlsZ8q6912LdnR3KraQO2n75Ica4wK4Qeg"
MULTIBASE = "uJKGMkOmFbVJhEfKTduMC2XCyvRAYLjOVmZWwIH1wQ7k"
RELATED = "https://www.w3.org/ns/credentials/v2"


def v2(**more: Any) -> dict[str, Any]:
    return {
        "@context": [VC_V2],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "credentialSubject": {"id": "did:example:subject"},
        **more,
    }


def found(document: Any) -> list[tuple[str, str]]:
    return [(p.path, p.code) for p in check_credential(document)]


@pytest.mark.parametrize(
    "more",
    [
        {},
        {"issuer": {"id": "did:example:issuer", "name": {"@value": "X", "@language": "en"}}},
        {"validFrom": "4023-02-26T01:02:58.447Z"},
        {"validFrom": "2023-02-26T01:21:23Z", "validUntil": "2023-02-25T19:21:29-06:00"},
        {"credentialStatus": {"type": "BitstringStatusListEntry"}},
        {"credentialSchema": [{"id": "did:example:s/1", "type": "JsonSchema"}]},
        {"evidence": [{"type": "E"}, {"type": ["E", "F"]}]},
        {"relatedResource": {"id": RELATED, "digestSRI": SRI}},
        {"relatedResource": [{"id": RELATED, "digestMultibase": MULTIBASE, "mediaType": "a/b"}]},
        {"name": [{"@value": "Dog", "@language": "en"}, "Chien"]},
        {"description": {"@value": "D", "@language": "ar", "@direction": "rtl"}},
        {"credentialSubject": [{"id": "did:example:1"}, {"name": "Two"}]},
    ],
)
def test_conforming_v2(more: dict[str, Any]) -> None:
    assert found(v2(**more)) == []


@pytest.mark.parametrize(
    ("more", "expected"),
    [
        (
            {"@context": ["https://www.w3.org/ns/credentials/examples/v2"]},
            ("@context", "invalid_context"),
        ),
        ({"type": ["RelationshipCredential"]}, ("type", "invalid_type")),
        ({"type": ["VerifiableCredential", 2]}, ("type", "invalid_type")),
        ({"id": None}, ("id", "invalid_id")),
        ({"id": ["https://a.example/1", "https://b.example/1"]}, ("id", "invalid_id")),
        ({"id": "https ://not-a-url/1"}, ("id", "invalid_id")),
        ({"issuer": None}, ("issuer", "invalid_issuer")),
        ({"issuer": "fake-issuer"}, ("issuer", "invalid_issuer")),
        ({"issuer": {"id": None}}, ("issuer/id", "invalid_issuer")),
        ({"issuer": {}}, ("issuer/id", "invalid_issuer")),
        ({"credentialSubject": {}}, ("credentialSubject", "invalid_subject")),
        ({"credentialSubject": []}, ("credentialSubject", "invalid_subject")),
        (
            {"credentialSubject": [{"id": "did:example:1"}, {}]},
            ("credentialSubject/1", "invalid_subject"),
        ),
        (
            {"credentialSubject": {"id": ["did:a:1", "did:a:2"]}},
            ("credentialSubject/id", "invalid_id"),
        ),
        ({"validFrom": "Sat 25 Feb 2023 07:16:31 PM CST"}, ("validFrom", "invalid_date")),
        ({"validFrom": "2023-02-26T01:21:51"}, ("validFrom", "invalid_date")),
        ({"validUntil": "Sun, 26 Feb 2023 01:22:14 +0000"}, ("validUntil", "invalid_date")),
        ({"validFrom": "2023-02-30T00:00:00Z"}, ("validFrom", "invalid_date")),
        (
            {"validFrom": "2027-01-01T00:00:00Z", "validUntil": "2025-01-01T00:00:00Z"},
            ("validUntil", "invalid_validity_period"),
        ),
        (
            {"credentialStatus": {"id": "did:example:s"}},
            ("credentialStatus/type", "invalid_typed_object"),
        ),
        ({"credentialStatus": {"type": 2}}, ("credentialStatus/type", "invalid_typed_object")),
        (
            {"credentialStatus": {"type": "S", "id": ["did:a:1", "did:a:2"]}},
            ("credentialStatus/id", "invalid_id"),
        ),
        ({"credentialSchema": {"type": "S"}}, ("credentialSchema/id", "invalid_typed_object")),
        (
            {"credentialSchema": {"id": "did:a:1"}},
            ("credentialSchema/type", "invalid_typed_object"),
        ),
        ({"refreshService": {"id": "did:a:1"}}, ("refreshService/type", "invalid_typed_object")),
        ({"termsOfUse": {}}, ("termsOfUse/type", "invalid_typed_object")),
        ({"evidence": {}}, ("evidence/type", "invalid_typed_object")),
        ({"evidence": ["x"]}, ("evidence/0", "invalid_typed_object")),
        ({"relatedResource": [RELATED]}, ("relatedResource/0", "invalid_related_resource")),
        (
            {"relatedResource": [{"digestSRI": SRI}]},
            ("relatedResource/0/id", "invalid_related_resource"),
        ),
        ({"relatedResource": [{"id": RELATED}]}, ("relatedResource/0", "invalid_related_resource")),
        (
            {
                "relatedResource": [
                    {"id": RELATED, "digestSRI": SRI},
                    {"id": RELATED, "digestSRI": SRI},
                ]
            },
            ("relatedResource/1/id", "invalid_related_resource"),
        ),
        (
            {"relatedResource": {"id": RELATED, "digestSRI": "sha384-_rCVIV7fSXXTNIvp"}},
            ("relatedResource/digestSRI", "invalid_related_resource"),
        ),
        (
            {"relatedResource": {"id": RELATED, "digestMultibase": "not multibase"}},
            ("relatedResource/digestMultibase", "invalid_related_resource"),
        ),
        (
            {"name": {"@value": "X", "@language": "en", "url": "did:a:1"}},
            ("name", "invalid_language_value"),
        ),
        ({"description": {"@language": "en"}}, ("description", "invalid_language_value")),
        (
            {"name": [{"@value": "X", "@direction": "up"}]},
            ("name/0/@direction", "invalid_language_value"),
        ),
        (
            {"issuer": {"id": "did:a:1", "name": {"@value": "X", "url": "did:a:1"}}},
            ("issuer/name", "invalid_language_value"),
        ),
    ],
)
def test_each_invalid_shape_names_its_path(more: dict[str, Any], expected: tuple[str, str]) -> None:
    assert found(v2(**more))[:1] == [expected]


def test_issuer_is_required() -> None:
    document = v2()
    del document["issuer"]
    assert found(document) == [("issuer", "invalid_issuer")]


def test_not_a_credential() -> None:
    assert found([]) == [("", "invalid_credential")]
    assert found({"type": "VerifiableCredential"}) == [("@context", "invalid_context")]


class TestVc11:
    def v1(self, **more: Any) -> dict[str, Any]:
        return {**v2(**more), "@context": [VC_V1], "issuanceDate": "2025-01-01T00:00:00Z", **more}

    def test_conforming(self) -> None:
        assert vc_version(self.v1()) == "1.1"
        assert found(self.v1(expirationDate="2026-01-01T00:00:00")) == []

    def test_expiration_before_issuance(self) -> None:
        assert found(self.v1(expirationDate="2024-01-01T00:00:00Z")) == [
            ("expirationDate", "invalid_validity_period")
        ]

    def test_v2_only_rules_do_not_apply(self) -> None:
        assert found(self.v1(name={"@value": "X", "url": "y"})) == []


def test_date_time_stamp_needs_a_zone() -> None:
    assert parse_date_time("2025-01-01T00:00:00", zone_required=True) is None
    assert parse_date_time("2025-01-01T00:00:00", zone_required=False) is not None
    assert parse_date_time(7, zone_required=False) is None


# The base context's SHA2-256 digest as the VC 2.0 Recommendation publishes it (§B.1: treat the
# base context as already retrieved), written here in hex as the Recommendation gives it.
BASE_CONTEXT_SHA256 = "24a18c90e9856d526111f29376e302d970b2bd10182e33959995b0207d7043b9"


def _encodings(digest: bytes) -> dict[str, dict[str, str]]:
    """The digest as every form a related resource may carry it."""
    import base64

    import base58

    multihash = bytes([0x12, 0x20]) + digest
    url_safe = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    return {
        "sri": {"digestSRI": "sha256-" + base64.b64encode(digest).decode()},
        "base64url": {"digestMultibase": "u" + url_safe},
        "base64": {"digestMultibase": "m" + base64.b64encode(digest).decode()},
        "base58btc-multihash": {"digestMultibase": "z" + base58.b58encode(multihash).decode()},
        "base64url-multihash": {
            "digestMultibase": "u" + base64.urlsafe_b64encode(multihash).decode().rstrip("=")
        },
    }


@pytest.mark.parametrize("form", list(_encodings(b"\0" * 32)))
def test_a_digest_of_the_base_context_must_be_its_published_one(form: str) -> None:
    published = bytes.fromhex(BASE_CONTEXT_SHA256)
    good = _encodings(published)[form]
    assert found(v2(relatedResource={"id": RELATED, **good})) == []
    wrong = _encodings(bytes([published[0] ^ 1]) + published[1:])[form]
    member = next(iter(wrong))
    assert found(v2(relatedResource=[{"id": RELATED, **wrong}])) == [
        (f"relatedResource/0/{member}", "related_resource_digest_mismatch")
    ]


def test_digests_with_nothing_published_are_checked_for_their_form_only() -> None:
    # Nothing is fetched: another resource's digest, and a SHA-384 digest of the base context
    # (the Recommendation publishes SHA2-256 only), cannot be compared.
    other = _encodings(b"\1" * 32)["base64url"]
    assert found(v2(relatedResource={"id": "https://example.com/x", **other})) == []
    assert found(v2(relatedResource={"id": RELATED, "digestSRI": SRI})) == []
