"""verifier.credential: the report's summary, in exactly the shape the pages and JSON read."""

from __future__ import annotations

from demo.reference import reference_credential
from verifier.credential import organisation_name, summary


def test_the_summary_of_the_reference_credential(issuer_key):
    credential = reference_credential(issuer_key)
    assert summary(credential) == {
        "title": "Green Data Analytics",
        "learner": "Ana Andersen 1",
        "issuer": issuer_key.controller,
        "awardingBodies": ["Aarhus Demo University"],
        "ects": "5",
        "eqfLevel": "6",
        "volumeOfLearning": "PT125H",
        "learningOutcomes": [
            f"Outcome {n}: apply data analysis to sustainability question {n}" for n in (1, 2, 3)
        ],
        "issued": credential["issued"],
    }


def test_an_empty_credential_has_every_key():
    assert summary({}) == {
        "title": None,
        "learner": None,
        "issuer": None,
        "awardingBodies": [],
        "ects": None,
        "eqfLevel": None,
        "volumeOfLearning": None,
        "learningOutcomes": [],
        "issued": None,
    }


def test_parts_as_stated_english_first():
    credential = {
        "credentialSubject": {
            "fullName": {"da": "Ana", "en": "Ana A."},
            "hasClaim": {
                "awardedBy": {"awardingBody": ["did:web:x", {"id": "did:web:y", "prefLabel": "Y"}]},
                "specifiedBy": {
                    "title": {"da": "Grøn"},
                    "creditPoint": [{"point": 5}, {"point": "7"}],
                    "eqfLevel": "http://example.org/levels/9",
                },
            },
        },
        "validFrom": "2026-07-01",
    }
    shown = summary(credential)
    assert shown["learner"] == "Ana A."
    assert shown["title"] == "Grøn"
    assert shown["awardingBodies"] == ["did:web:x", "Y"]
    assert shown["ects"] == 5  # the first credit point's, whatever its framework and JSON type
    assert shown["eqfLevel"] == "9"  # the last segment of any IRI (recognition judges it)
    assert shown["issued"] == "2026-07-01"


def test_organisation_name():
    assert organisation_name({"legalName": {"fr": "Lyon"}, "prefLabel": "L"}) == "Lyon"
    assert organisation_name({"id": "did:web:x"}) == "did:web:x"
    assert organisation_name({}) is None
