"""The W3C VC API issue endpoint (POST /credentials/issue): signing with the caller
organisation's key, the context and issuer rules, options, auth and the audit log."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from sqlalchemy import func, select

from issuer.db import transaction
from issuer.models import AuditEvent, Organisation
from issuer.partnerships.services import public_keypairs
from keys.did_web import build_did_document, did_web_to_url
from keys.proof_set import verify_proofs
from keys.resolver import DidResolver
from schemas.elm.vocab import DATA_INTEGRITY_V2, VC_V1

VC_V2 = "https://www.w3.org/ns/credentials/v2"
DATA_INTEGRITY_V1 = "https://w3id.org/security/data-integrity/v1"
AARHUS = "aarhus-demo-university"
LYON = "lyon-demo-university"


def v1_credential(**more: Any) -> dict[str, Any]:
    return {
        "@context": [VC_V1],
        "id": "urn:uuid:0b7e0cf4-3c1b-4bd6-9a47-6b1f0e8f3a01",
        "type": ["VerifiableCredential"],
        "issuanceDate": "2025-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:learner-1"},
        **more,
    }


def v2_credential(**more: Any) -> dict[str, Any]:
    return {
        "@context": [VC_V2],
        "type": ["VerifiableCredential"],
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:learner-2", "name": "Ada Lovelace"},
        **more,
    }


def issue(client, headers, credential: Any, **body: Any):  # type: ignore[no-untyped-def]
    return client.post(
        "/credentials/issue", json={"credential": credential, **body}, headers=headers
    )


def error_code(response) -> str:  # type: ignore[no-untyped-def]
    body = response.get_json()
    assert set(body) == {"error"}, body
    return str(body["error"]["code"])


def resolver(app) -> DidResolver:  # type: ignore[no-untyped-def]
    """A resolver whose fetch serves the organisations' DID documents from the database."""
    with transaction(app) as session:
        documents = {
            did_web_to_url(o.did): json.dumps(
                build_did_document(o.did, public_keypairs(o))
            ).encode()
            for o in session.scalars(select(Organisation))
        }
    return DidResolver(fetch=lambda url: documents[url])


def did_of(demo, slug: str) -> str:  # type: ignore[no-untyped-def]
    return next(o.did for o in demo.organisations if o.slug == slug)


def audit_count(app) -> int:  # type: ignore[no-untyped-def]
    with transaction(app) as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "issue_vc_api")
            )
            or 0
        )


def test_issue_a_v1_credential(app, client, auth, demo):
    given = v1_credential()
    response = issue(client, auth(), given)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert set(body) == {"verifiableCredential"}
    signed = body["verifiableCredential"]
    # the issuer is set to the caller's organisation; the Data Integrity context is added
    assert signed["issuer"] == did_of(demo, AARHUS)
    assert signed["@context"] == [VC_V1, DATA_INTEGRITY_V2]
    assert signed["credentialSubject"] == given["credentialSubject"]
    assert signed["issuanceDate"] == given["issuanceDate"]
    proof = signed["proof"]
    assert proof["type"] == "DataIntegrityProof"
    assert proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert proof["proofPurpose"] == "assertionMethod"
    assert proof["verificationMethod"] == f"{did_of(demo, AARHUS)}#key-1"
    result = verify_proofs(signed, resolver=resolver(app), controllers=[did_of(demo, AARHUS)])
    assert result.verified, result

    with transaction(app) as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "issue_vc_api"))
        assert event is not None
        assert event.actor == f"token:{AARHUS}-issuer"
        assert event.organisation_id == demo.organisations[0].id
        assert event.details["id"] == given["id"]


def test_issue_a_v1_credential_without_issuance_date(app, client, auth):
    given = v1_credential()
    del given["issuanceDate"]
    signed = issue(client, auth(), given).get_json()["verifiableCredential"]
    assert signed["issuanceDate"].endswith("Z")
    assert verify_proofs(signed, resolver=resolver(app)).verified


