"""Stacking through the JSON API: ``GET /api/v1/stacks/<award>?learner=`` and
``POST /api/v1/stacks/<award>/claims``, their refusals, and their place in ``/openapi.json``."""

from __future__ import annotations

from issuer.api import schemas, stack_schemas

from .issuing import ANA
from .stacking import AWARD, PARTS, add_stack, issue_part

API = "/api/v1"


def test_eligibility_then_claim(app, demo, client, auth):
    add_stack(app, demo)
    uris = [issue_part(app, demo, slug)[1] for slug in PARTS[:3]]
    answer = client.get(f"{API}/stacks/{AWARD}?learner={ANA.reference}", headers=auth("viewer"))
    assert answer.status_code == 200, answer.json
    stack_schemas.Eligibility.model_validate(answer.json)
    assert answer.json["parts"] == uris
    assert (answer.json["ects"], answer.json["satisfied"], answer.json["claimed"]) == (
        "15",
        True,
        None,
    )
    assert {c["id"]: c["counts"] for c in answer.json["credentials"]} == dict.fromkeys(uris, True)

    claimed = client.post(
        f"{API}/stacks/{AWARD}/claims",
        json={"learner": ANA.reference, "awardingBodies": ["aarhus-demo-university"]},
        headers=auth("issuer"),
    )
    assert claimed.status_code == 201, claimed.json
    stack_schemas.ClaimResponse.model_validate(claimed.json)
    assert claimed.json["parts"] == uris
    assert claimed.headers["Location"].endswith(claimed.json["credential"]["id"][9:])
    assert claimed.json["credential"]["specification"] == AWARD
    has_part = claimed.json["document"]["credentialSubject"]["hasClaim"]["hasPart"]
    assert [node["identifier"]["notation"] for node in has_part] == uris

    again = client.get(f"{API}/stacks/{AWARD}?learner={ANA.reference}", headers=auth("viewer"))
    assert again.json["claimed"] == claimed.json["credential"]["id"]
    refused = client.post(
        f"{API}/stacks/{AWARD}/claims", json={"learner": ANA.reference}, headers=auth("issuer")
    )
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "already_claimed")


def test_refusals(app, demo, client, auth):
    add_stack(app, demo)
    first = issue_part(app, demo, PARTS[0])[1]

    def claim(body, role="issuer", award=AWARD):
        answer = client.post(f"{API}/stacks/{award}/claims", json=body, headers=auth(role))
        return answer.status_code, answer.json["error"]["code"], answer.json["error"]

    status, code, error = claim({"learner": ANA.reference})
    assert (status, code) == (409, "stack_incomplete")
    assert error["details"] == {"parts": 1, "minParts": 3, "ects": "5", "minEcts": "15"}
    status, code, error = claim({"learner": ANA.reference, "parts": [first, "urn:uuid:x"]})
    assert (status, code) == (422, "part_not_qualifying")
    assert list(error["details"]["parts"]) == ["urn:uuid:x"]
    assert claim({"learner": "nobody"})[:2] == (404, "unknown_learner")
    assert claim({"learner": ANA.reference}, award=PARTS[0])[:2] == (422, "not_stackable")
    assert claim({"learner": ANA.reference}, award="nope")[:2] == (404, "unknown_specification")
    assert claim({"learner": ANA.reference}, role="viewer")[:2] == (403, "forbidden")
    status, code, error = claim({"parts": []})
    assert (status, code) == (422, "invalid_input")
    assert set(error["details"]["fields"]) == {"learner", "parts"}
    status, code, error = claim({"learner": ANA.reference, "awardingBodies": ["elsewhere"]})
    assert (status, code) == (422, "invalid_input")
    assert "awardingBodies" in error["details"]["fields"]

    missing = client.get(f"{API}/stacks/{AWARD}", headers=auth("viewer"))
    assert (missing.status_code, missing.json["error"]["code"]) == (422, "invalid_input")
    plain = client.get(f"{API}/stacks/{PARTS[0]}?learner=x", headers=auth("viewer"))
    assert plain.json["error"]["code"] == "not_stackable"


def test_a_stackable_award_is_not_issued_by_post_credentials(app, demo, client, auth):
    add_stack(app, demo)
    answer = client.post(
        f"{API}/credentials",
        json={
            "specification": AWARD,
            "learner": {"reference": "S-9", "givenName": "Ida", "familyName": "Holm"},
        },
        headers=auth("issuer"),
    )
    assert (answer.status_code, answer.json["error"]["code"]) == (422, "stackable_award")
    listed = client.get(f"{API}/specifications", headers=auth("viewer")).json
    schemas.SpecificationList.model_validate(listed)
    assert [s["slug"] for s in listed["specifications"] if "stacking" in s] == [AWARD]


def test_the_openapi_document_describes_stacking(client):
    document = client.get("/openapi.json").get_json()
    claim = document["paths"]["/api/v1/stacks/{specification}/claims"]["post"]
    assert claim["operationId"] == "claimStack"
    assert {"201", "404", "409", "422"} <= set(claim["responses"])
    look = document["paths"]["/api/v1/stacks/{specification}"]["get"]
    assert look["operationId"] == "getStackEligibility"
    assert [p["name"] for p in look["parameters"] if p["in"] == "query"] == ["learner"]
    assert "stacking" in document["components"]["schemas"]["Specification"]["properties"]
