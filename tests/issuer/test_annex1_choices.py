"""Annex I's full choices: form of participation online, onsite or blended; learning setting
formal or non-formal — in the rules, the staff form, the API's OpenAPI and the built credential,
each an EU vocabulary concept."""

from __future__ import annotations

import json

import pytest

from demo.partnership import DEMO_SPECIFICATION
from issuer.specifications.rules import SpecificationInput
from tests.issuer.test_staff import GOOD_SPECIFICATION, NEW, post, staff, text  # noqa: F401

ONSITE = "http://data.europa.eu/snb/learning-assessment/9191af2ed9"
FORMAL = "http://data.europa.eu/snb/learning-setting/6fd4685715"


def test_the_rules_offer_every_annex_i_choice():
    schema = SpecificationInput.model_json_schema()["properties"]
    assert set(schema["participationMode"]["enum"]) == {"online", "onsite", "blended"}
    setting = json.dumps(schema["learningSetting"])
    assert '"formal"' in setting and '"non-formal"' in setting


def test_the_openapi_document_lists_them(client):
    document = client.get("/openapi.json").get_data(as_text=True)
    assert '"onsite"' in document and '"formal"' in document


def test_the_staff_form_offers_them(staff):  # noqa: F811
    page = text(staff("admin").get(NEW))
    for value in ("online", "onsite", "blended", "formal", "non-formal"):
        assert f'value="{value}"' in page
    assert "Onsite (in person)" in page and "Formal learning" in page


@pytest.mark.parametrize(("mode", "setting"), [("onsite", "formal"), ("blended", "non-formal")])
def test_the_credential_carries_the_eu_concepts(client, auth, mode, setting):
    spec = {
        **DEMO_SPECIFICATION,
        "slug": f"choice-{mode}",
        "participationMode": mode,
        "learningSetting": setting,
    }
    assert (
        client.post("/api/v1/specifications", json=spec, headers=auth("admin")).status_code == 201
    )
    body = {
        "specification": f"choice-{mode}",
        "learner": {"reference": "s-1", "givenName": "Ada", "familyName": "Lovelace"},
    }
    response = client.post("/api/v1/credentials", json=body, headers=auth("issuer"))
    assert response.status_code == 201, response.get_json()
    qualification = response.get_json()["document"]["credentialSubject"]["hasClaim"]["specifiedBy"]
    if mode == "onsite":
        assert qualification["mode"]["id"] == ONSITE
        assert qualification["learningSetting"]["id"] == FORMAL
        assert qualification["learningSetting"]["prefLabel"] == {"en": "formal learning"}
    else:
        assert qualification["learningSetting"]["id"].endswith("/e207a81fc7")


def test_the_staff_form_creates_an_onsite_formal_specification(app, staff):  # noqa: F811
    client = staff("admin")
    data = {**GOOD_SPECIFICATION, "participation_mode": "onsite", "learning_setting": "formal"}
    response = post(client, NEW, data)
    assert response.status_code == 302, text(response)
    page = text(client.get(response.headers["Location"]))
    assert "Onsite (in person)" in page and "Formal learning" in page
