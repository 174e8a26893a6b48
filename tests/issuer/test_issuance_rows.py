"""What one issuance hands back is what it stored (issue #15: the rows are written with Core
statements and handed back as ORM objects made from the values written, not read back)."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import select

from issuer.credentials.issuance import LearnerInput, issue_credential
from issuer.db import transaction
from issuer.models import (
    AuditEvent,
    IssuedCredential,
    Learner,
    Organisation,
    ShareLink,
    Specification,
    StatusEntry,
)

from .conftest import BASE_URL, PASSPHRASE
from .issuing import ANA, NOW, issue


def _columns(row: object, model: type) -> dict[str, object]:
    return {column.key: getattr(row, column.key) for column in model.__mapper__.column_attrs}


def test_the_objects_handed_back_are_the_stored_rows(app, demo, database_url):
    credential_id, uri, _document, issued = issue(app, demo, bodies=(0, 1))
    handed = _columns(issued.credential, IssuedCredential)
    link = _columns(issued.share_link, ShareLink)
    learner = _columns(issued.credential.learner, Learner)
    entries = sorted(
        (e.id, e.status_list_id, e.list_index) for e in issued.credential.status_entries
    )
    bodies = [body.id for body in issued.credential.awarding_bodies]
    with transaction(app) as session:
        stored = session.get(IssuedCredential, credential_id)
        assert _columns(stored, IssuedCredential) == handed
        assert stored.issued_at == NOW
        assert _columns(session.get(ShareLink, link["id"]), ShareLink) == link
        assert link["credential_id"] == credential_id
        assert _columns(stored.learner, Learner) == learner
        assert (learner["reference"], learner["given_name"]) == (ANA.reference, ANA.given_name)
        assert [body.id for body in stored.awarding_bodies] == bodies
        assert bodies == [demo.organisations[0].id, demo.organisations[1].id]
        linked = session.scalars(
            select(StatusEntry).where(StatusEntry.credential_id == credential_id)
        )
        assert sorted((e.id, e.status_list_id, e.list_index) for e in linked) == entries
        assert len(entries) == 2
        event = session.scalar(select(AuditEvent).where(AuditEvent.credential_id == credential_id))
        assert (event.action, event.actor, event.organisation_id) == (
            "issue",
            "token:test",
            demo.organisations[0].id,
        )
        assert event.details["credential"] == uri


def test_a_change_to_the_handed_back_credential_is_written(app, demo, database_url):
    credential_id, *_ = issue(app, demo)
    with transaction(app) as session:
        issued = issue_credential(
            session,
            issuer=session.get(Organisation, demo.organisations[0].id),
            specification=session.get(Specification, demo.specification.id),
            learner=LearnerInput(reference=ANA.reference, given_name="Anna", family_name="Berg"),
            actor="token:test",
            base_url=BASE_URL,
            passphrase=PASSPHRASE.encode(),
        )
        issued.credential.manage_token_hash = "0" * 64  # as re-issue moves the learner's link
        new_id = issued.credential.id
    with transaction(app) as session:
        assert session.get(IssuedCredential, new_id).manage_token_hash == "0" * 64
        # the known learner's names were updated, and both credentials are theirs
        learner = session.get(IssuedCredential, credential_id).learner
        assert (learner.given_name, learner.family_name) == ("Anna", "Berg")
        assert session.get(IssuedCredential, new_id).learner_id == learner.id


def test_a_stored_row_is_made_in_a_process_whose_mappers_are_not_configured_yet():
    # a web worker's first request makes its first objects with db.stored_row, which bypasses
    # the constructor (where the ORM configures the mappers on first use)
    program = (
        "from sqlalchemy.orm import Session\n"
        "from issuer.db import stored_row\n"
        "from issuer.models import Learner\n"
        "session = Session()\n"
        "learner = stored_row(session, Learner, {'id': 7, 'reference': 'S1'})\n"
        "assert learner in session and learner.reference == 'S1'\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
