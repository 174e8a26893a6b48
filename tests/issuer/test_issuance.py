"""Issuing one credential: the signed document, joint awards as proof sets, learners, status
entries, the audit log, status changes, lookups. That what is issued verifies with the project's
own verifier is checked in tests/integration/test_issued_credentials_verify.py."""

from __future__ import annotations

import json
import threading
import time
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

import issuer.credentials.issuance as issuance
import issuer.credentials.learner_rows as learner_rows
from issuer.credentials.issuance import (
    LearnerInput,
    change_status,
    credential_json,
    get_credential,
    issue_credential,
)
from issuer.db import transaction
from issuer.errors import Conflict, InvalidInput, NotFound
from issuer.models import (
    AuditEvent,
    CredentialState,
    IssuedCredential,
    Learner,
    Organisation,
    Specification,
    StatusEntry,
    StatusPurpose,
)
from issuer.partnerships.services import add_organisation, create_partnership
from schemas.elm.profile import ANNEX_I_ELEMENTS, schema_issues, unstated_elements

from .conftest import BASE_URL, PASSPHRASE
from .issuing import ANA, NOW, issue


def test_every_annex_i_element_is_present(app, demo):
    _, _, document, _ = issue(app, demo)
    signed = json.loads(document)
    assert schema_issues(signed) == []
    assert unstated_elements(signed) == []  # quality assurance is stated too
    claim = signed["credentialSubject"]["hasClaim"]
    qualification = claim["specifiedBy"]
    assert len(ANNEX_I_ELEMENTS) == 10
    assert signed["credentialSubject"]["fullName"] == {"en": "Ana Andersen"}  # 1 learner
    assert claim["title"]["en"] == "Green Data Analytics"  # 2 title
    assert signed["issuer"]["location"]["address"]["countryCode"]["id"].endswith("/DNK")  # 3
    assert claim["awardedBy"]["awardingBody"][0]["id"] == demo.organisations[0].did  # 4
    assert signed["issued"] == signed["validFrom"] == "2026-07-01T09:30:00Z"  # 5
    assert len(qualification["learningOutcome"]) == 3  # 6
    assert qualification["creditPoint"]["point"] == "5"  # 7
    assert qualification["volumeOfLearning"] == "PT125H"
    assert qualification["eqfLevel"]["id"] == "http://data.europa.eu/snb/eqf/6"  # 8
    assert claim["provenBy"]["specifiedBy"]["title"]  # 9 type of assessment
    assert qualification["mode"]["prefLabel"] == {"en": "Blended"}  # 10 form of participation
    assert qualification["accreditation"]["accreditingAgent"]["id"] == "did:web:agency.example"
    assert qualification["entryRequirement"]  # optional: prerequisites


def _outsider(app):
    """An organisation of another partnership."""
    with transaction(app) as session:
        partnership = create_partnership(session, "other-alliance", "Other Alliance")
        return add_organisation(
            session,
            partnership,
            slug="outsider-college",
            legal_name="Outsider College",
            country="SWE",
            country_label="Sweden",
            base_url=BASE_URL,
            passphrase=PASSPHRASE.encode(),
        ).id


def test_awarding_bodies_must_be_partners_issuer_first_and_distinct(app, demo):
    outsider = _outsider(app)
    ids = [org.id for org in demo.organisations]
    cases = [
        ("awarding_body_not_member", outsider, [outsider]),
        ("awarding_body_not_member", ids[0], [ids[0], outsider]),
        ("issuer_not_first", ids[0], [ids[1], ids[0]]),
        ("duplicate_awarding_body", ids[0], [ids[0], ids[1], ids[1]]),
    ]
    for code, issuer_id, body_ids in cases:
        with pytest.raises(InvalidInput) as caught, transaction(app) as session:
            issue_credential(
                session,
                issuer=session.get(Organisation, issuer_id),
                specification=session.get(Specification, demo.specification.id),
                learner=ANA,
                awarding_bodies=[session.get(Organisation, i) for i in body_ids],
                actor="t",
                base_url=BASE_URL,
                passphrase=PASSPHRASE.encode(),
            )
        assert caught.value.code == code
    with transaction(app) as session:
        assert session.scalar(select(func.count()).select_from(IssuedCredential)) == 0
        assert session.scalar(select(func.count()).select_from(Learner)) == 0


