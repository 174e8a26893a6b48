"""A stacked award issued and verified with its parts (issue 16, part 2): three micro-credentials
issued by the issuer, the "Certificate in Green Data" claimed through the issuer's API, and the
verifier verifying the award and each part, its report listing the parts the award states (JSON
and page, English and Danish). The verifier reaches the issuer only through its fetch function,
as it would over HTTP."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest

from tests.integration.test_end_to_end import BASE_URL, IssuerOverHttp, demo_accreditation
from tests.issuer.issuing import ANA
from tests.issuer.stacking import AWARD, PARTS, TITLES, add_stack, issue_part
from verifier.app import create_app
from verifier.fetch.client import Fetched, FetchError
from verifier.trust import trusted_issuers_document
from verifier.verify import VerifierOptions, verify_credential


class IssuerFetcher:
    """The verifier app's fetcher, answering from the issuer app."""

    def __init__(self, client) -> None:
        self.client = client

    def fetch(self, url: str, *, accept: str = "application/json") -> Fetched:
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != BASE_URL:
            raise FetchError("fetch_failed", f"{url} is not the issuer")
        answer = self.client.get(parts.path, headers={"Accept": "application/ld+json"})
        if answer.status_code != 200:
            raise FetchError("fetch_bad_status", f"{url} answered {answer.status_code}")
        return Fetched(url, 200, answer.data, {})

    def __call__(self, url: str) -> bytes:
        return self.fetch(url).content


@pytest.fixture
def stacked(app, demo, client, auth):
    """(the award's document, the parts' documents by id) — the award claimed through the API."""
    add_stack(app, demo)
    documents = {}
    for slug in PARTS[:3]:
        _, uri, text, _ = issue_part(app, demo, slug)
        documents[uri] = json.loads(text)
    answer = client.post(
        "/api/v1/stacks/certificate-green-data/claims",
        json={"learner": ANA.reference},
        headers=auth("issuer"),
    )
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["parts"] == list(documents)
    return answer.get_json()["document"], documents


def _verify(client, document):
    return verify_credential(
        document,
        VerifierOptions(
            fetch=IssuerOverHttp(client),
            now=datetime.now(UTC),
            registry=demo_accreditation(document),
        ),
    )


def test_the_award_and_each_part_verify(client, stacked):
    award, parts = stacked
    report = _verify(client, award)
    assert report.verdict.value == "verified", report.to_dict()["checks"]
    summary = report.to_dict()["summary"]
    assert summary["title"] == "Certificate in Green Data"
    assert summary["ects"] == "15"
    expected_titles = ["Green Data Analytics"] + [TITLES[s]["en"] for s in PARTS[1:3]]
    assert [(p["credential"], p["title"], p["ects"]) for p in summary["parts"]] == [
        (uri, title, "5") for uri, title in zip(parts, expected_titles, strict=True)
    ]
    for part in summary["parts"]:
        document = parts[part["credential"]]
        assert part["id"] == document["credentialSubject"]["hasClaim"]["id"]
        part_report = _verify(client, document)
        assert part_report.verdict.value == "verified"
        assert "parts" not in part_report.to_dict()["summary"]


def test_a_revoked_part_leaves_the_award_verified_but_its_own_check_fails(client, auth, stacked):
    """The award states its parts as of its issuing; a part revoked later fails on its own."""
    award, parts = stacked
    revoked = next(iter(parts))
    answer = client.post(
        f"/api/v1/credentials/{revoked.removeprefix('urn:uuid:')}/revoke",
        json={"reason": "test"},
        headers=auth("issuer"),
    )
    assert answer.status_code == 200, answer.get_json()
    assert _verify(client, award).verdict.value == "verified"
    assert _verify(client, parts[revoked]).verdict.value == "not_verified"


@pytest.mark.parametrize(
    ("language", "heading", "note"),
    [
        ("en", "Stacked from", "they were not verified here"),
        ("da", "Sammensat af", "er ikke verificeret her"),
    ],
)
def test_the_report_page_lists_the_parts(client, demo, stacked, tmp_path, language, heading, note):
    award, parts = stacked
    trusted = tmp_path / "trusted.json"
    trusted.write_text(
        json.dumps(
            trusted_issuers_document(
                [(o.did, o.legal_name) for o in demo.organisations], name="Demo partnership"
            )
        )
    )
    verifier = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "FETCHER": IssuerFetcher(client),
            "TRUSTED_ISSUERS_PATH": str(trusted),
        }
    ).test_client()
    page = verifier.post(
        "/verify",
        data={"credential": json.dumps(award)},
        headers={"Accept-Language": language},
    )
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-verdict="verified"' in html
    assert heading in html and note in html
    for uri in parts:
        assert f'data-part="{uri}"' in html
    assert "Sustainable Data Storage" in html
    assert AWARD not in html  # the page shows titles, not our slugs
