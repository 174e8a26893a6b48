"""The issuer's foundation: migrations match the models, the demo partnership, tokens, JSON
errors and the write-once and append-only rules."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from demo.partnership import DEMO_SPECIFICATION
from issuer.audit import ddl as audit_ddl
from issuer.auth.tokens import Caller, authenticate
from issuer.db import session_factory, transaction
from issuer.errors import Unauthorized
from issuer.models import AuditEvent, Base, KeyState, Role
from issuer.partnerships.services import (
    add_signing_key,
    public_keypairs,
    signing_keypair,
)
from issuer.specifications.services import validate_specification


def test_migrations_match_the_models(app):
    engine = session_factory(app).kw["bind"]
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
        # what compare_metadata cannot see: the triggers that make audit_events append-only
        expected = audit_ddl.trigger_names(engine.dialect.name)
        assert expected and audit_ddl.installed_triggers(connection) == expected


def test_demo_partnership(app, demo):
    assert [o.slug for o in demo.organisations] == [
        "aarhus-demo-university",
        "lyon-demo-university",
        "nordic-wind-employer",
    ]
    assert demo.organisations[0].did == (
        "did:web:issuer.example:orgs:green-skills-alliance:aarhus-demo-university"
    )
    assert len(demo.tokens) == 9


def test_token_authentication(app, demo):
    with transaction(app) as session:
        caller = authenticate(session, f"Bearer {demo.tokens['aarhus-demo-university:issuer']}")
        assert isinstance(caller, Caller)
        assert caller.role is Role.ISSUER
        assert caller.allows(Role.VIEWER) and not caller.allows(Role.ADMIN)
        for header in (None, "Bearer nope", "Basic abc"):
            with pytest.raises(Unauthorized):
                authenticate(session, header)


def test_key_rotation_retires_the_old_key(app, demo):
    with transaction(app) as session:
        organisation = session.merge(demo.organisations[0])
        first = signing_keypair(organisation, b"test-passphrase")
        add_signing_key(session, organisation, passphrase=b"test-passphrase")
        states = [k.state for k in organisation.keys]
        assert states == [KeyState.RETIRED, KeyState.CURRENT]
        current, retired = public_keypairs(organisation)
        assert retired.keypair.public_key_multibase == first.public_key_multibase
        assert (retired.state, retired.since) == ("retired", organisation.keys[0].retired_at)
        assert current.keypair.id.endswith("#key-2") and current.since is None
        assert signing_keypair(organisation, b"test-passphrase").id.endswith("#key-2")


def test_audit_log_is_append_only(app, demo):
    with transaction(app) as session:
        session.add(AuditEvent(actor="cli", action="test"))
    with pytest.raises(ValueError), transaction(app) as session:
        event = session.scalar(select(AuditEvent))
        event.action = "changed"
    with pytest.raises(ValueError), transaction(app) as session:
        session.delete(session.scalar(select(AuditEvent)))


def test_specification_validation_lists_every_problem():
    bad = {**DEMO_SPECIFICATION, "eqfLevel": 9, "ects": "-1", "volumeOfLearning": "125 hours"}
    del bad["learningOutcomes"]
    with pytest.raises(Exception) as caught:
        validate_specification(bad)
    assert caught.value.code == "invalid_input"
    assert set(caught.value.details["fields"]) == {
        "eqfLevel",
        "ects",
        "volumeOfLearning",
        "learningOutcomes",
    }


def test_json_errors(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
