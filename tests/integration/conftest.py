"""Fixtures for tests across the issuer and the verifier: the issuer's (an app on a fresh
database, its client, the demo partnership and its tokens)."""

from tests.issuer.conftest import (  # noqa: F401
    app,
    auth,
    client,
    database_url,
    demo,
    pytest_collection_modifyitems,
    templates,
)
