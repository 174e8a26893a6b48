"""Bitstring Status Lists: the encoding against the spec's own data, random allocation (also
under concurrency), rollover, and the signed status list credential served at /status/<id>."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import random
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, update

import issuer.status.publication as status_credentials
from issuer.db import session_factory, transaction
from issuer.models import (
    IssuedCredential,
    Learner,
    Organisation,
    StatusEntry,
    StatusList,
    StatusPurpose,
)
from issuer.partnerships.services import add_signing_key, public_keypairs
from issuer.status.lists import (
    LIST_SIZE,
    RESERVE_ATTEMPTS,
    decode_list,
    encode_list,
    entry_json,
    is_set,
    reserve_entries,
    reserve_entry,
    set_status,
)
from issuer.status.publication import (
    MEDIA_TYPE,
    RESIGN_AFTER,
    VALIDITY,
    signed_status_list,
)
from keys.did_web import build_did_document, did_web_to_url
from keys.keypairs import Algorithm
from keys.proof_set import verify_proofs
from keys.resolver import DidResolver
from schemas.jsonld import expand_strict

from .conftest import BASE_URL, PASSPHRASE
from .threads import run_together

REFERENCE = Path("/work/shared/reference/w3c/status-list")
FACTS = json.loads((REFERENCE / "facts.json").read_text(encoding="utf-8"))
SPEC_LIST = FACTS["examples"][0]
MALFORMED_LIST = FACTS["examples"][1]
REC_STATUS_LISTS = sorted(REFERENCE.glob("rec-status-list-credential-*.json"))


def set_bits(bits: bytes) -> set[int]:
    """The indices whose bit is set in a decoded list."""
    return {i for i in range(len(bits) * 8) if bits[i // 8] & (0x80 >> (i % 8))}


# --- encoding --------------------------------------------------------------------------------


def test_the_specs_encoded_list_is_131072_unset_entries():
    bits = decode_list(SPEC_LIST["encodedList"])
    assert len(bits) == SPEC_LIST["uncompressedBytes"] == 16384
    assert len(bits) * 8 == SPEC_LIST["bitCount"] == FACTS["minimumEntries"]
    assert bits == bytes(16384)
    assert hashlib.sha256(bits).hexdigest() == SPEC_LIST["uncompressedSha256"]
    assert is_set(bits, 94567) is bool(SPEC_LIST["statusAtIndex94567"]) is False


@pytest.mark.parametrize(
    "encoded",
    [
        MALFORMED_LIST["encodedList"],  # the EXPLAINER's second string: 65 base64 characters
        SPEC_LIST["encodedList"][1:],  # the 2023 FPWD form, without the multibase prefix
        "z" + SPEC_LIST["encodedList"][1:],  # another multibase base
        "u" + "QUJD",  # base64url of b"ABC": not GZIP
        "u" + SPEC_LIST["encodedList"][1:-8],  # truncated GZIP
        "u",
        "",
    ],
)
def test_malformed_encoded_lists_are_rejected(encoded):
    assert MALFORMED_LIST["decodes"] is False
    with pytest.raises(ValueError):
        decode_list(encoded)


def test_a_non_string_encoded_list_is_rejected():
    with pytest.raises(ValueError):
        decode_list(None)  # type: ignore[arg-type]


def test_index_0_is_the_most_significant_bit_of_the_first_byte():
    indices = [0, 7, 8, 10, 94567, LIST_SIZE - 1]
    bits = decode_list(encode_list(indices))
    assert len(bits) == LIST_SIZE // 8
    expected = bytearray(LIST_SIZE // 8)
    expected[0] = 0b1000_0001  # indices 0 and 7
    expected[1] = 0b1010_0000  # indices 8 and 10
    expected[94567 // 8] = 0x80 >> (94567 % 8)  # byte 11820, bit 7 - 7 = 0: 0b0000_0001
    expected[-1] = 0b0000_0001  # the last index is the right-most bit
    assert bits == bytes(expected)
    assert expected[11820] == 0x01
    assert set_bits(bits) == set(indices)
    assert [is_set(bits, i) for i in (0, 1, 6, 7, 8, 9, 10)] == [
        True,
        False,
        False,
        True,
        True,
        False,
        True,
    ]
    with pytest.raises(IndexError):
        is_set(bits, LIST_SIZE)


def test_an_empty_list_encodes_to_the_specs_bits():
    encoded = encode_list([])
    assert encoded.startswith("u") and "=" not in encoded
    assert set(encoded[1:]) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    )
    # Compare bits, not strings: the GZIP bytes depend on the compression level.
    assert decode_list(encoded) == decode_list(SPEC_LIST["encodedList"])


def test_lists_shorter_than_131072_entries_are_rejected():
    short = encode_list([], LIST_SIZE - 8)
    with pytest.raises(ValueError):
        decode_list(short)
    assert decode_list(short, minimum_size=LIST_SIZE - 8) == bytes(LIST_SIZE // 8 - 1)
    body = gzip.compress(bytes(LIST_SIZE // 8 - 1), mtime=0)
    hand_made = "u" + base64.urlsafe_b64encode(body).decode().rstrip("=")
    with pytest.raises(ValueError):
        decode_list(hand_made)


def test_encode_refuses_bad_sizes_and_indices():
    with pytest.raises(ValueError):
        encode_list([], LIST_SIZE + 1)
    with pytest.raises(ValueError):
        encode_list([LIST_SIZE])
    with pytest.raises(ValueError):
        encode_list([-1])


@pytest.mark.parametrize("path", REC_STATUS_LISTS, ids=lambda p: p.name)
def test_the_recommendations_status_list_credentials_decode(path):
    credential = json.loads(path.read_text(encoding="utf-8"))
    subject = credential["credentialSubject"]
    assert subject["type"] == "BitstringStatusList"
    bits = decode_list(subject["encodedList"])
    assert len(bits) * 8 == LIST_SIZE
    assert set_bits(bits) == set()


def test_there_are_recommendation_vectors():
    assert len(REC_STATUS_LISTS) == 2


# --- allocation ------------------------------------------------------------------------------


class ScriptedRandom:
    """An rng that returns the given indices in turn, then repeats the last one."""

    def __init__(self, *indices: int) -> None:
        self.indices = list(indices)
        self.calls = 0

    def randrange(self, stop: int, /) -> int:
        index = self.indices[min(self.calls, len(self.indices) - 1)]
        self.calls += 1
        assert 0 <= index < stop
        return index


def _organisation(session, demo, n: int = 0) -> Organisation:
    return session.get(Organisation, demo.organisations[n].id)


def test_reserve_entries_gives_one_random_entry_per_purpose(app, demo):
    with transaction(app) as session:
        organisation = _organisation(session, demo)
        reserved = [reserve_entries(session, organisation) for _ in range(40)]
    assert all(
        [e.status_list.purpose for e in pair]
        == [StatusPurpose.REVOCATION, StatusPurpose.SUSPENSION]
        for pair in reserved
    )
    for position in (0, 1):
        entries = [pair[position] for pair in reserved]
        assert len({e.status_list_id for e in entries}) == 1
        indices = [e.list_index for e in entries]
        assert len(set(indices)) == len(indices)
        assert all(0 <= i < LIST_SIZE for i in indices)
        # Random, not issuance order (40 draws below 40, or sorted, is all but impossible).
        assert max(indices) >= 40 and indices != sorted(indices)
    assert reserved[0][0].status_list_id != reserved[0][1].status_list_id
    with transaction(app) as session:
        lists = session.scalars(select(StatusList)).all()
        assert {(sl.organisation_id, sl.purpose, sl.size) for sl in lists} == {
            (demo.organisations[0].id, StatusPurpose.REVOCATION, LIST_SIZE),
            (demo.organisations[0].id, StatusPurpose.SUSPENSION, LIST_SIZE),
        }


def test_an_entry_names_its_list_and_index(app, demo):
    with transaction(app) as session:
        entry = reserve_entry(
            session, _organisation(session, demo), StatusPurpose.SUSPENSION, rng=ScriptedRandom(7)
        )
        data = entry_json(entry, BASE_URL)
        url = f"{BASE_URL}/status/{entry.status_list_id}"
    assert data == {
        "id": f"{url}#7",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "suspension",
        "statusListIndex": "7",
        "statusListCredential": url,
    }


def test_a_colliding_index_is_drawn_again(app, demo):
    rng = ScriptedRandom(5, 5, 9)
    with transaction(app) as session:
        organisation = _organisation(session, demo)
        first = reserve_entry(session, organisation, StatusPurpose.REVOCATION, rng=rng)
        second = reserve_entry(session, organisation, StatusPurpose.REVOCATION, rng=rng)
        assert (first.list_index, second.list_index) == (5, 9)
        assert rng.calls == 3
    with transaction(app) as session:
        indices = session.scalars(select(StatusEntry.list_index).order_by(StatusEntry.id)).all()
    assert indices == [5, 9]


def test_reservation_gives_up_when_every_draw_collides(app, demo):
    rng = ScriptedRandom(3)
    with transaction(app) as session:
        organisation = _organisation(session, demo)
        reserve_entry(session, organisation, StatusPurpose.REVOCATION, rng=rng)
        with pytest.raises(RuntimeError):
            reserve_entry(session, organisation, StatusPurpose.REVOCATION, rng=rng)
        assert rng.calls == 1 + RESERVE_ATTEMPTS
        # Each failed attempt rolled back only itself: the first entry is still there.
        assert session.scalar(select(func.count()).select_from(StatusEntry)) == 1


def test_a_rolled_back_reservation_leaves_no_entry(app, demo):
    with transaction(app) as session:  # the list exists beforehand
        reserve_entries(session, _organisation(session, demo))
    session = session_factory(app)()
    try:
        reserve_entries(session, _organisation(session, demo))
        session.rollback()
    finally:
        session.close()
    with transaction(app) as session:
        assert session.scalar(select(func.count()).select_from(StatusEntry)) == 2


def test_a_list_half_full_rolls_over_to_a_new_list(app, demo):
    with transaction(app) as session:
        organisation = _organisation(session, demo)
        first = reserve_entry(
            session, organisation, StatusPurpose.REVOCATION, rng=ScriptedRandom(1)
        )
        first_list = first.status_list_id
        # Fill the list to one short of half (65,536 entries): index 1 above, and 65,534 even
        # indices.
        session.execute(
            insert(StatusEntry),
            [
                {"status_list_id": first_list, "list_index": 2 * k, "is_set": False}
                for k in range(LIST_SIZE // 2 - 2)
            ],
        )
        assert (
            session.scalar(select(func.count()).where(StatusEntry.status_list_id == first_list))
            == LIST_SIZE // 2 - 1
        )
        # what reserving them would have counted (status_lists.used)
        session.execute(
            update(StatusList)
            .where(StatusList.id == first_list)
            .values(used=StatusList.used + LIST_SIZE // 2 - 2)
        )
        last_in_first = reserve_entry(
            session, organisation, StatusPurpose.REVOCATION, rng=ScriptedRandom(3)
        )
        assert last_in_first.status_list_id == first_list  # now exactly half full
        rolled = reserve_entry(
            session, organisation, StatusPurpose.REVOCATION, rng=ScriptedRandom(3)
        )
        assert rolled.status_list_id != first_list
        assert rolled.list_index == 3  # a fresh list: the same index is free again
        assert rolled.status_list.size == LIST_SIZE
        assert rolled.status_list.purpose is StatusPurpose.REVOCATION
        # The other purpose is not affected, and the next entry stays in the new list.
        suspension = reserve_entry(session, organisation, StatusPurpose.SUSPENSION)
        assert suspension.status_list_id not in (first_list, rolled.status_list_id)
        again = reserve_entry(session, organisation, StatusPurpose.REVOCATION)
        assert again.status_list_id == rolled.status_list_id


class NarrowRandom:
    """Draws from a small range so that concurrent reservations collide often."""

    def __init__(self, seed: int, stop: int) -> None:
        self.random = random.Random(seed)
        self.stop = stop
        self.calls = 0

    def randrange(self, stop: int, /) -> int:
        self.calls += 1
        return self.random.randrange(min(stop, self.stop))


def test_concurrent_reservations_never_share_an_index(app, demo):
    threads_count, per_thread = 8, 6
    organisation_id = demo.organisations[0].id
    with transaction(app) as session:  # the lists exist before the race
        reserve_entries(session, session.get(Organisation, organisation_id))
    reserved: list[tuple[int, int]] = []
    lock = threading.Lock()

    rngs = [NarrowRandom(seed, 4 * threads_count * per_thread) for seed in range(threads_count)]

    def work(rng: NarrowRandom) -> None:
        for _ in range(per_thread):
            with transaction(app) as session:  # one transaction per credential
                entries = reserve_entries(
                    session, session.get(Organisation, organisation_id), rng=rng
                )
                mine = [(e.status_list_id, e.list_index) for e in entries]
            with lock:
                reserved.extend(mine)

    run_together(work, rngs)
    assert len(reserved) == len(set(reserved)) == threads_count * per_thread * 2
    with transaction(app) as session:
        stored = session.execute(select(StatusEntry.status_list_id, StatusEntry.list_index)).all()
        lists = session.scalars(select(StatusList)).all()
    assert len(stored) == len(set(stored)) == threads_count * per_thread * 2 + 2
    assert set(reserved) <= set(stored)
    assert len(lists) == 2
    # Draws from a narrow range collide: some reservations had to draw again.
    assert sum(rng.calls for rng in rngs) > len(reserved)


# --- the signed status list credential -------------------------------------------------------


def make_credential(session, organisation: Organisation, specification_id: int) -> IssuedCredential:
    """A minimal issued credential with reserved status entries (no issuance service)."""
    learner = Learner(
        partnership_id=organisation.partnership_id,
        reference=f"student-{uuid.uuid4().hex[:8]}",
        subject_id=f"urn:uuid:{uuid.uuid4()}",
        given_name="Ada",
        family_name="Lovelace",
    )
    session.add(learner)
    session.flush()
    credential = IssuedCredential(
        credential_uri=f"urn:uuid:{uuid.uuid4()}",
        partnership_id=organisation.partnership_id,
        issuer_id=organisation.id,
        specification_id=specification_id,
        learner_id=learner.id,
        document="{}",
        manage_token_hash=hashlib.sha256(uuid.uuid4().bytes).hexdigest(),
    )
    session.add(credential)
    session.flush()
    for entry in reserve_entries(session, organisation):
        entry.credential = credential
    session.flush()
    return credential


def entry_for(credential: IssuedCredential, purpose: StatusPurpose) -> StatusEntry:
    return next(e for e in credential.status_entries if e.status_list.purpose is purpose)


def did_fetcher(app, organisation_id: int):
    """A did:web fetch serving the organisation's DID document as the issuer would."""

    def fetch(url: str) -> bytes:
        with transaction(app) as session:
            organisation = session.get(Organisation, organisation_id)
            assert url == did_web_to_url(organisation.did)
            document = build_did_document(organisation.did, public_keypairs(organisation))
        return json.dumps(document).encode()

    return fetch


