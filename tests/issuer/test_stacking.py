"""Stackable awards, in the service: the rule is checked when the award is defined; a learner's
live credentials of the rule's specifications qualify (revoked, suspended, expired ones and
other learners' do not); claiming issues the award with ``hasPart`` / ``isPartOf`` stated in
its own graph, audited with its parts; a plain issuance of the award is refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from demo.partnership import DEMO_SPECIFICATION
from issuer.credentials.issuance import LearnerInput, change_status
from issuer.db import transaction
from issuer.errors import InvalidInput
from issuer.models import AuditEvent, IssuedCredential, Organisation, Partnership, Specification
from issuer.specifications.services import create_specification, get_specification
from issuer.stacking import services as stacking
from schemas.elm.stack import PART_CREDENTIAL_SCHEME, parts

from .conftest import BASE_URL, PASSPHRASE
from .issuing import ANA, NOW
from .stacking import AWARD, PARTS, add_stack, award_data, issue_part

LATER = NOW + timedelta(days=30)
BEN = LearnerInput(reference="S-2002", given_name="Ben", family_name="Berg")


def _change(app, uri: str, action: str) -> None:
    """Suspend, reinstate or revoke the credential ``uri`` (committed)."""
    with transaction(app) as session:
        row = session.scalar(select(IssuedCredential).where(IssuedCredential.credential_uri == uri))
        change_status(session, row, action, actor="token:test", reason=None)


def _claim(app, demo, *, learner=ANA, parts=None, now=LATER):
    """Claim the award for ``learner`` as the demo's first organisation: (document, parts)."""
    with transaction(app) as session:
        award = get_specification(session, demo.partnership.id, AWARD)
        issued, chosen = stacking.claim_stack(
            session,
            award=award,
            learner=stacking.find_learner(session, demo.partnership.id, learner.reference),
            issuer=session.get(Organisation, demo.organisations[0].id),
            parts=parts,
            actor="token:test",
            base_url=BASE_URL,
            passphrase=PASSPHRASE.encode(),
            now=now,
        )
        return json.loads(issued.credential.document), [c.credential.credential_uri for c in chosen]


def _eligibility(app, demo, learner=ANA, now=LATER):
    with transaction(app) as session:
        award = get_specification(session, demo.partnership.id, AWARD)
        found = stacking.eligibility(
            session,
            award,
            stacking.find_learner(session, demo.partnership.id, learner.reference),
            now=now,
        )
        return (
            [(c.credential.credential_uri, c.problem) for c in found.candidates],
            [c.credential.credential_uri for c in found.chosen],
            found.satisfied,
            str(found.ects),
        )


def test_the_rule_is_stored_and_shown(app, demo, client, auth):
    add_stack(app, demo)
    answer = client.get(f"/api/v1/specifications/{AWARD}", headers=auth("viewer"))
    assert answer.status_code == 200, answer.json
    assert answer.json["stacking"] == {"parts": list(PARTS), "minParts": 3, "minEcts": "15"}
    plain = client.get(f"/api/v1/specifications/{PARTS[0]}", headers=auth("viewer")).json
    assert "stacking" not in plain


@pytest.mark.parametrize(
    ("stacking_rule", "problem"),
    [
        ({"parts": ["no-such-specification"], "minParts": 1}, "not a plain specification"),
        ({"parts": [AWARD], "minParts": 1}, "not a plain specification"),
        ({"parts": [PARTS[0]], "minParts": 2}, "cannot exceed"),
        ({"parts": [PARTS[0], PARTS[0]], "minParts": 1}, "more than once"),
        ({"parts": [PARTS[0]], "minParts": True}, "whole number"),
        ({"parts": "x"}, "stacking must be"),
    ],
)
def test_a_bad_rule_is_refused(app, demo, stacking_rule, problem):
    with transaction(app) as session, pytest.raises(InvalidInput) as refused:
        create_specification(
            session,
            session.get(Partnership, demo.partnership.id),
            {**award_data(), "stacking": stacking_rule},
            base_url=BASE_URL,
        )
    assert problem in refused.value.details["fields"]["stacking"]


def test_a_stackable_award_is_not_among_its_own_parts_nor_stacked_in_another(app, demo):
    add_stack(app, demo)
    with transaction(app) as session, pytest.raises(InvalidInput) as refused:
        create_specification(
            session,
            session.get(Partnership, demo.partnership.id),
            {**award_data(parts=[AWARD, PARTS[0]], minParts=1), "slug": "bigger-award"},
            base_url=BASE_URL,
        )
    assert refused.value.code == "unknown_part_specification"


def test_qualifying_credentials_are_the_learners_live_ones(app, demo):
    add_stack(app, demo)
    _, first, _, _ = issue_part(app, demo, PARTS[0])
    _, storage, _, _ = issue_part(app, demo, PARTS[1])
    _, revoked, _, _ = issue_part(app, demo, PARTS[2])
    _, expired, _, _ = issue_part(app, demo, PARTS[3], valid_until=NOW + timedelta(days=1))
    issue_part(app, demo, PARTS[2], learner=BEN)  # another learner's: never a candidate
    _change(app, revoked, "revoke")
    candidates, chosen, satisfied, ects = _eligibility(app, demo)
    assert dict(candidates) == {
        first: None,
        storage: None,
        revoked: "revoked",
        expired: "expired",
    }
    assert chosen == [first, storage]
    assert (satisfied, ects) == (False, "10")
    with pytest.raises(stacking.StackIncomplete) as incomplete:
        _claim(app, demo)
    assert incomplete.value.details == {"parts": 2, "minParts": 3, "ects": "10", "minEcts": "15"}
    with pytest.raises(stacking.PartNotQualifying) as refused:
        _claim(app, demo, parts=[first, storage, revoked, expired])
    assert refused.value.details["parts"] == {revoked: "revoked", expired: "expired"}