def test_learner_is_upserted_by_reference_and_given_names_win(app, demo):
    _, _, first, _ = issue(app, demo)
    renamed = LearnerInput(reference="S-1001", given_name="Anna", family_name="Andersen-Holm")
    _, _, second, _ = issue(app, demo, learner=renamed)
    one, two = json.loads(first), json.loads(second)
    assert one["credentialSubject"]["id"] == two["credentialSubject"]["id"]
    assert two["credentialSubject"]["givenName"] == {"en": "Anna"}
    # the credential states only what this issuance gave
    assert "contactPoint" not in two["credentialSubject"]
    assert "dateOfBirth" not in two["credentialSubject"]
    _, _, third, _ = issue(app, demo, learner=LearnerInput("S-2002", "Bo", "Berg"))
    assert json.loads(third)["credentialSubject"]["id"] != one["credentialSubject"]["id"]
    with transaction(app) as session:
        learner = session.scalar(select(Learner).where(Learner.reference == "S-1001"))
        assert (learner.given_name, learner.family_name) == ("Anna", "Andersen-Holm")
        assert learner.email == "ana@example.org"  # kept: not given the second time
        assert learner.subject_id.startswith("urn:uuid:")
        assert session.scalar(select(func.count()).select_from(Learner)) == 2


def test_a_learner_created_meanwhile_is_taken_over_in_the_same_transaction(app, demo):
    partnership_id = demo.specification.partnership_id
    given = LearnerInput("S-3003", "Cy", "Crane")
    with transaction(app) as session:
        made = learner_rows.insert_learner(session, partnership_id, given)
        assert made is not None and made.subject_id.startswith("urn:uuid:")
        assert made.search_text == "cy crane s-3003"  # as the ORM's hook folds it
        # a second creation finds the reference taken: nothing raised, the transaction goes on
        assert learner_rows.insert_learner(session, partnership_id, given) is None
        renamed = LearnerInput("S-3003", "Cyril", "Crane")
        assert learner_rows.upsert_learner(session, partnership_id, renamed) is made
        session.flush()
    with transaction(app) as session:
        stored = session.scalars(select(Learner).where(Learner.reference == "S-3003")).all()
        assert [(learner.given_name, learner.search_text) for learner in stored] == [
            ("Cyril", "cyril crane s-3003")
        ]


def test_threads_asking_for_a_key_not_yet_open_open_it_once(monkeypatch):
    opened: list[str] = []
    gate = threading.Barrier(4)

    def slow_open(organisation, passphrase):
        opened.append(organisation.slug)
        time.sleep(0.05)  # scrypt's time: the other threads ask meanwhile
        return f"pair of {organisation.slug}"

    key = SimpleNamespace(method_id="did:web:a.example#key-1", public_key_multibase="z6Mk")
    monkeypatch.setattr(issuance, "current_key", lambda organisation: key)
    monkeypatch.setattr(issuance, "signing_keypair", slow_open)
    keys = issuance.SigningKeys(b"passphrase")
    organisation = SimpleNamespace(slug="a")
    pairs: list[object] = []

    def ask() -> None:
        gate.wait()
        pairs.append(keys.keypair(organisation))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert opened == ["a"]
    assert pairs == ["pair of a"] * 4


def test_status_entries_are_distinct_random_indices(app, demo):
    documents = [
        json.loads(issue(app, demo, learner=LearnerInput(f"S-{n}", "A", "B"))[2]) for n in range(6)
    ]
    seen = set()
    for document in documents:
        statuses = document["credentialStatus"]
        assert [s["statusPurpose"] for s in statuses] == ["revocation", "suspension"]
        for status in statuses:
            key = (status["statusListCredential"], status["statusListIndex"])
            assert key not in seen
            seen.add(key)
            assert status["statusListCredential"].startswith(f"{BASE_URL}/status/")
    indices = sorted(int(d["credentialStatus"][0]["statusListIndex"]) for d in documents)
    assert indices != list(range(indices[0], indices[0] + len(indices)))  # not sequential
    assert max(indices) > 1000
    with transaction(app) as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(StatusEntry)
                .where(StatusEntry.credential_id.is_(None))
            )
            == 0
        )


