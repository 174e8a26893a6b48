"""Issuances at once over the API (issue #15): on SQLite their writers queue
(issuer.sqlite_writers), on PostgreSQL they run side by side; either way every one is answered
201 and stored whole, each with status entries of its own, and a failed one writes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from issuer.db import transaction
from issuer.models import AuditEvent, IssuedCredential, Learner, ShareLink, StatusEntry

from .threads import run_together

AT_ONCE = 6
ROWS = (IssuedCredential, StatusEntry, Learner, ShareLink, AuditEvent)


def _count(session, model) -> int:  # type: ignore[no-untyped-def]
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _body(specification: str, reference: str) -> dict[str, object]:
    return {
        "specification": specification,
        "learner": {"reference": reference, "givenName": "Ana", "familyName": "Berg"},
    }


def test_issuances_at_once_all_stored_with_their_own_status_entries(app, auth, demo):
    slug = demo.specification.slug
    headers = auth()
    answers: dict[int, int] = {}

    def issue(number: int) -> None:
        answer = app.test_client().post(
            "/api/v1/credentials", json=_body(slug, f"at-once-{number}"), headers=headers
        )
        answers[number] = answer.status_code

    run_together(issue, range(AT_ONCE))
    assert answers == dict.fromkeys(range(AT_ONCE), 201)
    with transaction(app) as session:
        assert _count(session, IssuedCredential) == AT_ONCE
        assert _count(session, ShareLink) == AT_ONCE
        issues = session.scalar(select(func.count()).where(AuditEvent.action == "issue"))
        assert issues == AT_ONCE
        places = session.execute(
            select(StatusEntry.status_list_id, StatusEntry.list_index, StatusEntry.credential_id)
        ).all()
    assert len(places) == 2 * AT_ONCE
    assert len({(list_id, index) for list_id, index, _ in places}) == 2 * AT_ONCE
    assert all(credential is not None for _, _, credential in places)


def test_a_failed_issuance_writes_nothing(app, client, auth, demo, monkeypatch):
    slug = demo.specification.slug
    first = client.post("/api/v1/credentials", json=_body(slug, "first"), headers=auth())
    assert first.status_code == 201
    with transaction(app) as session:
        before = {m: _count(session, m) for m in ROWS}

    def broken(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("building failed after the learner and entries were written")

    monkeypatch.setattr("issuer.credentials.issuance.build_microcredential", broken)
    client.application.config["PROPAGATE_EXCEPTIONS"] = False
    answer = client.post("/api/v1/credentials", json=_body(slug, "second"), headers=auth())
    assert answer.status_code == 500
    with transaction(app) as session:
        after = {m: _count(session, m) for m in ROWS}
    assert after == before
    monkeypatch.undo()
    # the queue was given back: the next issuance goes through
    third = client.post("/api/v1/credentials", json=_body(slug, "third"), headers=auth())
    assert third.status_code == 201
