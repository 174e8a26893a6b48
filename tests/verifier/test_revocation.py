"""verifier.checks.revocation: status lists fetched, sealed by the issuer, bits read."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from issuer.demo import reference_credential, reference_keypair
from keys.did_key import keypair_with_did_key
from keys.keypairs import Algorithm, KeyPair
from keys.proof import add_proof
from schemas.bitstring import encode_list
from verifier.checks.revocation import check_revocation
from verifier.http import FetchError
from verifier.verify import VerifierOptions, verify_credential

NOW = datetime(2026, 11, 1, tzinfo=UTC)
SIGNED_AT = datetime(2026, 7, 1, tzinfo=UTC)
LISTS = "https://issuer.example/status"
STATUS_CONTEXT = "https://www.w3.org/ns/credentials/status/v1"


def status_list(key: KeyPair, purpose: str, set_bits: list[int], number: int, **extra) -> bytes:
    document = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": f"{LISTS}/{number}",
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": key.controller,
        "validFrom": "2026-07-01T00:00:00Z",
        "credentialSubject": {
            "id": f"{LISTS}/{number}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encode_list(set_bits),
        },
        **extra,
    }
    return json.dumps(add_proof(document, key, created=SIGNED_AT)).encode()


def entry(purpose: str, index: int, number: int) -> dict:
    return {
        "id": f"{LISTS}/{number}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": f"{LISTS}/{number}",
    }


@pytest.fixture
def issuer_key() -> KeyPair:
    return reference_keypair()


@pytest.fixture
def credential(issuer_key) -> dict:
    document = reference_credential(issuer_key)
    document["@context"].insert(2, STATUS_CONTEXT)
    document["credentialStatus"] = [entry("revocation", 1234, 1), entry("suspension", 99, 2)]
    return add_proof(document, issuer_key, created=SIGNED_AT)


def served(pages: dict[str, bytes]):
    def fetch(url: str) -> bytes:
        if url not in pages:
            raise FetchError("fetch_failed", f"{url} did not answer")
        return pages[url]

    return fetch


def check(credential, pages):
    return check_revocation(credential, fetch=served(pages), now=NOW)


def outcome(result) -> tuple[str, str]:
    return result.outcome.value, result.code


class TestStatus:
    def test_not_revoked(self, credential, issuer_key):
        pages = {
            f"{LISTS}/1": status_list(issuer_key, "revocation", [5], 1),
            f"{LISTS}/2": status_list(issuer_key, "suspension", [], 2),
        }
        assert outcome(check(credential, pages)) == ("ok", "not_revoked")

    def test_revoked(self, credential, issuer_key):
        pages = {
            f"{LISTS}/1": status_list(issuer_key, "revocation", [1234], 1),
            f"{LISTS}/2": status_list(issuer_key, "suspension", [], 2),
        }
        assert outcome(check(credential, pages)) == ("error", "revoked")

    def test_suspended(self, credential, issuer_key):
        pages = {
            f"{LISTS}/1": status_list(issuer_key, "revocation", [], 1),
            f"{LISTS}/2": status_list(issuer_key, "suspension", [99], 2),
        }
        assert outcome(check(credential, pages)) == ("error", "suspended")

    def test_list_that_does_not_answer_is_unchecked(self, credential, issuer_key):
        pages = {f"{LISTS}/1": status_list(issuer_key, "revocation", [1234], 1)}
        assert outcome(check(credential, pages)) == ("unchecked", "status_unavailable")

    def test_no_fetcher_is_unchecked(self, credential):
        assert outcome(check_revocation(credential, now=NOW)) == ("unchecked", "status_not_fetched")

    def test_list_sealed_by_someone_else(self, credential, issuer_key):
        forger = keypair_with_did_key(KeyPair.generate(Algorithm.ED25519))
        pages = {
            f"{LISTS}/1": status_list(forger, "revocation", [], 1),
            f"{LISTS}/2": status_list(issuer_key, "suspension", [], 2),
        }
        assert outcome(check(credential, pages)) == ("error", "status_list_invalid")

    def test_tampered_list(self, credential, issuer_key):
        tampered = json.loads(status_list(issuer_key, "revocation", [1234], 1))
        tampered["credentialSubject"]["encodedList"] = encode_list([])
        pages = {
            f"{LISTS}/1": json.dumps(tampered).encode(),
            f"{LISTS}/2": status_list(issuer_key, "suspension", [], 2),
        }
        assert outcome(check(credential, pages)) == ("error", "status_list_invalid")

    def test_purpose_mismatch(self, credential, issuer_key):
        pages = {
            f"{LISTS}/1": status_list(issuer_key, "suspension", [], 1),
            f"{LISTS}/2": status_list(issuer_key, "suspension", [], 2),
        }
        assert outcome(check(credential, pages)) == ("error", "status_purpose_mismatch")

    def test_expired_list_is_unchecked(self, credential, issuer_key):
        pages = {
            f"{LISTS}/1": status_list(
                issuer_key, "revocation", [], 1, validUntil="2026-08-01T00:00:00Z"
            ),
            f"{LISTS}/2": status_list(issuer_key, "suspension", [], 2),
        }
        assert outcome(check(credential, pages)) == ("unchecked", "status_list_expired")

    @pytest.mark.parametrize("page", [b"not json", b"[]", b'{"type": "VerifiableCredential"}'])
    def test_garbage_list(self, credential, issuer_key, page):
        pages = {f"{LISTS}/1": page, f"{LISTS}/2": status_list(issuer_key, "suspension", [], 2)}
        assert outcome(check(credential, pages)) == ("error", "status_list_invalid")

    @pytest.mark.parametrize(
        "bad",
        [
            {"type": "StatusList2021Entry"},
            "text",
            {**entry("revocation", 1, 1), "statusListIndex": "-1"},
            {**entry("revocation", 1, 1), "statusListIndex": 7},
        ],
    )
    def test_malformed_entries(self, issuer_key, bad):
        document = {"credentialStatus": bad}
        assert check_revocation(document, fetch=served({}), now=NOW).outcome.value == "error"

    def test_index_beyond_the_list(self, issuer_key):
        document = {
            "issuer": issuer_key.controller,
            "credentialStatus": entry("revocation", 10_000_000, 1),
        }
        pages = {f"{LISTS}/1": status_list(issuer_key, "revocation", [], 1)}
        assert outcome(check(document, pages)) == ("error", "status_index_out_of_range")


def test_full_verification_reports_revoked(credential, issuer_key):
    pages = {
        f"{LISTS}/1": status_list(issuer_key, "revocation", [1234], 1),
        f"{LISTS}/2": status_list(issuer_key, "suspension", [], 2),
    }
    report = verify_credential(credential, VerifierOptions(now=NOW, fetch=served(pages)))
    assert report.result("revocation").code == "revoked"
    assert report.result("seal").code == "seal_valid"
    assert not report.verified
