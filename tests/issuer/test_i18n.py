"""The issuer's Danish catalogue: every marked string translated, the compiled file current."""

from __future__ import annotations

from babel.messages.mofile import read_mo

from issuer.i18n import CATALOGUE, danish_sources, extract


def test_every_marked_string_has_danish():
    missing = [msgid for msgid in extract() if msgid not in danish_sources()]
    assert missing == [], "run `python -m issuer.i18n` after adding translations"


def test_the_compiled_catalogue_matches_the_sources():
    with (CATALOGUE / "messages.mo").open("rb") as compiled:
        catalog = read_mo(compiled)
    wanted = {msgid: text for msgid, text in danish_sources().items() if text}
    assert {m.id: m.string for m in catalog if m.id} == wanted


def test_pages_follow_accept_language(client):
    english = client.get("/staff/login").get_data(as_text=True)
    danish = client.get("/staff/login", headers={"Accept-Language": "da"}).get_data(as_text=True)
    assert '<html lang="da">' in danish
    assert '<html lang="en">' in english
    assert "Spring til indhold" in danish