def test_issuing_appends_an_audit_event(app, demo):
    credential_id, uri, _, _ = issue(app, demo, bodies=(0, 2))
    with transaction(app) as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.credential_id == credential_id))
        assert event.action == "issue"
        assert event.actor == "token:test"
        assert event.organisation_id == demo.organisations[0].id
        assert event.details["credential"] == uri
        assert event.details["awardingBodies"] == [
            demo.organisations[0].slug,
            demo.organisations[2].slug,
        ]


def test_grade_and_valid_until_are_checked(app, demo):
    with pytest.raises(InvalidInput) as caught:
        issue(app, demo, valid_until=NOW - timedelta(days=1))
    assert "validUntil" in caught.value.details["fields"]
    with pytest.raises(InvalidInput) as caught:
        issue(app, demo, grade="x" * 501)
    assert "grade" in caught.value.details["fields"]
    _, _, document, _ = issue(app, demo, valid_until=NOW + timedelta(days=365 * 5))
    assert json.loads(document)["validUntil"] == "2031-06-30T09:30:00Z"


def _change(app, credential_id, action, reason=None):
    with transaction(app) as session:
        credential = session.get(IssuedCredential, credential_id)
        change_status(session, credential, action, actor="token:admin", reason=reason)
        bits = {e.status_list.purpose: e.is_set for e in credential.status_entries}
        return credential.state, bits


def test_status_transitions(app, demo):
    credential_id, _, _, _ = issue(app, demo)
    state, bits = _change(app, credential_id, "suspend", "under investigation")
    assert state is CredentialState.SUSPENDED
    assert bits == {StatusPurpose.REVOCATION: False, StatusPurpose.SUSPENSION: True}
    state, bits = _change(app, credential_id, "reinstate")
    assert state is CredentialState.ACTIVE
    assert bits == {StatusPurpose.REVOCATION: False, StatusPurpose.SUSPENSION: False}
    _change(app, credential_id, "suspend")
    state, bits = _change(app, credential_id, "revoke", "plagiarism")
    assert state is CredentialState.REVOKED
    assert bits[StatusPurpose.REVOCATION] is True
    with transaction(app) as session:
        events = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.credential_id == credential_id)
            .order_by(AuditEvent.id)
        ).all()
        assert [e.action for e in events] == ["issue", "suspend", "reinstate", "suspend", "revoke"]
        assert events[1].reason == "under investigation" and events[-1].reason == "plagiarism"
        assert {e.actor for e in events[1:]} == {"token:admin"}


def test_impossible_status_changes_conflict(app, demo):
    credential_id, _, _, _ = issue(app, demo)
    with pytest.raises(Conflict) as caught:
        _change(app, credential_id, "reinstate")
    assert caught.value.code == "not_suspended"
    _change(app, credential_id, "suspend")
    with pytest.raises(Conflict) as caught:
        _change(app, credential_id, "suspend")
    assert caught.value.code == "already_suspended"
    _change(app, credential_id, "revoke")
    for action, code in [
        ("revoke", "already_revoked"),
        ("suspend", "credential_revoked"),
        ("reinstate", "credential_revoked"),
    ]:
        with pytest.raises(Conflict) as caught:
            _change(app, credential_id, action)
        assert caught.value.code == code
    with pytest.raises(InvalidInput) as caught:
        _change(app, credential_id, "delete")
    assert caught.value.code == "unknown_action"
    with transaction(app) as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.credential_id == credential_id)
        ).all()
        assert sorted(actions) == ["issue", "revoke", "suspend"]


