"""The verifier's OpenAPI document (``GET /openapi.json``, made by spectree from the pydantic
models in ``verifier.api``) and schemathesis over it, in process (WSGI).

The document describes exactly the JSON routes; real answers (verified, unconfirmed, not
verified, every kind of refusal) validate against the schema of their status code; and a
bounded, derandomized schemathesis run finds no server error and no answer that differs from
the document. ``make fuzz`` runs a longer one (``fuzz`` marker).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from jsonschema import Draft202012Validator
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from demo.reference import reference_keypair
from tests.conftest import FUZZ_TALLY
from tests.verifier.test_edge import SHARE_URL, StubFetcher
from verifier.app import create_app
from verifier.trust import trusted_issuers_document

JSON_ROUTES = {
    "/api/verify": {"post"},
    "/credentials/verify": {"post"},
    "/presentations/verify": {"post"},
    "/verify": {"get"},
    "/api/recognise": {"post"},
    "/healthz": {"get"},
}
# Server errors are counted by hand: a documented 502 (the link did not answer) or 503 (busy,
# settings unusable) is an answer of the API, not a failure of the server.
CHECKS = [
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, _signed: dict) -> Any:
    trusted = tmp_path_factory.mktemp("trust") / "trusted.json"
    issuer = str(reference_keypair().controller)
    listed = trusted_issuers_document([(issuer, "Aarhus Demo University")], name="Test list")
    trusted.write_text(json.dumps(listed))
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "FETCHER": StubFetcher({SHARE_URL: json.dumps(_signed).encode()}),
            "TRUSTED_ISSUERS_PATH": str(trusted),
        }
    )


@pytest.fixture(scope="module")
def document(app: Any) -> dict[str, Any]:
    response = app.test_client().get("/openapi.json")
    assert response.status_code == 200
    loaded: dict[str, Any] = response.get_json()
    return loaded


def validator(document: dict[str, Any], path: str, method: str, status: int) -> Any:
    """A JSON Schema validator for the answer ``status`` of ``method path``."""
    answer = document["paths"][path][method]["responses"][str(status)]
    schema = answer["content"]["application/json"]["schema"]
    return Draft202012Validator({**schema, "components": document["components"]})


class TestDocument:
    def test_it_describes_the_json_routes_and_nothing_else(self, document: dict) -> None:
        assert document["openapi"].startswith("3.1")
        assert {p: set(ops) for p, ops in document["paths"].items()} == JSON_ROUTES

    def test_status_codes(self, document: dict) -> None:
        def codes(path: str, method: str) -> set[str]:
            return set(document["paths"][path][method]["responses"])

        assert codes("/api/verify", "post") == {"200", "400", "413", "503"}
        assert codes("/credentials/verify", "post") == {"200", "400", "413", "503"}
        assert codes("/verify", "get") == {
            "200", "400", "404", "410", "413", "415", "422", "502", "503", "504"
        }
        assert codes("/healthz", "get") == {"200"}

    def test_the_report_schema_names_the_verdicts_checks_and_outcomes(self, document: dict) -> None:
        schemas = document["components"]["schemas"]
        report = schemas["ReportModel"]
        assert set(report["required"]) == {"verdict", "verified", "checks"}
        assert report["properties"]["verdict"]["enum"] == [
            "verified",
            "unconfirmed",
            "not_verified",
        ]
        check = schemas["CheckResultModel"]["properties"]
        assert set(check["check"]["enum"]) == {
            "format", "seal", "revocation", "expiry", "accreditation", "owner", "recognition"
        }  # fmt: skip
        assert set(check["outcome"]["enum"]) == {"ok", "error", "warning", "unchecked"}
        assert schemas["ErrorResponse"]["required"] == ["error"]
        assert set(schemas["ErrorDetail"]["required"]) == {"code", "message"}


class TestRealAnswersMatch:
    def test_reports(self, app: Any, document: dict, signed: dict) -> None:
        client = app.test_client()
        tampered = json.loads(json.dumps(signed))
        tampered["credentialSubject"]["fullName"] = {"en": "Mallory"}
        verdicts = set()
        for body in (signed, tampered, {"@context": []}, {"payload": "{}", "signatures": []}):
            response = client.post("/api/verify", data=json.dumps(body))
            validator(document, "/api/verify", "post", 200).validate(response.get_json())
            verdicts.add(response.get_json()["verdict"])
        link = client.get(
            "/verify", query_string={"url": SHARE_URL}, headers={"Accept": "application/json"}
        )
        validator(document, "/verify", "get", 200).validate(link.get_json())
        verdicts.add(link.get_json()["verdict"])
        assert verdicts == {"verified", "not_verified"}

    def test_vc_api(self, app: Any, document: dict, signed: dict) -> None:
        client = app.test_client()
        good = client.post("/credentials/verify", json={"verifiableCredential": signed})
        assert good.status_code == 200
        validator(document, "/credentials/verify", "post", 200).validate(good.get_json())
        for body in ({"verifiableCredential": {}}, {"verifiableCredential": "x"}, [1]):
            bad = client.post("/credentials/verify", json=body)
            assert bad.status_code == 400
            validator(document, "/credentials/verify", "post", 400).validate(bad.get_json())

    def test_refusals(self, app: Any, document: dict) -> None:
        client = app.test_client()
        cases = [
            (b"", 400),
            (b"nope", 400),
            (b"[" * 1000, 400),
            (b'"\\ud800"', 400),
            (b"{" + b" " * (3 * 1024 * 1024) + b"}", 413),
        ]
        for body, status in cases:
            response = client.post("/api/verify", data=body)
            assert response.status_code == status
            validator(document, "/api/verify", "post", status).validate(response.get_json())
        gone = client.get(
            "/verify",
            query_string={"url": "https://gone.example/c"},
            headers={"Accept": "application/json"},
        )
        assert gone.status_code == 502
        validator(document, "/verify", "get", 502).validate(gone.get_json())

    def test_health(self, app: Any, document: dict) -> None:
        response = app.test_client().get("/healthz")
        validator(document, "/healthz", "get", 200).validate(response.get_json())


def run_schemathesis(app: Any, examples: int, *, derandomize: bool, run: str) -> Counter[str]:
    """Every operation, positive and negative data, ``examples`` cases each; the count of
    requests, statuses, server errors and mismatches (requests per operation also go to the
    terminal summary, ``FUZZ_TALLY[run]``)."""
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    tally: Counter[str] = Counter()
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _fuzz(operation, mode, examples, derandomize, tally, failures)
                FUZZ_TALLY.setdefault(run, {})[operation.label] = tally[operation.label]
            except Unsatisfiable:  # GET /healthz takes nothing to make invalid
                tally["operations with no negative case"] += 1
    print(f"schemathesis: {dict(tally)}")
    for failure in failures[:5]:
        print(failure[:2000])
    return tally


def _fuzz(
    operation: Any,
    mode: GenerationMode,
    examples: int,
    derandomize: bool,
    tally: Counter[str],
    failures: list[str],
) -> None:
    strategy = operation.as_strategy(generation_mode=mode, headers={"Accept": "application/json"})

    @given(case=strategy)
    @settings(
        max_examples=examples,
        derandomize=derandomize,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        response = case.call()
        tally["requests"] += 1
        tally[operation.label] += 1
        tally[f"status {response.status_code}"] += 1
        if response.status_code >= 500 and response.status_code not in (502, 503, 504):
            tally["server errors"] += 1
            failures.append(f"{operation.label} {response.status_code}: {response.text[:500]}")
        try:
            case.validate_response(response, checks=CHECKS)
        except Exception as failure:  # schemathesis raises a group of the checks' failures
            tally["mismatches"] += 1
            failures.append(f"{operation.label} {response.status_code}: {failure}")

    run()


def test_schemathesis_finds_no_server_error_and_no_mismatch(
    app: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    tally = run_schemathesis(app, 60, derandomize=True, run="verifier, in process")
    with capsys.disabled():
        print(
            f"\nschemathesis (verifier, in process): {tally['requests']} requests, "
            f"{tally['server errors']} server errors, {tally['mismatches']} mismatches"
        )
    assert tally["requests"] >= 300
    assert tally["server errors"] == 0
    assert tally["mismatches"] == 0


@pytest.mark.fuzz
def test_fuzz_schemathesis(app: Any) -> None:
    tally = run_schemathesis(app, 800, derandomize=False, run="verifier, long")
    assert tally["server errors"] == 0
    assert tally["mismatches"] == 0


