"""The issuer's API fuzzed with schemathesis over its own OpenAPI document, in-process (WSGI).

Every operation of ``/openapi.json`` gets schema-valid and schema-violating requests, with an
admin token (the strongest role) and, for some requests, the ids of a real credential, share
link and learner link (so the fuzzer gets past 404). Each answer must be no server error, have
a documented status code and content type and match its response schema, and a
schema-violating request must be refused. The bounded run (in ``make test``) is reproducible
(``derandomize``) and small; the long run (``-m fuzz``, ``make fuzz``) draws more per
operation. The request counts are printed in pytest's terminal summary.

The database is asked for by name inside the fixture, so these tests are not re-run by the
PostgreSQL pass of ``make test`` (``make fuzz`` runs the long one on PostgreSQL too).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from demo.partnership import DEMO_SPECIFICATION
from issuer.api import openapi
from issuer.app import create_app, register_blueprints
from issuer.db import session_factory
from issuer.edge import DbIntConverter
from tests.conftest import FUZZ_TALLY
from tests.issuer.conftest import BASE_URL, PASSPHRASE, Templates, copied_database

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
BOUNDED_EXAMPLES = 6
LONG_EXAMPLES = 250

#: NUL and lone surrogates are refused everywhere (the document says so in words: 400
#: ``invalid_input``): the generator leaves them out of schema-valid text. Query parameters the
#: document does not name are ignored, as HTTP APIs do (``?lang=`` works on every page): no
#: negative case is made by adding one.
CONFIG = SchemathesisConfig.from_dict(
    {"generation": {"allow-x00": False, "codec": "utf-8", "allow-extra-parameters": False}}
)


def _document() -> dict[str, Any]:
    """The issuer's OpenAPI document, generated from a bare app with every blueprint (this
    module builds its fuzzer at import, before any fixture)."""
    bare = Flask("issuer")
    bare.url_map.converters["dbint"] = DbIntConverter
    register_blueprints(bare)
    with bare.app_context():
        return openapi.document()


schema = schemathesis.openapi.from_dict(_document(), config=CONFIG)
DEMO_SPECIFICATION_SLUG = DEMO_SPECIFICATION["slug"]


@dataclass
class Target:
    """The app under fuzzing, its admin token and the real ids the fuzzer may use."""

    app: Flask
    headers: dict[str, str]
    ids: dict[str, str]


@pytest.fixture
def fuzz_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A copy of the demo template database: a SQLite file or, with ``DATABASE_URL`` naming
    PostgreSQL, a database made from the template (dropped afterwards). Not ``database_url``,
    so the PostgreSQL pass of ``make test`` does not pick these tests up."""
    made: Templates = request.getfixturevalue("templates")
    with copied_database(made.with_demo, tmp_path / "fuzz.sqlite3", prefix="mc_f") as url:
        yield url


@pytest.fixture
def target(request: pytest.FixtureRequest, fuzz_database: str, tmp_path: Path) -> Iterator[Target]:
    """The issuer on a fresh demo database, and one issued credential whose ids the fuzzer
    may use."""
    made: Templates = request.getfixturevalue("templates")
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": fuzz_database,
            "ISSUER_BASE_URL": BASE_URL,
            "VERIFIER_BASE_URL": "https://verifier.example",
            "KEY_PASSPHRASE": PASSPHRASE,
            "BULK_WORKER": "inline",
            "SECRET_KEY": "test",
        }
    )
    app.instance_path = str(tmp_path / "instance")
    issuer = {"Authorization": f"Bearer {made.tokens['aarhus-demo-university:issuer']}"}
    admin = {"Authorization": f"Bearer {made.tokens['aarhus-demo-university:admin']}"}
    issued = app.test_client().post(
        "/api/v1/credentials",
        json={
            "specification": DEMO_SPECIFICATION_SLUG,
            "learner": {"reference": "fuzz-1", "givenName": "Ada", "familyName": "Lovelace"},
        },
        headers=issuer,
    )
    assert issued.status_code == 201, issued.get_data(as_text=True)
    body = issued.get_json()
    ids = {
        "id": body["credential"]["id"].removeprefix("urn:uuid:"),
        "token": body["shareUrl"].rsplit("/", 1)[1],
        "manageToken": body["learnerManageUrl"].rsplit("/", 1)[1],
        "slug": DEMO_SPECIFICATION_SLUG,
    }
    yield Target(app, admin, ids)
    session_factory(app).kw["bind"].dispose()


def _use_real_ids(case: Any, ids: dict[str, str]) -> None:
    """For about half the cases (chosen from the drawn values, so reproducibly), put real ids
    into the path so the fuzzer reaches the code behind the lookups."""
    params = case.path_parameters or {}
    for name in list(params):
        if name not in ids or (name == "id" and "bulk-jobs" in case.path) or "status" in case.path:
            continue
        digest = hashlib.sha256(repr(params[name]).encode()).digest()
        if digest[0] % 2 == 0:
            params[name] = ids[name]


def _run(case: Any, target: Target, name: str) -> None:
    _use_real_ids(case, target.ids)
    tally = FUZZ_TALLY.setdefault(name, {})
    tally[case.operation.label] = tally.get(case.operation.label, 0) + 1
    case.call_and_validate(app=target.app, headers=target.headers, checks=CHECKS)


def _settings(examples: int) -> Callable[[Any], Any]:
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )


@schema.parametrize()
@_settings(BOUNDED_EXAMPLES)
def test_api_fuzz_bounded(case: Any, target: Target) -> None:
    """A few reproducible requests per operation: no 500, every answer as documented."""
    _run(case, target, "bounded")


@pytest.mark.fuzz
@schema.parametrize()
@_settings(LONG_EXAMPLES)
def test_api_fuzz_long(case: Any, target: Target) -> None:
    """The long run (``make fuzz``): many more requests per operation, same checks."""
    _run(case, target, "long")


def test_fixture_sanity(target: Target) -> None:
    """The fuzzer's real ids work (else it would only ever see 404)."""
    client = target.app.test_client()
    assert client.get(f"/c/{target.ids['token']}?format=json").status_code == 200
    assert client.get(f"/api/v1/learner/{target.ids['manageToken']}/share-links").status_code == 200
