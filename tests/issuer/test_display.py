"""issuer.display.credential_summary: what the share, learner and certificate pages show."""

from __future__ import annotations

from demo.reference import reference_credential
from issuer.credentials.display import credential_summary
from schemas.elm.read import Text


def test_the_summary_of_the_reference_credential():
    credential = reference_credential()
    shown = credential_summary(credential)
    assert shown.title == Text("Green Data Analytics", "en")
    assert shown.learner == Text("Ana Andersen 1", "en")
    assert shown.awarding_bodies == [Text("Aarhus Demo University", "en")]
    assert shown.issued == credential["issued"][:10]
    assert shown.ects == "5"
    assert shown.eqf_level == "6"
    assert len(shown.learning_outcomes) == 3


def test_the_readers_language_first_then_english_then_any():
    credential = {
        "credentialSubject": {
            "hasClaim": {"title": {"en": "Green", "da": "Grøn"}},
            "fullName": {"fr": "Ana"},
        }
    }
    assert credential_summary(credential, language="da").title == Text("Grøn", "da")
    assert credential_summary(credential, language="de").title == Text("Green", "en")
    assert credential_summary(credential, language="da").learner == Text("Ana", "fr")


def test_display_parameters_names_and_days():
    credential = {
        "credentialSubject": {"givenName": "Ana", "familyName": {"en": "Andersen"}},
        "displayParameter": [{"title": {"en": "Shown title"}}],
        "issuanceDate": "2026-07-01T23:30:00-02:00",
        "validUntil": "soon",
    }
    shown = credential_summary(credential)
    assert shown.title == Text("Shown title", "en")
    assert shown.learner == Text("Ana Andersen")
    assert shown.issued == "2026-07-01"  # the day in the zone stated
    assert shown.valid_until == "soon"  # no date: shown as stated


def test_nothing_stated():
    shown = credential_summary({})
    assert shown.title is None and shown.learner is None and shown.awarding_bodies == []
    assert shown.issued is None and shown.ects is None and shown.eqf_level is None
