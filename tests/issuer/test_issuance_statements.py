"""How many SQL statements one issuance costs (issue #15: every statement is a round trip on
PostgreSQL). Counted with SQLAlchemy's ``before_cursor_execute`` event on the app's engine, over
the API as a client calls it; runs on SQLite and, with ``MICROCRED_TEST_POSTGRES``, on
PostgreSQL (the tests take ``database_url``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy import event, func, select

from issuer.db import session_factory, transaction
from issuer.models import Learner
from issuer.partnerships import services

# One new learner's issuance over the API: the token (with its organisation and that
# organisation's signing keys), the specification, the learner (one INSERT … ON CONFLICT DO
# NOTHING), the newest status lists (how many entries each holds is a column: no count), the
# status entries (one INSERT for both purposes), the credential, its status-entry links (one
# executemany), awarding body and share link, the audit chain's head and the audit event, and
# at commit the lists' ``used``. On PostgreSQL, where every statement is a round trip, the
# credential, its entries' links, awarding bodies and share link are one statement, which also
# takes the audit chain's advisory lock (SQLite's write lock is BEGIN IMMEDIATE, which the
# driver sends itself).
STATEMENTS = {"sqlite": 12, "postgresql": 9}
# A learner the partnership knows already: the insert finds them, then they are read.
KNOWN_LEARNER = 1


@contextlib.contextmanager
def statements(app: Any) -> Iterator[list[str]]:
    """The SQL statements the app's engine sends while the block runs, in order."""
    engine = session_factory(app).kw["bind"]
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def _issue(client: Any, headers: dict[str, str], specification: str, reference: str) -> None:
    answer = client.post(
        "/api/v1/credentials",
        json={
            "specification": specification,
            "learner": {"reference": reference, "givenName": "Ana", "familyName": "Berg"},
        },
        headers=headers,
    )
    assert answer.status_code == 201, answer.get_json()


def _dialect(database_url: str) -> str:
    return "postgresql" if database_url.startswith("postgres") else "sqlite"


def test_one_issuance_runs_a_dozen_statements(app, client, auth, demo, database_url):
    slug = demo.specification.slug
    _issue(client, auth(), slug, "warm-up")  # the status lists exist; the keys are open
    with statements(app) as seen:
        _issue(client, auth(), slug, "S-new")
    listing = "\n".join(seen)
    assert len(seen) <= STATEMENTS[_dialect(database_url)], listing
    # no savepoint per status entry, no count of a list's entries, the learner inserted first
    assert not any(s.startswith(("SAVEPOINT", "RELEASE")) for s in seen), listing
    assert not any("count(" in s for s in seen), listing
    assert not any(s.startswith("SELECT learners.") for s in seen), listing
    # the issuer's signing key came with the token: no query of its own
    assert not any(s.startswith("SELECT signing_keys.") for s in seen), listing
    assert "UPDATE status_lists SET used=" in seen[-1], listing
    if _dialect(database_url) == "postgresql":  # the chain's lock taken with the rows
        assert not any(s.startswith("SELECT pg_advisory_xact_lock") for s in seen), listing
        assert any("pg_advisory_xact_lock" in s for s in seen), listing


def test_a_known_learners_issuance_adds_one_read(app, client, auth, demo, database_url):
    slug = demo.specification.slug
    _issue(client, auth(), slug, "S-known")
    with statements(app) as seen:
        _issue(client, auth(), slug, "S-known")
    assert len(seen) <= STATEMENTS[_dialect(database_url)] + KNOWN_LEARNER, "\n".join(seen)
    with transaction(app) as session:
        count = session.scalar(
            select(func.count()).select_from(Learner).where(Learner.reference == "S-known")
        )
    assert count == 1


def test_issuances_over_the_api_open_the_signing_key_once_per_process(
    app, client, auth, demo, monkeypatch
):
    # keys are opened (scrypt, tens of milliseconds) once per process, never per request
    opened: list[str] = []
    real = services.open_keypair

    def counting(sealed: Any, passphrase: bytes) -> Any:
        opened.append(str(sealed)[:20])
        return real(sealed, passphrase)

    monkeypatch.setattr(services, "open_keypair", counting)
    for number in range(4):
        _issue(client, auth(), demo.specification.slug, f"S-key-{number}")
    assert len(opened) <= 1  # 0 when an earlier test of this process opened it already