def test_get_credential_by_uri_or_uuid_within_the_partnership(app, demo):
    credential_id, uri, _, _ = issue(app, demo)
    bare = uri.removeprefix("urn:uuid:")
    with transaction(app) as session:
        for ref in (uri, bare, bare.upper(), f" {uri} "):
            assert get_credential(session, demo.partnership.id, ref).id == credential_id
        for ref in ("urn:uuid:00000000-0000-4000-8000-000000000000", "nonsense", "", uri + "x"):
            with pytest.raises(NotFound) as caught:
                get_credential(session, demo.partnership.id, ref)
            assert caught.value.code == "unknown_credential"
        with pytest.raises(NotFound) as caught:
            get_credential(session, demo.partnership.id + 1000, uri)
        assert caught.value.code == "unknown_credential"


def test_credential_json(app, demo):
    credential_id, uri, _, issued = issue(app, demo, bodies=(0, 1))
    with transaction(app) as session:
        summary = credential_json(session.get(IssuedCredential, credential_id), base_url=BASE_URL)
    assert summary["id"] == uri
    assert summary["state"] == "active"
    assert summary["issuedAt"] == "2026-07-01T09:30:00Z"
    assert summary["issuer"] == demo.organisations[0].slug
    assert summary["specification"] == demo.specification.slug
    assert summary["learner"] == {
        "reference": "S-1001",
        "givenName": "Ana",
        "familyName": "Andersen",
    }
    assert [e["statusPurpose"] for e in summary["statusEntries"]] == ["revocation", "suspension"]
    text = json.dumps(summary)
    assert issued.manage_token not in text and issued.share_link.token not in text


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        (None, {"learner"}),
        ({}, {"reference", "givenName", "familyName"}),
        ({"reference": "  ", "givenName": 5, "familyName": "B"}, {"reference", "givenName"}),
        ({"reference": "r", "givenName": "A", "familyName": "B", "email": "a@b"}, {"email"}),
        ({"reference": "r", "givenName": "A\nB", "familyName": "B"}, {"givenName"}),
        ({"reference": "r", "givenName": "A", "familyName": "x" * 201}, {"familyName"}),
        (
            {"reference": "r", "givenName": "A", "familyName": "B", "dateOfBirth": "5/4/2001"},
            {"dateOfBirth"},
        ),
        (
            {"reference": "r", "givenName": "A", "familyName": "B", "dateOfBirth": "2001-02-30"},
            {"dateOfBirth"},
        ),
        (
            {"reference": "r", "givenName": "A", "familyName": "B", "dateOfBirth": "2999-01-01"},
            {"dateOfBirth"},
        ),
    ],
)
def test_learner_input_names_each_bad_field(data, fields):
    with pytest.raises(InvalidInput) as caught:
        LearnerInput.from_json(data)
    assert caught.value.code == "invalid_input"
    assert set(caught.value.details["fields"]) == fields


def test_learner_input_trims_and_treats_blank_optionals_as_absent():
    learner = LearnerInput.from_json(
        {
            "reference": " S-1 ",
            "givenName": " Zoë ",
            "familyName": "Ørsted",
            "email": "",
            "dateOfBirth": " 2000-02-29 ",
            "extra": "ignored",
        }
    )
    assert learner == LearnerInput("S-1", "Zoë", "Ørsted", None, date(2000, 2, 29))


def test_a_credential_that_fails_validation_is_refused_and_nothing_is_kept(app, demo, monkeypatch):
    issue(app, demo)  # the learner exists already, unchanged: no write before the reservation
    build = issuance.build_microcredential

    def broken(award):
        document = build(award)
        document["undefinedTerm"] = "dropped by JSON-LD"
        del document["credentialSubject"]["hasClaim"]["specifiedBy"]["eqfLevel"]
        return document

    monkeypatch.setattr(issuance, "build_microcredential", broken)
    with pytest.raises(InvalidInput) as caught:
        issue(app, demo)
    assert caught.value.code == "invalid_credential"
    codes = {issue["code"] for issue in caught.value.details["issues"]}
    assert codes == {"undefined_term", "schema_violation"}
    assert any(i.get("element") == "level" for i in caught.value.details["issues"])
    with transaction(app) as session:
        assert session.scalar(select(func.count()).select_from(IssuedCredential)) == 1
        assert session.scalar(select(func.count()).select_from(StatusEntry)) == 2