@pytest.mark.parametrize("contexts", [[VC_V1, DATA_INTEGRITY_V2], [VC_V1, DATA_INTEGRITY_V1]])
def test_a_proof_context_present_is_kept(app, client, auth, contexts):
    signed = issue(client, auth(), v1_credential(**{"@context": contexts})).get_json()[
        "verifiableCredential"
    ]
    assert signed["@context"] == contexts
    assert verify_proofs(signed, resolver=resolver(app)).verified


def test_issue_a_v2_credential_with_an_issuer_object(app, client, auth, demo):
    lyon = did_of(demo, LYON)
    given = v2_credential(issuer={"id": lyon, "name": "Université de Lyon (démo)"})
    response = issue(
        client, auth("issuer", LYON), given, options={"proofPurpose": "assertionMethod"}
    )
    assert response.status_code == 201, response.get_json()
    signed = response.get_json()["verifiableCredential"]
    assert signed["@context"] == [VC_V2]  # VC v2 defines the proof terms itself
    assert signed["issuer"] == given["issuer"]
    assert signed["proof"]["verificationMethod"].startswith(lyon + "#")
    result = verify_proofs(signed, resolver=resolver(app), controllers=[lyon])
    assert result.verified, result


def test_resign_an_issued_micro_credential(app, client, auth, demo):
    """The EDC credential the JSON API builds goes through the VC API as well."""
    issued = client.post(
        "/api/v1/credentials",
        json={
            "specification": "green-data-analytics",
            "learner": {"reference": "s1", "givenName": "Ada", "familyName": "Lovelace"},
        },
        headers=auth(),
    ).get_json()["document"]
    unsigned = {k: v for k, v in issued.items() if k != "proof"}
    response = issue(client, auth("admin"), unsigned)
    assert response.status_code == 201, response.get_json()
    signed = response.get_json()["verifiableCredential"]
    assert signed["@context"] == unsigned["@context"]
    result = verify_proofs(signed, resolver=resolver(app), controllers=[did_of(demo, AARHUS)])
    assert result.verified, result


