"""The integration tests: the issuer and the verifier together — what the issuer issues, seals,
re-seals or revokes, the verifier checks. The only tests (with tests/browser) that import both
apps: tests/issuer never imports the verifier, tests/verifier never imports the issuer.

The issuer's fixtures are tests/issuer/conftest.py's, re-exported (pytest finds a fixture by its
name in a conftest), not copied: the same app on a fresh database (SQLite, or PostgreSQL when
``DATABASE_URL`` names one), the demo partnership, the command line. Tests that ask for a
database are marked ``postgres`` by tests/conftest.py, so ``make test`` runs them again on
PostgreSQL."""

from __future__ import annotations

from tests.issuer.conftest import (  # noqa: F401 (fixtures, found by name)
    app,
    auth,
    clean_env,
    cli,
    client,
    database_url,
    demo,
    env,
    partnership,
    templates,
)
