"""A credential issued with texts in English, Danish and German is shown by the verifier's
result page in the language asked for (``?cl=de``), each text tagged with its language."""

from __future__ import annotations

import json
from html import unescape

from tests.integration.test_stacked_award import IssuerFetcher
from tests.issuer.test_languages import _issued
from verifier.app import create_app


def test_the_verifier_page_shows_the_german_title_when_asked(client, auth, demo):
    issued = _issued(client, auth)
    verifier = create_app(
        {"TESTING": True, "SECRET_KEY": "test", "FETCHER": IssuerFetcher(client)}
    ).test_client()
    credential = json.dumps(issued["document"])

    def page(query: str, language: str = "en") -> str:
        answer = verifier.post(
            f"/verify{query}",
            data={"credential": credential},
            headers={"Accept-Language": language},
        )
        assert answer.status_code == 200
        return unescape(answer.get_data(as_text=True))

    german = page("?cl=de")
    assert "Daten bereinigen" in german and 'lang="de"' in german and "Deutsch" in german
    assert german.index("Winddaten") < german.index("Wind Data")  # the German view first
    danish = page("", language="da")  # the reader's own language first
    assert danish.index("Vinddata") < danish.index("Wind Data")
    english = page("")
    assert english.index("Wind Data") < english.index("Winddaten")  # English view first