def test_a_suspended_part_does_not_count_until_reinstated(app, demo):
    add_stack(app, demo)
    uris = [issue_part(app, demo, slug)[1] for slug in PARTS[:3]]
    _change(app, uris[1], "suspend")
    assert _eligibility(app, demo)[2] is False
    _change(app, uris[1], "reinstate")
    assert _eligibility(app, demo)[1:] == (uris, True, "15")


def test_claimed_award_states_its_parts_both_ways(app, demo):
    add_stack(app, demo)
    issued = [issue_part(app, demo, slug) for slug in PARTS[:3]]
    issue_part(app, demo, PARTS[0], now=NOW + timedelta(days=1))  # a newer one of the same
    document, chosen = _claim(app, demo)
    newest_first = _eligibility(app, demo)[1][0]
    assert chosen == [newest_first, issued[1][1], issued[2][1]]
    achievement = document["credentialSubject"]["hasClaim"]
    assert achievement["title"]["en"] == "Certificate in Green Data"
    for node, uri in zip(achievement["hasPart"], chosen, strict=True):
        with transaction(app) as session:
            part = json.loads(
                session.scalar(
                    select(IssuedCredential.document).where(IssuedCredential.credential_uri == uri)
                )
            )
        signed = part["credentialSubject"]["hasClaim"]
        assert node["id"] == signed["id"] == f"{uri}#achievement"
        assert node["isPartOf"] == achievement["id"]
        assert node["title"] == signed["title"]
        assert node["awardedBy"] == signed["awardedBy"]
        assert node["identifier"]["notation"] == uri
        assert node["identifier"]["schemeName"] == PART_CREDENTIAL_SCHEME
    assert [p["credential"] for p in parts(document)] == chosen
    assert [p["ects"] for p in parts(document)] == ["5", "5", "5"]
    assert parts(document)[1]["title"] == "Sustainable Data Storage"
    assert parts(document, ("da",))[1]["title"] == "Bæredygtig datalagring"
    with transaction(app) as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "issue").order_by(AuditEvent.id.desc())
        ).first()
        assert event.details["parts"] == chosen
        assert event.details["specification"] == AWARD


def test_parts_can_be_chosen_and_the_award_is_claimed_once(app, demo):
    add_stack(app, demo, minParts=2, minEcts=10)
    uris = [issue_part(app, demo, slug)[1] for slug in PARTS]
    document, chosen = _claim(app, demo, parts=[uris[3], uris[1].removeprefix("urn:uuid:")])
    assert chosen == [uris[1], uris[3]]  # in the rule's order
    with pytest.raises(stacking.AlreadyClaimed):
        _claim(app, demo)
    with transaction(app) as session:
        row = session.scalar(
            select(IssuedCredential).where(IssuedCredential.credential_uri == document["id"])
        )
        change_status(session, row, "revoke", actor="token:test", reason="re-issue")
    _claim(app, demo)  # a revoked award can be claimed again


def test_naming_two_parts_of_one_specification_is_refused(app, demo):
    add_stack(app, demo, minParts=1, minEcts=0)
    one = issue_part(app, demo, PARTS[0])[1]
    two = issue_part(app, demo, PARTS[0])[1]
    with pytest.raises(stacking.PartNotQualifying) as refused:
        _claim(app, demo, parts=[one, two])
    assert refused.value.details["parts"] == {two: "a second credential of the same specification"}


def test_a_stackable_award_is_not_issued_without_parts(app, demo):
    add_stack(app, demo)
    with pytest.raises(InvalidInput) as refused:
        issue_part(app, demo, AWARD)
    assert refused.value.code == "stackable_award"


def test_not_stackable_and_unknown_learner(app, demo):
    with transaction(app) as session:
        with pytest.raises(stacking.NotStackable):
            stacking.stacking_rule(session.get(Specification, demo.specification.id))
        with pytest.raises(stacking.UnknownLearner):
            stacking.find_learner(session, demo.partnership.id, "nobody")


def test_a_part_not_yet_valid_does_not_count(app, demo):
    add_stack(app, demo, minParts=1, minEcts=0)
    future = datetime(2030, 1, 1, tzinfo=UTC)
    uri = issue_part(app, demo, DEMO_SPECIFICATION["slug"], now=future)[1]
    assert _eligibility(app, demo)[0] == [(uri, "not_yet_valid")]


def test_whole_ects_are_written_without_an_exponent(app, demo, client, auth):
    """``Decimal("10.00").normalize()`` is ``1E+1``: a specification of 10 ECTS (the rule's
    ``minEcts`` too) must say ``10`` in the API and in the credentials issued for it."""
    add_stack(app, demo, minEcts=20)
    with transaction(app) as session:
        create_specification(
            session,
            session.get(Partnership, demo.partnership.id),
            {**DEMO_SPECIFICATION, "slug": "ten-ects", "ects": "10.00"},
            base_url=BASE_URL,
        )
    shown = client.get("/api/v1/specifications/ten-ects", headers=auth("viewer")).json
    assert shown["ects"] == "10"
    rule = client.get(f"/api/v1/specifications/{AWARD}", headers=auth("viewer")).json
    assert rule["stacking"]["minEcts"] == "20"
    document = json.loads(issue_part(app, demo, "ten-ects")[2])
    credit = document["credentialSubject"]["hasClaim"]["specifiedBy"]["creditPoint"]
    assert credit["point"] == "10"
