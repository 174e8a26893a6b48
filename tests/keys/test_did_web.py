"""keys.did_web: did:web URL mapping, DID documents and resolution through a fake fetch."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from keys.did_web import (
    KeyLifecycle,
    PublishedKey,
    build_did_document,
    did_web_for_url,
    did_web_to_url,
    method_id_for,
    parse_did_document,
    resolve_did_web,
)
from keys.errors import DidResolutionError, InvalidDid
from keys.keypairs import Algorithm, KeyPair

DID = "did:web:issuer.example.edu"
RETIRED_AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
COMPROMISED_AT = datetime(2026, 9, 15, 8, 30, 5, 250000, tzinfo=UTC)

# (DID, document URL, the URL did_web_for_url prints back), from the did:web spec's examples
MAPPINGS = [
    ("did:web:w3c-ccg.github.io", "https://w3c-ccg.github.io/.well-known/did.json"),
    ("did:web:w3c-ccg.github.io:user:alice", "https://w3c-ccg.github.io/user/alice/did.json"),
    ("did:web:example.com%3A3000", "https://example.com:3000/.well-known/did.json"),
    (
        "did:web:example.com%3A3000:user:alice",
        "https://example.com:3000/user/alice/did.json",
    ),
    ("did:web:localhost%3A8443", "https://localhost:8443/.well-known/did.json"),
    ("did:web:example.com:u:al_ice.x-1", "https://example.com/u/al_ice.x-1/did.json"),
    ("did:web:example.com:caf%C3%A9", "https://example.com/caf%C3%A9/did.json"),
]


@pytest.fixture
def current() -> list[KeyPair]:
    return [KeyPair.generate(Algorithm.ED25519), KeyPair.generate(Algorithm.P256)]


@pytest.fixture
def retired() -> list[KeyPair]:
    return [KeyPair.generate(Algorithm.ED25519)]


class TestDidWebToUrl:
    @pytest.mark.parametrize(("did", "url"), MAPPINGS)
    def test_spec_examples(self, did: str, url: str) -> None:
        assert did_web_to_url(did) == url

    def test_lower_case_port_escape(self) -> None:
        assert did_web_to_url("did:web:localhost%3a8443") == (
            "https://localhost:8443/.well-known/did.json"
        )

    @pytest.mark.parametrize(
        "did",
        [
            "did:web:",
            "did:web::user",
            "did:web:example.com:",
            "did:web:example.com::alice",
            "did:web:example.com:..",
            "did:web:example.com:.",
            "did:web:example.com:user:..:admin",
            "did:web:example.com:%2E%2E",
            "did:web:example.com:a%2Fb",
            "did:web:example.com:a%5Cb",
            "did:web:example.com:a%00b",
            "did:web:example.com:.well-known",
            "did:web:example.com#key-1",
            "did:web:example.com?versionId=1",
            "did:web:example.com/path",
            "did:web:example.com:user@x",
            "did:web:exa_mple.com",
            "did:web:-example.com",
            "did:web:example..com",
            "did:web:example.com.",
            "did:web:127.0.0.1",
            "did:web:10.1",
            "did:web:0x7f.1",
            "did:web:example.com%3A",
            "did:web:example.com%3A0",
            "did:web:example.com%3A65536",
            "did:web:example.com%3A80a",
            "did:web:example.com%3A1%3A2",
            "did:web:example.com%2F",
            "did:web",
            "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
            "DID:WEB:example.com",
            "",
            None,
        ],
    )
    def test_malformed(self, did: object) -> None:
        with pytest.raises(InvalidDid):
            did_web_to_url(did)  # type: ignore[arg-type]


class TestDidWebForUrl:
    @pytest.mark.parametrize(("did", "url"), MAPPINGS)
    def test_document_urls(self, did: str, url: str) -> None:
        assert did_web_for_url(url) == did

    @pytest.mark.parametrize(
        ("url", "did"),
        [
            ("https://example.com", "did:web:example.com"),
            ("https://example.com/", "did:web:example.com"),
            ("https://Example.COM/user/alice", "did:web:example.com:user:alice"),
            ("https://example.com/user/alice/", "did:web:example.com:user:alice"),
            ("https://localhost:8443", "did:web:localhost%3A8443"),
            ("https://localhost:8443/issuers/1", "did:web:localhost%3A8443:issuers:1"),
        ],
    )
    def test_origins_and_paths(self, url: str, did: str) -> None:
        assert did_web_for_url(url) == did
        assert did_web_for_url(did_web_to_url(did)) == did

    @pytest.mark.parametrize(
        "url",
        [
            "http://example.com",
            "ftp://example.com",
            "example.com",
            "https://",
            "https:///user",
            "https://user:pw@example.com",
            "https://user@example.com",
            "https://example.com/?x=1",
            "https://example.com/#frag",
            "https://example.com/a/../b",
            "https://example.com/a//b",
            "https://example.com/a%2Fb",
            "https://example.com/~alice",
            "https://example.com/.well-known",
            "https://example.com/did.json",
            "https://example.com/.well-known/other.json",
            "https://127.0.0.1/",
            "https://[::1]/",
            "https://example.com:99999/",
            "https://example.com:0/",
            None,
        ],
    )
    def test_malformed(self, url: object) -> None:
        with pytest.raises(InvalidDid):
            did_web_for_url(url)  # type: ignore[arg-type]


class TestBuildDidDocument:
    def test_current_keys(self, current: list[KeyPair]) -> None:
        document = build_did_document(DID, current)
        ids = [f"{DID}#{k.public_key_multibase}" for k in current]
        assert document["@context"] == [
            "https://www.w3.org/ns/did/v1",
            "https://w3id.org/security/multikey/v1",
        ]
        assert document["id"] == DID
        assert document["verificationMethod"] == [
            {
                "id": method_id,
                "type": "Multikey",
                "controller": DID,
                "publicKeyMultibase": k.public_key_multibase,
            }
            for method_id, k in zip(ids, current, strict=True)
        ]
        assert document["assertionMethod"] == ids
        assert document["authentication"] == ids
        assert document["capabilityInvocation"] == ids

    def test_retired_key_expires_and_only_asserts(
        self, current: list[KeyPair], retired: list[KeyPair]
    ) -> None:
        document = build_did_document(DID, [*current, PublishedKey.retired(retired[0], RETIRED_AT)])
        ids = [f"{DID}#{k.public_key_multibase}" for k in [*current, *retired]]
        assert document["verificationMethod"][2] == {
            "id": ids[2],
            "type": "Multikey",
            "controller": DID,
            "publicKeyMultibase": retired[0].public_key_multibase,
            "expires": "2026-06-01T12:00:00Z",
        }
        assert all("expires" not in m for m in document["verificationMethod"][:2])
        assert all("revoked" not in m for m in document["verificationMethod"])
        assert document["assertionMethod"] == ids
        assert document["authentication"] == ids[:2]
        assert document["capabilityInvocation"] == ids[:2]

    def test_compromised_key_is_revoked_and_in_no_relationship(
        self, current: list[KeyPair], retired: list[KeyPair]
    ) -> None:
        stolen = PublishedKey.compromised(retired[0], COMPROMISED_AT)
        document = build_did_document(DID, [current[0], stolen])
        current_id, stolen_id = (f"{DID}#{k.public_key_multibase}" for k in (current[0], *retired))
        assert document["verificationMethod"][1] == {
            "id": stolen_id,
            "type": "Multikey",
            "controller": DID,
            "publicKeyMultibase": retired[0].public_key_multibase,
            "revoked": "2026-09-15T08:30:05.250000Z",
        }
        for relationship in ("authentication", "assertionMethod", "capabilityInvocation"):
            assert document[relationship] == [current_id]

    def test_times_are_written_in_utc(self, current: list[KeyPair]) -> None:
        copenhagen = timezone(timedelta(hours=2))
        document = build_did_document(
            DID,
            [
                PublishedKey.retired(current[0], datetime(2026, 6, 1, 14, 0, tzinfo=copenhagen)),
                PublishedKey.compromised(current[1], datetime(2026, 6, 2, tzinfo=copenhagen)),
            ],
        )
        first, second = document["verificationMethod"]
        assert first["expires"] == "2026-06-01T12:00:00Z"
        assert second["revoked"] == "2026-06-01T22:00:00Z"
        assert document["authentication"] == []

    @pytest.mark.parametrize(
        ("state", "since"),
        [
            (KeyLifecycle.CURRENT, RETIRED_AT),
            (KeyLifecycle.RETIRED, None),
            (KeyLifecycle.COMPROMISED, None),
            (KeyLifecycle.RETIRED, datetime(2026, 6, 1)),
        ],
    )
    def test_a_lifecycle_needs_its_time(
        self, current: list[KeyPair], state: KeyLifecycle, since: datetime | None
    ) -> None:
        with pytest.raises(ValueError):
            PublishedKey(current[0], state, since)

    def test_keeps_fragments_of_ids_under_the_did(self, current: list[KeyPair]) -> None:
        named = current[0].with_ids(f"{DID}#key-2026", DID)
        foreign = current[1].with_ids(
            "did:web:elsewhere.example#key-1", "did:web:elsewhere.example"
        )
        document = build_did_document(DID, [named, foreign])
        assert [m["id"] for m in document["verificationMethod"]] == [
            f"{DID}#key-2026",
            f"{DID}#{foreign.public_key_multibase}",
        ]
        assert method_id_for(DID, named) == f"{DID}#key-2026"

    def test_never_includes_secrets(self, current: list[KeyPair], retired: list[KeyPair]) -> None:
        text = json.dumps(
            build_did_document(DID, [*current, PublishedKey.retired(retired[0], RETIRED_AT)])
        )
        for keypair in [*current, *retired]:
            assert keypair.secret_key_multibase not in text
        assert "secretKeyMultibase" not in text
        assert "privateKeyMultibase" not in text

    def test_no_keys(self) -> None:
        document = build_did_document(DID, [])
        assert document["verificationMethod"] == []
        assert document["assertionMethod"] == []

    def test_duplicate_key(self, current: list[KeyPair]) -> None:
        with pytest.raises(ValueError):
            build_did_document(
                DID, [*current, PublishedKey.compromised(current[0].public_only(), RETIRED_AT)]
            )

    def test_duplicate_id(self, current: list[KeyPair]) -> None:
        a = current[0].with_ids(f"{DID}#k", DID)
        b = current[1].with_ids(f"{DID}#k", DID)
        with pytest.raises(ValueError):
            build_did_document(DID, [a, b])

    def test_malformed_did(self, current: list[KeyPair]) -> None:
        with pytest.raises(InvalidDid):
            build_did_document("did:web:example.com:..", current)


class TestParseDidDocument:
    def test_parses(self, current: list[KeyPair]) -> None:
        document = build_did_document(DID, current)
        assert parse_did_document(DID, json.dumps(document).encode()) == document

    @pytest.mark.parametrize(
        "raw",
        [
            b"",
            b"not json",
            b"[]",
            b'"did:web:issuer.example.edu"',
            b'{"id": "did:web:other.example"}',
            b'{"id": "did:web:issuer.example.edu:sub"}',
            b"{}",
            b'{"id": "did:web:issuer.example.edu", "verificationMethod": {}}',
            b'{"id": "did:web:issuer.example.edu", "verificationMethod": ["x"]}',
            b'{"id": "did:web:issuer.example.edu", "assertionMethod": "#k"}',
            b'{"id": "did:web:issuer.example.edu", "assertionMethod": [1]}',
            b'{"id": "did:web:issuer.example.edu", "x": NaN}',
            b"\xff\xfe{",
        ],
    )
    def test_invalid(self, raw: bytes) -> None:
        with pytest.raises(DidResolutionError) as caught:
            parse_did_document(DID, raw)
        assert caught.value.code == "did_document_invalid"

    @pytest.mark.parametrize(
        "raw",
        [
            b'{"id": "did:web:issuer.example.edu", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
            b'{"id": "did:web:issuer.example.edu", "x": [' + b"1," * 30_000 + b"1]}",
            b'{"id": "did:web:issuer.example.edu", "x": "\\ud800"}',
        ],
        ids=["deep", "many-values", "lone-surrogate"],
    )
    def test_a_hostile_server_gets_a_clear_refusal(self, raw: bytes) -> None:
        """Read by the bounded reader: never a RecursionError from a did:web server."""
        with pytest.raises(DidResolutionError) as caught:
            parse_did_document(DID, raw)
        assert caught.value.code == "did_document_invalid"


class TestResolveDidWeb:
    def test_fetches_the_spec_url(self, current: list[KeyPair]) -> None:
        did = "did:web:example.com%3A3000:user:alice"
        document = build_did_document(did, current)
        asked: list[str] = []

        def fetch(url: str) -> bytes:
            asked.append(url)
            return json.dumps(document).encode()

        assert resolve_did_web(did, fetch) == document
        assert asked == ["https://example.com:3000/user/alice/did.json"]

    def test_fetch_failure_is_unresolved(self) -> None:
        def fetch(url: str) -> bytes:
            raise OSError("connection refused")

        with pytest.raises(DidResolutionError) as caught:
            resolve_did_web(DID, fetch)
        assert caught.value.code == "did_unresolved"
        assert isinstance(caught.value.__cause__, OSError)

    def test_document_of_another_did(self, current: list[KeyPair]) -> None:
        other = build_did_document("did:web:attacker.example", current)
        with pytest.raises(DidResolutionError) as caught:
            resolve_did_web(DID, lambda url: json.dumps(other).encode())
        assert caught.value.code == "did_document_invalid"

    def test_malformed_did_is_not_fetched(self) -> None:
        def fetch(url: str) -> bytes:
            raise AssertionError("must not fetch")

        with pytest.raises(InvalidDid):
            resolve_did_web("did:web:example.com:..:x", fetch)
