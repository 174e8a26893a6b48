"""The demo's tests borrow the issuer's fixtures (a clean environment)."""

from tests.issuer.conftest import clean_env  # noqa: F401  (a fixture)
