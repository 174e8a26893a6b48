"""The verifier's recognition routes: ``POST /api/recognise`` (in the OpenAPI document, errors
with details), the page in English and Danish, the decision downloaded as JSON and as PDF."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.verifier.recognition_set import (
    AUTHORITY,
    MSC_RULE,
    STRANGER,
    VET_RULE,
    micro_credential,
    registry_document,
    vet_rule,
    vet_set,
)
from verifier.app import create_app
from verifier.fetch.client import FetchError


class Offline:
    """A fetcher that reaches nothing (the test credentials use did:key)."""

    def __call__(self, url: str) -> bytes:
        raise FetchError("fetch_failed", f"{url} did not answer")

    def fetch(self, url: str, **_: object) -> bytes:
        raise FetchError("fetch_failed", f"{url} did not answer")


@pytest.fixture
def client(tmp_path: Path):
    (tmp_path / "registry.json").write_text(json.dumps(registry_document()))
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "df-1.yaml").write_bytes(VET_RULE.read_bytes())
    (rules / "ds-e1.json").write_bytes(MSC_RULE.read_bytes())
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "FETCHER": Offline(),
            "REGISTRY_PATH": str(tmp_path / "registry.json"),
            "REGISTRY_AUTHORITY": str(AUTHORITY.controller),
            "RECOGNITION_RULES": str(rules),
        }
    )
    return app.test_client()


def api(client, body, **query):
    return client.post("/api/recognise", data=json.dumps(body), query_string=query)


class TestApi:
    def test_a_set_of_three_by_rule_id(self, client):
        response = api(client, {"credentials": vet_set(), "ruleId": vet_rule().id})
        assert response.status_code == 200, response.get_json()
        decision = response.get_json()
        assert decision["decision"] == "recognised"
        assert [c["counted"] for c in decision["credentials"]] == [True, True, True]
        assert decision["credentials"][0]["credential"] == vet_set()[0]

    def test_a_rule_in_the_body_and_an_unconfirmed_member(self, client):
        rule = json.loads(json.dumps(vet_rule().document))
        stranger = micro_credential(STRANGER, "Data wrangling", number=9, ects="10")
        response = api(client, {"credentials": [vet_set()[0], stranger], "rule": rule})
        decision = response.get_json()
        assert decision["decision"] == "partly_recognised"
        assert decision["credentials"][1]["reasons"][0]["code"] == "left_out_unconfirmed"

    def test_a_malformed_rule_names_the_path(self, client):
        rule = json.loads(json.dumps(vet_rule().document))
        rule["criteria"]["ects"]["min"] = -1
        response = api(client, {"credentials": vet_set(), "rule": rule})
        assert response.status_code == 400
        error = response.get_json()["error"]
        assert error["code"] == "rule_invalid"
        assert error["details"]["path"] == "criteria.ects.min"

    @pytest.mark.parametrize(
        ("body", "code"),
        [
            ({"credentials": []}, "invalid_input"),
            ({"credentials": [{}], "ruleId": "nothing"}, "rule_not_found"),
            ({"credentials": [{}]}, "invalid_input"),
        ],
    )
    def test_unusable_requests(self, client, body, code):
        response = api(client, body)
        assert response.status_code == 400
        assert set(response.get_json()["error"]) == {"code", "message", "details"}
        assert response.get_json()["error"]["code"] == code

    def test_pdf(self, client):
        response = api(client, {"credentials": vet_set()[:1], "ruleId": "df-1"}, format="pdf")
        assert response.mimetype == "application/pdf"
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
        assert "Partly recognised" in text
        assert "5 of 10 ECTS" in text
        assert "urn:uuid:00000000-0000-4000-9000-000000000001" in text

    def test_in_the_openapi_document(self, client):
        document = client.get("/openapi.json").get_json()
        operation = document["paths"]["/api/recognise"]["post"]
        assert {"200", "400"} <= set(operation["responses"])


class TestPage:
    def _post(self, client, documents, **form):
        files = [
            (io.BytesIO(json.dumps(d).encode()), f"credential-{n}.json")
            for n, d in enumerate(documents, start=1)
        ]
        return client.post(
            "/recognise",
            data={"credentials": files, **form},
            content_type="multipart/form-data",
        )

    def test_the_form_lists_the_configured_rules(self, client):
        page = client.get("/recognise").get_data(as_text=True)
        assert "VET micro-credentials towards Data Foundations" in page
        assert "Micro-credentials as elective DS-E1" in page

    def test_the_decision_criterion_by_criterion(self, client):
        page = self._post(client, vet_set()[:1], rule_id="df-1").get_data(as_text=True)
        assert 'data-decision="partly_recognised"' in page
        assert 'data-criterion="ects" data-status="partly_met"' in page
        assert "5 of 10 ECTS" in page

    def test_in_danish(self, client):
        client.set_cookie("lang", "da")
        page = self._post(client, vet_set()[:1], rule_id="df-1").get_data(as_text=True)
        assert "Delvist anerkendt" in page
        assert "5 af 10 ECTS" in page
        assert "Modul DF-1 Data Foundations" in page

    def test_an_uploaded_rule(self, client):
        rule = (io.BytesIO(VET_RULE.read_bytes()), "rule.yaml")
        response = self._post(client, vet_set(), rule_file=rule)
        assert 'data-decision="recognised"' in response.get_data(as_text=True)

    def test_downloads_evaluate_again(self, client):
        kept = [json.dumps(d) for d in vet_set()]
        rule_text = json.dumps(vet_rule().document)
        form = {"credential_json": kept, "rule_text": rule_text}
        as_json = client.post("/recognise", data={**form, "download": "json"})
        assert as_json.headers["Content-Disposition"].startswith("attachment;")
        assert json.loads(as_json.data)["decision"] == "recognised"
        as_pdf = client.post("/recognise", data={**form, "download": "pdf"})
        assert as_pdf.data.startswith(b"%PDF")

    def test_a_bad_rule_upload_is_said_on_the_form(self, client):
        rule = (io.BytesIO(b"criteria: ["), "rule.yaml")
        response = self._post(client, vet_set(), rule_file=rule)
        assert response.status_code == 400
        assert 'data-code="rule_unreadable"' in response.get_data(as_text=True)