@pytest.mark.parametrize(
    ("credential", "status", "code"),
    [
        (v1_credential(**{"@context": [VC_V1, "https://example.org/ctx"]}), 400, "unknown_context"),
        (
            v1_credential(**{"@context": [VC_V1, {"issuer": "https://example.org/foo"}]}),
            400,
            "context_redefines_term",
        ),
        (
            v1_credential(credentialSubject={"id": "did:example:1", "@context": VC_V1}),
            400,
            "context_not_pinned",
        ),
        (v1_credential(**{"@context": []}), 400, "context_not_pinned"),
        (v1_credential(favouriteColour="blue"), 400, "undefined_term"),
        (
            v1_credential(credentialSubject={"id": "did:example:1", "nickname": "Ada"}),
            400,
            "undefined_term",
        ),
        (v1_credential(type=["Diploma"]), 400, "undefined_term"),
        (
            v1_credential(type=["VerifiableCredential"], credentialSubject=None),
            400,
            "invalid_credential",
        ),
        ({**v1_credential(), "@context": [DATA_INTEGRITY_V2, VC_V1]}, 400, "invalid_credential"),
        (v2_credential(credentialSubject={}), 400, "invalid_credential"),
        (v2_credential(credentialSubject=[{"id": "did:example:1"}, {}]), 400, "invalid_credential"),
        (v1_credential(proof={"type": "DataIntegrityProof"}), 400, "proof_present"),
        (
            v1_credential(
                issuer="did:web:issuer.example:orgs:green-skills-alliance:lyon-demo-university"
            ),
            403,
            "issuer_mismatch",
        ),
        (
            v1_credential(
                issuer={"id": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"}
            ),
            403,
            "issuer_mismatch",
        ),
        (v2_credential(issuer={"name": "No id"}), 400, "invalid_issuer"),
        ("a string", 400, "invalid_input"),
        ([v1_credential()], 400, "invalid_input"),
    ],
)
def test_refusals(app, client, auth, credential, status, code):
    response = issue(client, auth(), credential)
    assert response.status_code == status, response.get_json()
    assert error_code(response) == code
    assert audit_count(app) == 0


@pytest.mark.parametrize(
    "options",
    [
        {"created": "2025-01-01T00:00:00Z"},
        {"proofPurpose": "authentication"},
        {"challenge": "abc", "domain": "example.org"},
        {"mandatoryPointers": ["/issuer"]},
    ],
)
def test_unsupported_options(app, client, auth, options):
    response = issue(client, auth(), v1_credential(), options=options)
    assert response.status_code == 400
    assert error_code(response) == "unsupported_option"
    assert audit_count(app) == 0


def test_malformed_requests(client, auth):
    for data in (b"not json", b"[]", b""):
        response = client.post(
            "/credentials/issue", data=data, content_type="application/json", headers=auth()
        )
        assert response.status_code == 400
        assert error_code(response) == "invalid_json"
    response = client.post("/credentials/issue", json={"options": {}}, headers=auth())
    assert response.status_code == 400 and error_code(response) == "invalid_input"
    response = client.post(
        "/credentials/issue", json={"credential": v1_credential(), "extra": 1}, headers=auth()
    )
    assert response.status_code == 400 and error_code(response) == "invalid_input"
    response = issue(client, auth(), v1_credential(), options="fast")
    assert response.status_code == 400 and error_code(response) == "invalid_input"


def test_auth(client, auth):
    response = client.post("/credentials/issue", json={"credential": v1_credential()})
    assert response.status_code == 401 and error_code(response) == "unauthorized"
    response = issue(client, {"Authorization": "Bearer mc_unknown"}, v1_credential())
    assert response.status_code == 401 and error_code(response) == "unauthorized"
    response = issue(client, auth("viewer"), v1_credential())
    assert response.status_code == 403 and error_code(response) == "forbidden"
    assert issue(client, auth("admin"), v1_credential()).status_code == 201


def test_the_request_is_not_changed_in_place(client, auth):
    given = v1_credential()
    before = copy.deepcopy(given)
    issue(client, auth(), given)
    assert given == before


def test_a_rotated_key_signs(app, client, auth, demo):
    from issuer.partnerships.services import add_signing_key
    from tests.issuer.conftest import PASSPHRASE

    with transaction(app) as session:
        organisation = session.get(Organisation, demo.organisations[0].id)
        add_signing_key(session, organisation, passphrase=PASSPHRASE.encode())
    signed = issue(client, auth(), v1_credential()).get_json()["verifiableCredential"]
    assert signed["proof"]["verificationMethod"].endswith("#key-2")
    assert verify_proofs(signed, resolver=resolver(app)).verified


def test_openapi_is_public(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.1.")
    assert "/credentials/issue" in document["paths"]


# --- the W3C VC 2.0 data-model rules (schemas.vc_rules) at issue -------------------------------

RELATED = "https://www.w3.org/ns/credentials/v2"
SRI = "sha384-NSOcNpmdIVUxIJGvGUoe22FjTWrXiaXlsZ8q6912LdnR3KraQO2n75Ica4wK4Qeg"
EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"


@pytest.mark.parametrize(
    ("more", "code", "path"),
    [
        ({"issuer": None}, "invalid_issuer", "issuer"),
        ({"issuer": {"id": None}}, "invalid_issuer", "issuer/id"),
        ({"credentialSubject": [{"id": "did:example:1"}, {}]}, "invalid_credential", None),
        ({"validFrom": "Sat 25 Feb 2023 07:16:31 PM CST"}, "invalid_date", "validFrom"),
        ({"validFrom": "2025-01-01T00:00:00"}, "invalid_date", "validFrom"),
        (
            {"validFrom": "2026-01-01T00:00:00Z", "validUntil": "2025-01-01T00:00:00Z"},
            "invalid_validity_period",
            "validUntil",
        ),
        (
            {"credentialStatus": {"id": "did:example:status"}},
            "invalid_typed_object",
            "credentialStatus/type",
        ),
        (
            {"credentialSchema": {"id": "did:example:schemas/1"}},
            "invalid_typed_object",
            "credentialSchema/type",
        ),
        (
            {"credentialSchema": {"type": "https://example.org/#S"}},
            "invalid_typed_object",
            "credentialSchema/id",
        ),
        (
            {"refreshService": {"id": "did:example:refresh/1"}},
            "invalid_typed_object",
            "refreshService/type",
        ),
        ({"termsOfUse": {}}, "invalid_typed_object", "termsOfUse/type"),
        ({"evidence": [{}]}, "invalid_typed_object", "evidence/0/type"),
        ({"relatedResource": [RELATED]}, "invalid_related_resource", "relatedResource/0"),
        (
            {"relatedResource": [{"digestSRI": SRI}]},
            "invalid_related_resource",
            "relatedResource/0/id",
        ),
        ({"relatedResource": {"id": RELATED}}, "invalid_related_resource", "relatedResource"),
        (
            {
                "relatedResource": [
                    {"id": RELATED, "digestSRI": SRI},
                    {"id": RELATED, "digestSRI": SRI},
                ]
            },
            "invalid_related_resource",
            "relatedResource/1/id",
        ),
        (
            {"relatedResource": {"id": RELATED, "digestSRI": "sha384-_bad-"}},
            "invalid_related_resource",
            "relatedResource/digestSRI",
        ),
        ({"id": "https ://not-a-url/1"}, "undefined_term", "id"),
        ({"id": ["https://example.org/1", "https://example.org/2"]}, "invalid_id", "id"),
        ({"id": "not a url"}, "undefined_term", "id"),
        ({"type": ["https://example.org/#Other"]}, "undefined_term", "credentialSubject"),
        (
            {"name": {"@value": "X", "@language": "en", "url": "did:example:1"}},
            "undefined_term",
            "name/url",
        ),
        (
            {"name": {"@value": "X", "@direction": "up"}},
            "invalid_language_value",
            "name/@direction",
        ),
        (
            {"@context": [VC_V2, {"VerifiableCredential": "https://example.org/#Bad"}]},
            "context_redefines_term",
            "@context/1/VerifiableCredential",
        ),
        ({"@context": [VC_V2, {"@vocab": None}]}, "context_redefines_term", "@context/1/@vocab"),
        (
            {"@context": [VC_V2, {"X": "https://example.org/#X"}, {"X": "https://example.org/#Y"}]},
            "context_redefines_term",
            "@context/1/X",
        ),
    ],
)
def test_vc2_rules_refused_at_issue(app, client, auth, more, code, path):
    response = issue(client, auth(), v2_credential(**more))
    assert response.status_code == 400, response.get_json()
    assert error_code(response) == code
    if path is not None:
        assert response.get_json()["error"]["details"]["path"] == path
    assert audit_count(app) == 0


@pytest.mark.parametrize(
    "more",
    [
        {"relatedResource": {"id": RELATED, "digestSRI": SRI}},
        {
            "relatedResource": [
                {"id": RELATED, "mediaType": "application/ld+json", "digestSRI": SRI}
            ]
        },
        {"validFrom": "2023-02-26T01:21:23Z", "validUntil": "2023-02-25T19:21:29-06:00"},
        {"name": [{"@value": "Dog", "@language": "en"}, {"@value": "Chien", "@language": "fr"}]},
        {
            "@context": [VC_V2, {"OdrlPolicy2017": "https://example.org/examples#OdrlPolicy2017"}],
            "termsOfUse": {"type": "OdrlPolicy2017"},
        },
        {
            "@context": [VC_V2, EXAMPLES_V2],
            "type": ["VerifiableCredential", "RelationshipCredential"],
        },
        {"credentialSchema": {"type": "https://example.org/#S", "id": "did:example:schemas/1"}},
    ],
)
def test_conforming_vc2_credentials_are_issued_and_verify(app, client, auth, demo, more):
    response = issue(client, auth(), v2_credential(**more))
    assert response.status_code == 201, response.get_json()
    signed = response.get_json()["verifiableCredential"]
    result = verify_proofs(signed, resolver=resolver(app), controllers=[did_of(demo, AARHUS)])
    assert result.verified, result
