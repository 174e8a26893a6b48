"""Searching learners' credentials folds case and accents in every language, on SQLite and on
PostgreSQL (every test here runs on both in ``make test``): the staff page's search and the
API's ``q=``. On main before this, SQLite's ``lower()`` folded ASCII only, so ``Østergaard``,
``Åsa`` and ``Émile`` found nobody. Also the fold itself and the migration that fills the
folded column for learners stored before it."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from hypothesis import given, settings
from hypothesis import strategies as st

from issuer.db import make_engine, upgrade
from issuer.folding import _LETTERS, fold, learner_search_text
from tests.issuer.migrating import migrator
from tests.issuer.test_staff import api_issue, staff, text  # noqa: F401 (the staff fixture)

LEARNERS = {
    "S-1": ("Ida", "Østergaard"),
    "S-2": ("Åsa", "Lind"),
    "S-3": ("Émile", "Durand"),
    "S-4": ("Ole", "Hansen"),
    "S-5": ("Søren", "Ærø"),
}


@pytest.mark.parametrize(
    ("given", "folded"),
    [
        ("Østergaard", "ostergaard"),
        ("ØSTERGAARD", "ostergaard"),
        ("Åsa", "asa"),
        ("ÉMILE", "emile"),
        ("Ærø", "aero"),
        ("Straße", "strasse"),
        ("Łódź", "lodz"),
        ("  Ida \t Østergaard ", "ida ostergaard"),
    ],
)
def test_fold(given: str, folded: str) -> None:
    assert fold(given) == folded


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(max_codepoint=0x7F)))
def test_ascii_folds_as_the_whole_fold_would(given: str) -> None:
    """ASCII skips NFKD and the combining-mark filter, which leave it as it is."""
    decomposed = unicodedata.normalize("NFKD", given)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    assert fold(given) == " ".join(plain.casefold().translate(_LETTERS).split())


@pytest.fixture
def learners(client, auth) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """One credential for each of ``LEARNERS``: reference → credential uuid."""
    return {
        reference: api_issue(client, auth, reference, given, family)
        for reference, (given, family) in LEARNERS.items()
    }


QUERIES = [
    ("Østergaard", {"S-1"}),
    ("østergaard", {"S-1"}),
    ("OSTERGAARD", {"S-1"}),
    ("Åsa", {"S-2"}),
    ("åsa", {"S-2"}),
    ("Émile", {"S-3"}),
    ("ÉMILE", {"S-3"}),
    ("emile durand", {"S-3"}),
    ("ærø", {"S-5"}),
    ("AERO søren", {"S-5"}),
    ("s-4", {"S-4"}),
    ("Østergaard Lind", set()),
    ("100%", set()),
]


@pytest.mark.parametrize(("query", "expected"), QUERIES)
def test_api_q_folds_case_and_accents(client, auth, learners, query, expected) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/credentials", query_string={"q": query}, headers=auth("viewer"))
    assert response.status_code == 200
    found = {str(c["id"]).removeprefix("urn:uuid:") for c in response.get_json()["credentials"]}
    assert found == {learners[reference] for reference in expected}


@pytest.mark.parametrize(("query", "expected"), QUERIES)
def test_staff_search_folds_case_and_accents(staff, learners, query, expected) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    client = staff("viewer")
    html = text(client.get("/staff/credentials", query_string={"q": query}))
    shown = {reference for reference, uuid in learners.items() if uuid in html}
    assert shown == expected


def test_a_renamed_learner_is_found_by_the_new_name(client, auth, learners) -> None:  # type: ignore[no-untyped-def]
    api_issue(client, auth, "S-2", "Åsa", "Ødegård")  # the same reference: the learner's new name
    response = client.get("/api/v1/credentials", query_string={"q": "odegard"}, headers=auth())
    assert len(response.get_json()["credentials"]) == 2  # both of the learner's credentials


def test_the_migration_fills_the_folded_column(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate = migrator(engine)

    learners = sa.table(
        "learners",
        sa.column("id", sa.Integer),
        sa.column("partnership_id", sa.Integer),
        sa.column("reference", sa.String),
        sa.column("subject_id", sa.String),
        sa.column("given_name", sa.String),
        sa.column("family_name", sa.String),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    try:
        migrate(command.downgrade, "0005_vc_api_status_entries")
        with engine.begin() as connection:
            connection.execute(
                sa.text("INSERT INTO partnerships (slug, name, created_at) VALUES ('p', 'P', :at)"),
                {"at": "2026-01-01 00:00:00"},
            )
            partnership = connection.scalar(sa.text("SELECT id FROM partnerships"))
            connection.execute(
                learners.insert(),
                [
                    {
                        "partnership_id": partnership,
                        "reference": "S-9",
                        "subject_id": "urn:uuid:9",
                        "given_name": "Émile",
                        "family_name": "Østergaard",
                        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
                    }
                ],
            )
        upgrade(engine)
        with engine.connect() as connection:
            stored = connection.scalar(sa.text("SELECT search_text FROM learners"))
        assert stored == learner_search_text("Émile", "Østergaard", "S-9") == "emile ostergaard s-9"
    finally:
        engine.dispose()
