"""verifier.checks.revocation: status lists fetched, sealed by the issuer, bits read."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest

from demo.reference import reference_credential, reference_keypair
from keys.did_key import keypair_with_did_key
from keys.keypairs import Algorithm, KeyPair
from keys.proof import add_proof
from schemas.bitstring import encode_list
from verifier.checks.revocation import check_revocation
from verifier.fetch.cache import FileCache
from verifier.fetch.client import Fetched, FetchError, FetchPolicy, GuardedFetcher
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


# --- when the status was read -----------------------------------------------------------------

READ_1 = datetime(2026, 12, 3, 20, 41, 5, tzinfo=UTC)
READ_2 = datetime(2026, 12, 3, 20, 41, 9, tzinfo=UTC)


class EntryFetch:
    """A fetch function that also says when each answer was confirmed (like GuardedFetcher)."""

    def __init__(self, pages: dict[str, tuple[bytes, datetime]], max_age: float = 10) -> None:
        self.pages, self.max_age = pages, max_age

    def fetch_entry(self, url: str) -> Fetched:
        if url not in self.pages:
            raise FetchError("fetch_failed", f"{url} did not answer")
        body, read_at = self.pages[url]
        return Fetched(url, 200, body, {}, fetched_at=read_at, max_age=self.max_age)

    def __call__(self, url: str) -> bytes:
        return self.fetch_entry(url).content


class TestStatusReadAt:
    def test_the_report_says_when_each_list_was_read(self, credential, issuer_key):
        fetch = EntryFetch(
            {
                f"{LISTS}/1": (status_list(issuer_key, "revocation", [], 1), READ_2),
                f"{LISTS}/2": (status_list(issuer_key, "suspension", [], 2), READ_1),
            }
        )
        result = check_revocation(credential, fetch=fetch, now=NOW)
        assert outcome(result) == ("ok", "not_revoked")
        assert result.details["statusReadAt"] == {
            f"{LISTS}/1": "2026-12-03T20:41:09Z",
            f"{LISTS}/2": "2026-12-03T20:41:05Z",
        }
        assert result.details["maxAge"] == 10
        assert result.message == (
            "Neither revoked nor suspended, per the issuer's status lists "
            "(status read 2026-12-03 20:41:05 UTC)."  # the oldest read
        )

    def test_a_revocation_says_when_it_was_read(self, credential, issuer_key):
        fetch = EntryFetch(
            {
                f"{LISTS}/1": (status_list(issuer_key, "revocation", [1234], 1), READ_1),
                f"{LISTS}/2": (status_list(issuer_key, "suspension", [], 2), READ_1),
            },
            max_age=2,
        )
        result = check_revocation(credential, fetch=fetch, now=NOW)
        assert outcome(result) == ("error", "revoked")
        assert result.message == (
            "The issuer has revoked this credential (status read 2026-12-03 20:41:05 UTC)."
        )
        assert result.details["maxAge"] == 2

    def test_a_plain_fetch_function_has_read_it_now(self, credential, issuer_key):
        pages = {
            f"{LISTS}/1": status_list(issuer_key, "revocation", [], 1),
            f"{LISTS}/2": status_list(issuer_key, "suspension", [], 2),
        }
        result = check(credential, pages)
        assert result.details["statusReadAt"] == {
            f"{LISTS}/1": "2026-11-01T00:00:00Z",
            f"{LISTS}/2": "2026-11-01T00:00:00Z",
        }
        assert result.details["maxAge"] == 0
        assert "(status read 2026-11-01 00:00:00 UTC)" in result.message

    def test_an_unreachable_list_stays_unchecked(self, credential, issuer_key):
        fetch = EntryFetch(
            {f"{LISTS}/1": (status_list(issuer_key, "revocation", [], 1), READ_1)}
        )
        result = check_revocation(credential, fetch=fetch, now=NOW)
        assert outcome(result) == ("unchecked", "status_unavailable")
        assert f"{LISTS}/2" not in result.details.get("statusReadAt", {})

    def test_a_cached_list_reports_when_it_was_fetched(self, credential, issuer_key, tmp_path):
        """Through the guarded fetcher and a directory cache: a list read from the cache is
        reported with the time it was fetched, until its age runs out."""
        lists = {
            "/status/1": status_list(issuer_key, "revocation", [], 1),
            "/status/2": status_list(issuer_key, "suspension", [], 2),
        }
        requests: list[str] = []

        def answer(request: httpx.Request) -> httpx.Response:
            requests.append(request.url.path)
            return httpx.Response(
                200,
                content=lists[request.url.path],
                headers={"Cache-Control": "max-age=60", "ETag": '"x"'},
            )

        clock = [READ_1.timestamp()]
        fetcher = GuardedFetcher(
            FetchPolicy(max_cache_seconds=5),
            resolve=lambda host, port: ["93.184.215.14"],
            transport=httpx.MockTransport(answer),
            clock=lambda: clock[0],
            cache=FileCache(tmp_path, clock=lambda: clock[0]),
        )
        first = check_revocation(credential, fetch=fetcher, now=NOW)
        assert set(first.details["statusReadAt"].values()) == {"2026-12-03T20:41:05Z"}
        assert first.details["maxAge"] == 5
        clock[0] += 4
        again = check_revocation(credential, fetch=fetcher, now=NOW)
        assert again.details == first.details and len(requests) == 2  # from the cache
        clock[0] += 2
        later = check_revocation(credential, fetch=fetcher, now=NOW)
        assert set(later.details["statusReadAt"].values()) == {"2026-12-03T20:41:11Z"}
        assert len(requests) == 4