@pytest.fixture
def issued(app, demo):
    """Three credentials of the first organisation: #0 revoked, #1 suspended, #2 active."""
    with transaction(app) as session:
        organisation = _organisation(session, demo)
        credentials = [
            make_credential(session, organisation, demo.specification.id) for _ in range(3)
        ]
        assert set_status(session, credentials[0], StatusPurpose.REVOCATION, True)
        assert set_status(session, credentials[1], StatusPurpose.SUSPENSION, True)
        assert not set_status(session, credentials[1], StatusPurpose.SUSPENSION, True)
        return [
            {
                purpose: (entry_for(c, purpose).status_list_id, entry_for(c, purpose).list_index)
                for purpose in StatusPurpose
            }
            for c in credentials
        ]


def test_the_status_list_credential_is_signed_and_shows_the_set_bits(app, client, demo, issued):
    organisation = demo.organisations[0]
    revocation_list, revoked_index = issued[0][StatusPurpose.REVOCATION]
    suspension_list, suspended_index = issued[1][StatusPurpose.SUSPENSION]
    for list_id, purpose, expected in [
        (revocation_list, "revocation", {revoked_index}),
        (suspension_list, "suspension", {suspended_index}),
    ]:
        response = client.get(f"/status/{list_id}")  # no credentials: the list is public
        assert response.status_code == 200
        assert response.mimetype == MEDIA_TYPE
        credential = json.loads(response.data)
        url = f"{BASE_URL}/status/{list_id}"
        assert credential["@context"] == ["https://www.w3.org/ns/credentials/v2"]
        assert credential["id"] == url
        assert credential["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
        assert credential["issuer"] == organisation.did
        subject = credential["credentialSubject"]
        assert subject["id"] == f"{url}#list"
        assert subject["type"] == "BitstringStatusList"
        assert subject["statusPurpose"] == purpose
        assert subject["ttl"] == 10_000  # STATUS_LIST_MAX_AGE's default, in milliseconds
        bits = decode_list(subject["encodedList"])
        assert len(bits) * 8 == LIST_SIZE
        assert set_bits(bits) == expected
        valid_from = datetime.fromisoformat(credential["validFrom"].replace("Z", "+00:00"))
        valid_until = datetime.fromisoformat(credential["validUntil"].replace("Z", "+00:00"))
        assert valid_until - valid_from == VALIDITY
        assert credential["proof"]["verificationMethod"] == f"{organisation.did}#key-1"

        expand_strict(credential)  # every term is defined by the VC v2 context
        result = verify_proofs(
            credential,
            resolver=DidResolver(did_fetcher(app, organisation.id)),
            controllers=[organisation.did],
        )
        assert result.verified, [(r.code, r.message) for r in result.results]
        assert result.signers == [organisation.did]

        tampered = json.loads(response.data)
        tampered["credentialSubject"]["encodedList"] = encode_list([])
        assert not verify_proofs(
            tampered, resolver=DidResolver(did_fetcher(app, organisation.id))
        ).verified


def test_the_active_credentials_bits_are_clear(client, issued):
    for purpose in StatusPurpose:
        list_id, index = issued[2][purpose]
        subject = client.get(f"/status/{list_id}").get_json(force=True)["credentialSubject"]
        assert not is_set(decode_list(subject["encodedList"]), index)


def test_caching_headers(client, issued):
    list_id = issued[0][StatusPurpose.REVOCATION][0]
    response = client.get(f"/status/{list_id}")
    assert response.cache_control.public is True
    assert response.cache_control.max_age == 10  # STATUS_LIST_MAX_AGE's default
    etag, weak = response.get_etag()
    assert etag and not weak
    assert str(list_id) in etag
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_the_signed_list_is_cached_until_its_version_changes(
    app, client, demo, issued, monkeypatch
):
    signings = []
    real_add_proof = status_credentials.add_proof

    def counting_add_proof(*args, **kwargs):
        signings.append(1)
        return real_add_proof(*args, **kwargs)

    monkeypatch.setattr(status_credentials, "add_proof", counting_add_proof)
    list_id = issued[0][StatusPurpose.REVOCATION][0]

    first = client.get(f"/status/{list_id}")
    second = client.get(f"/status/{list_id}")
    assert len(signings) == 1  # built once, then served from the cache
    assert second.data == first.data
    assert second.get_etag() == first.get_etag()
    with transaction(app) as session:
        status_list = session.get(StatusList, list_id)
        assert status_list.signed_version == status_list.version
        assert status_list.signed_document == first.data.decode()

    with transaction(app) as session:  # revoke credential #2: a new version of the list
        credential = session.scalars(select(IssuedCredential).order_by(IssuedCredential.id)).all()[
            2
        ]
        assert set_status(session, credential, StatusPurpose.REVOCATION, True)

    third = client.get(f"/status/{list_id}")
    assert len(signings) == 2
    assert third.get_etag() != first.get_etag()
    assert set_bits(
        decode_list(third.get_json(force=True)["credentialSubject"]["encodedList"])
    ) == {
        issued[0][StatusPurpose.REVOCATION][1],
        issued[2][StatusPurpose.REVOCATION][1],
    }
    client.get(f"/status/{list_id}")
    assert len(signings) == 2


def test_clearing_a_bit_publishes_a_new_list(app, client, issued):
    list_id, index = issued[1][StatusPurpose.SUSPENSION]
    before = client.get(f"/status/{list_id}")
    assert is_set(
        decode_list(before.get_json(force=True)["credentialSubject"]["encodedList"]), index
    )
    with transaction(app) as session:  # reinstate credential #1
        credential = session.scalars(select(IssuedCredential).order_by(IssuedCredential.id)).all()[
            1
        ]
        assert set_status(session, credential, StatusPurpose.SUSPENSION, False)
    after = client.get(f"/status/{list_id}")
    assert after.get_etag() != before.get_etag()
    assert (
        set_bits(decode_list(after.get_json(force=True)["credentialSubject"]["encodedList"]))
        == set()
    )


def test_if_none_match_gives_304(app, client, issued):
    list_id = issued[0][StatusPurpose.REVOCATION][0]
    first = client.get(f"/status/{list_id}")
    etag = first.headers["ETag"]

    not_modified = client.get(f"/status/{list_id}", headers={"If-None-Match": etag})
    assert not_modified.status_code == 304
    assert not_modified.data == b""
    assert not_modified.headers["ETag"] == etag
    assert not_modified.cache_control.max_age == 10
    for header in (f'"other", {etag}', f"W/{etag}", "*"):
        assert (
            client.get(f"/status/{list_id}", headers={"If-None-Match": header}).status_code == 304
        )
    other = client.get(f"/status/{list_id}", headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200 and other.data == first.data

    with transaction(app) as session:  # a change: the old ETag no longer matches
        credential = session.scalars(select(IssuedCredential).order_by(IssuedCredential.id)).all()[
            2
        ]
        set_status(session, credential, StatusPurpose.REVOCATION, True)
    changed = client.get(f"/status/{list_id}", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def test_the_max_age_setting_gives_the_header_the_ttl_and_304s(app, client, issued):
    app.config["STATUS_LIST_MAX_AGE"] = 3
    list_id = issued[0][StatusPurpose.REVOCATION][0]
    first = client.get(f"/status/{list_id}")
    assert first.status_code == 200
    assert first.cache_control.max_age == 3
    assert first.get_json(force=True)["credentialSubject"]["ttl"] == 3000
    etag = first.headers["ETag"]
    again = client.get(f"/status/{list_id}", headers={"If-None-Match": etag})
    assert (again.status_code, again.cache_control.max_age) == (304, 3)

    app.config["STATUS_LIST_MAX_AGE"] = 30  # a changed setting is published at once
    changed = client.get(f"/status/{list_id}", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert changed.cache_control.max_age == 30
    assert changed.get_json(force=True)["credentialSubject"]["ttl"] == 30_000


def test_head_answers_like_get(client, issued):
    list_id = issued[0][StatusPurpose.REVOCATION][0]
    response = client.head(f"/status/{list_id}")
    assert response.status_code == 200
    assert response.mimetype == MEDIA_TYPE
    assert response.headers["ETag"] == client.get(f"/status/{list_id}").headers["ETag"]


def test_an_unknown_list_is_a_json_404(client, demo):
    response = client.get("/status/999999")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "unknown_status_list"
    assert client.get("/status/not-a-number").status_code == 404


def test_a_list_is_signed_again_when_half_its_validity_has_passed(app, demo, issued):
    list_id = issued[0][StatusPurpose.REVOCATION][0]
    t0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    with transaction(app) as session:
        status_list = session.get(StatusList, list_id)
        sign = lambda now: signed_status_list(  # noqa: E731
            session, status_list, base_url=BASE_URL, passphrase=PASSPHRASE.encode(), now=now
        )
        first = sign(t0)
        assert json.loads(first)["validFrom"] == "2030-01-01T12:00:00Z"
        assert json.loads(first)["validUntil"] == "2030-01-02T12:00:00Z"
        assert sign(t0 + timedelta(hours=1)) is status_list.signed_document == first
        tag = status_credentials.entity_tag(status_list, first)
        later = sign(t0 + RESIGN_AFTER)
        assert later != first
        assert json.loads(later)["validFrom"] == "2030-01-02T00:00:00Z"
        assert status_list.signed_version == status_list.version  # same version, new bytes ...
        assert status_credentials.entity_tag(status_list, later) != tag  # ... so a new ETag
        assert json.loads(later)["credentialSubject"] == json.loads(first)["credentialSubject"]
        # A cache signed in the future (another server's clock far ahead) is not served.
        assert sign(t0) != later


def test_key_rotation_signs_new_lists_with_the_new_key(app, client, demo, issued):
    organisation_id = demo.organisations[0].id
    list_id = issued[0][StatusPurpose.REVOCATION][0]
    old = client.get(f"/status/{list_id}").get_json(force=True)
    with transaction(app) as session:
        organisation = session.get(Organisation, organisation_id)
        add_signing_key(
            session, organisation, passphrase=PASSPHRASE.encode(), algorithm=Algorithm.P256
        )
        did = organisation.did
    resolver = DidResolver(did_fetcher(app, organisation_id))
    assert verify_proofs(old, resolver=resolver).verified  # the retired key still verifies

    with transaction(app) as session:
        credential = session.scalars(select(IssuedCredential).order_by(IssuedCredential.id)).all()[
            2
        ]
        set_status(session, credential, StatusPurpose.REVOCATION, True)
    new = client.get(f"/status/{list_id}").get_json(force=True)
    assert new["proof"]["verificationMethod"] == f"{did}#key-2"
    assert new["proof"]["cryptosuite"] == "ecdsa-rdfc-2019"
    result = verify_proofs(new, resolver=DidResolver(did_fetcher(app, organisation_id)))
    assert result.verified, [(r.code, r.message) for r in result.results]


def test_each_organisation_publishes_its_own_lists(app, client, demo):
    with transaction(app) as session:
        credentials = [
            make_credential(session, _organisation(session, demo, n), demo.specification.id)
            for n in (0, 1)
        ]
        list_ids = [entry_for(c, StatusPurpose.REVOCATION).status_list_id for c in credentials]
    assert list_ids[0] != list_ids[1]
    issuers = [client.get(f"/status/{i}").get_json(force=True)["issuer"] for i in list_ids]
    assert issuers == [demo.organisations[0].did, demo.organisations[1].did]


def test_concurrent_status_changes_each_bump_the_version(app, demo):
    with transaction(app) as session:
        organisation = _organisation(session, demo)
        ids = [make_credential(session, organisation, demo.specification.id).id for _ in range(2)]
        list_id = session.scalars(select(StatusList.id).order_by(StatusList.id)).first()
        start = session.get(StatusList, list_id).version
    # Two sessions read the list at the same version, then both change a bit in it.
    first, second = session_factory(app)(), session_factory(app)()
    try:
        credentials = [first.get(IssuedCredential, ids[0]), second.get(IssuedCredential, ids[1])]
        for credential in credentials:
            assert entry_for(credential, StatusPurpose.REVOCATION).status_list.version == start
        for session, credential in zip((first, second), credentials, strict=True):
            set_status(session, credential, StatusPurpose.REVOCATION, True)
            session.commit()
    finally:
        first.close()
        second.close()
    with transaction(app) as session:
        assert session.get(StatusList, list_id).version == start + 2


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/vc"),
        ("*/*", "application/vc"),
        ("application/vc", "application/vc"),
        # Digital Bazaar's http-client (the W3C status-list suite's document loader) asks for
        # these and parses only a type that names JSON
        ("application/ld+json, application/json", "application/ld+json"),
        ("application/json", "application/json"),
    ],
)
def test_the_list_is_served_as_the_client_accepts(client, issued, accept, expected):
    list_id = issued[0][StatusPurpose.REVOCATION][0]
    headers = {"Accept": accept} if accept else {}
    response = client.get(f"/status/{list_id}", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == expected
    assert "Accept" in response.headers["Vary"]
    default = client.get(f"/status/{list_id}")
    assert response.data == default.data  # the same signed bytes under each name
    # a strong tag names one representation
    assert (response.headers["ETag"] == default.headers["ETag"]) == (expected == MEDIA_TYPE)
    again = client.get(
        f"/status/{list_id}", headers={**headers, "If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304
