"""A specification's texts in several EU languages: accepted (EU languages only) by the one
model, entered in the staff form, carried by every element of the issued credential, and shown
on the learner's pages in the language asked for, with a switch and ``lang`` attributes."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlsplit

import pytest

from demo.partnership import DEMO_SPECIFICATION
from issuer.errors import InvalidInput
from issuer.specifications.rules import validate_specification
from schemas.elm import read
from tests.issuer.test_staff import GOOD_SPECIFICATION, NEW, csrf, post, staff, text  # noqa: F401

BROWSER = {"Accept": "text/html"}
TRILINGUAL = {
    **DEMO_SPECIFICATION,
    "slug": "wind-three-languages",
    "title": {"en": "Wind Data", "da": "Vinddata", "de": "Winddaten"},
    # no German description: a German reader gets the English one
    "description": {"en": "Reading wind data.", "da": "At læse vinddata."},
    "learningOutcomes": [
        {"title": {"en": "Clean data", "da": "Rense data", "de": "Daten bereinigen"}},
        {"title": {"en": "Plot data", "da": "Plotte data", "de": "Daten darstellen"}},
    ],
    "assessmentType": {"en": "Project", "da": "Projekt", "de": "Projektarbeit"},
    "prerequisites": {"en": "Statistics", "da": "Statistik", "de": "Statistik-Grundlagen"},
    "qualityAssurance": {
        **DEMO_SPECIFICATION["qualityAssurance"],
        "title": {"en": "Accredited", "da": "Akkrediteret", "de": "Akkreditiert"},
    },
}


def test_language_maps_take_eu_languages_only():
    valid = validate_specification(TRILINGUAL)
    assert valid["title"] == TRILINGUAL["title"]
    for wrong in ({"en": "Wind", "xx": "?"}, {"EN": "Wind"}, {"en-GB": "Wind"}, {"de": " "}):
        with pytest.raises(InvalidInput) as refused:
            validate_specification({**TRILINGUAL, "title": wrong})
        assert "EU languages" in refused.value.details["fields"]["title"], wrong
    with pytest.raises(InvalidInput) as refused:
        validate_specification(
            {**TRILINGUAL, "learningOutcomes": [{"title": {"en": "A", "klingon": "B"}}]}
        )
    assert "learning outcome 1" in refused.value.details["fields"]["learningOutcomes"]


def _issued(client, auth) -> dict:
    created = client.post("/api/v1/specifications", json=TRILINGUAL, headers=auth("admin"))
    assert created.status_code == 201, created.get_json()
    body = {
        "specification": TRILINGUAL["slug"],
        "learner": {"reference": "lang-1", "givenName": "Ana", "familyName": "Berg"},
    }
    response = client.post("/api/v1/credentials", json=body, headers=auth("issuer"))
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    share = urlsplit(answer["shareUrl"]).path
    stored = client.get(share, headers={"Accept": "application/ld+json"})
    return {
        "share": share,
        "manage": urlsplit(answer["learnerManageUrl"]).path,
        "key": answer["learnerManageUrl"].rsplit("/", 1)[1],
        "document": stored.get_json(),
    }


@pytest.fixture
def issued(client, auth) -> dict:
    return _issued(client, auth)


def test_every_element_of_the_credential_carries_every_language(issued):
    document = issued["document"]
    claim = read.claim(document)
    spec = read.specification(claim)
    proof = read.first(claim["provenBy"])
    three = {"en", "da", "de"}
    texts = {
        "claim title": claim["title"],
        "qualification title": spec["title"],
        "display title": document["displayParameter"]["title"],
        "assessment": proof["title"],
        "assessment specification": proof["specifiedBy"]["title"],
        "prerequisites": spec["entryRequirement"]["noteLiteral"],
        "quality assurance": spec["accreditation"]["title"],
        **{f"outcome {n}": o["title"] for n, o in enumerate(spec["learningOutcome"], 1)},
    }
    for name, value in texts.items():
        assert set(value) == three, name
    assert set(spec["description"]) == {"en", "da"}
    assert spec["learningOutcome"][1]["title"]["de"] == "Daten darstellen"


def _page(client, path: str, **query: str) -> str:
    response = client.get(path, query_string=query, headers=BROWSER)
    assert response.status_code == 200, path
    return unescape(response.get_data(as_text=True))


def test_the_share_page_shows_the_language_asked_for_with_english_where_it_is_missing(
    client, issued
):
    danish = _page(client, issued["share"], lang="da")
    assert '<span lang="da">Vinddata</span>' in danish
    for words in ("At læse vinddata.", "Rense data", "Projekt", "Statistik", "Akkrediteret"):
        assert f'<span lang="da">{words}</span>' in danish, words
    assert '<html lang="da">' in danish  # the page itself is Danish

    german = _page(client, issued["share"], lang="de")
    for words in ("Winddaten", "Daten bereinigen", "Daten darstellen", "Projektarbeit"):
        assert f'<span lang="de">{words}</span>' in german, words
    assert '<span lang="en">Reading wind data.</span>' in german  # no German description
    switch = re.search(r'<nav class="credential-languages".*?</nav>', german, re.S).group(0)
    assert 'href="?lang=de" lang="de" hreflang="de" aria-current="true">Deutsch<' in switch
    assert 'href="?lang=da" lang="da" hreflang="da">Dansk<' in switch
    assert 'href="?lang=en" lang="en" hreflang="en">English<' in switch

    english = _page(client, issued["share"], lang="en")
    assert '<span lang="en">Wind Data</span>' in english and "Winddaten" not in english
    # a language the credential does not carry: the page's language, else English
    assert '<span lang="en">Wind Data</span>' in _page(client, issued["share"], lang="fr")


def test_the_learners_own_pages_switch_too(client, issued):
    manage = _page(client, issued["manage"], lang="de")
    assert '<span lang="de">Winddaten</span>' in manage and "credential-languages" in manage
    record = _page(client, f"/record/{issued['key']}", lang="de")
    assert '<span lang="de">Winddaten</span>' in record
    assert '<span lang="da">Vinddata</span>' in _page(client, f"/record/{issued['key']}", lang="da")


def test_a_credential_in_one_language_offers_no_switch(client, auth):
    english = {**DEMO_SPECIFICATION, "slug": "english-only", "title": "Only English"}
    created = client.post("/api/v1/specifications", json=english, headers=auth("admin"))
    assert created.status_code == 201, created.get_json()
    body = {
        "specification": "english-only",
        "learner": {"reference": "lang-2", "givenName": "Bo", "familyName": "Berg"},
    }
    answer = client.post("/api/v1/credentials", json=body, headers=auth("issuer")).get_json()
    page = _page(client, urlsplit(answer["shareUrl"]).path, lang="de")
    assert "credential-languages" not in page and '<span lang="en">Only English</span>' in page


# --- the staff form ----------------------------------------------------------------------------


def test_the_staff_form_offers_fields_for_the_chosen_languages(staff):  # noqa: F811
    client = staff("admin")
    page = text(client.get(NEW))
    assert 'name="title_da"' in page and 'name="title_de"' not in page  # Danish by default
    chosen = text(client.get(NEW, query_string={"languages": ["de", "fr", "xx", "en"]}))
    for element in ("title", "description", "learning_outcomes", "assessment_type"):
        for tag in ("de", "fr"):
            assert re.search(rf'name="{element}_{tag}"[^>]*lang="{tag}"', chosen, re.S), (
                element,
                tag,
            )
    assert 'name="title_da"' not in chosen and 'name="title_xx"' not in chosen
    assert "Title in German" in chosen and 'value="de" checked' in chosen


def test_the_staff_form_round_trip_in_three_languages(app, staff):  # noqa: F811
    from sqlalchemy import select

    from issuer.db import transaction
    from issuer.models import Specification

    client = staff("admin")
    form = {
        **GOOD_SPECIFICATION,
        "languages": ["da", "de"],
        "title_de": "Wartung von Offshore-Windanlagen",
        "description_da": "At holde havvindmøller kørende.",
        "description_de": "Offshore-Windanlagen sicher betreiben.",
        "learning_outcomes_de": "Einen Wartungsbesuch planen\n\nSicher in der Höhe arbeiten\n",
        "assessment_type_da": "Praktisk prøve",
        "assessment_type_de": "Praktische Prüfung",
        "prerequisites_de": "Ein GWO-Grundsicherheitszertifikat.",
        "qa_title_de": "Institutionelle Akkreditierung",
    }
    wrong = post(client, NEW, {**form, "learning_outcomes_de": "Nur eine Zeile"})
    assert wrong.status_code == 422
    assert 'id="learning_outcomes_de-error"' in text(wrong)
    assert "Nur eine Zeile" in text(wrong)  # what was typed is kept

    response = post(client, NEW, form)
    assert response.status_code == 302, text(response)
    with transaction(app) as session:
        spec = session.scalar(
            select(Specification).where(Specification.slug == "offshore-wind-maintenance")
        )
        assert spec.title == {
            "en": "Offshore Wind Maintenance",
            "da": "Vedligehold af havvindmøller",
            "de": "Wartung von Offshore-Windanlagen",
        }
        assert set(spec.description) == {"en", "da", "de"}
        assert [o["title"] for o in spec.learning_outcomes] == [
            {"en": "Plan a maintenance visit", "de": "Einen Wartungsbesuch planen"},
            {"en": "Work safely at height", "de": "Sicher in der Höhe arbeiten"},
        ]
        assert spec.learning_outcomes[0]["escoSkills"][0]["label"] == "plan maintenance"
        assert spec.assessment_type == {
            "en": "Practical test",
            "da": "Praktisk prøve",
            "de": "Praktische Prüfung",
        }
        assert spec.prerequisites["de"] == "Ein GWO-Grundsicherheitszertifikat."
        assert spec.quality_assurance["title"]["de"] == "Institutionelle Akkreditierung"
