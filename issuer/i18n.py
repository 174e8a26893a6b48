"""The issuer's languages: English and Danish, chosen by ``?lang=`` (remembered in a cookie),
then ``Accept-Language``.

Danish texts are kept as JSON sources, one file per area (``issuer/translations/da/*.json``,
English msgid → Danish); ``python -m issuer.i18n`` extracts the marked strings of the issuer's
code and templates, merges the sources into ``messages.po`` and compiles ``messages.mo``. A test
checks the compiled catalogue is current and that every marked string has a translation.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

from flask import Flask, has_request_context, request
from flask_babel import Babel, get_locale

LANGUAGES = ("en", "da")
ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
SOURCES = TRANSLATIONS / "da"
CATALOGUE = SOURCES / "LC_MESSAGES"


def select_locale() -> str:
    """The page's language: ``?lang=``, the ``lang`` cookie, ``Accept-Language``, English
    (English too outside a request: a command's or a worker's text)."""
    if not has_request_context():
        return "en"
    chosen = request.args.get("lang") or request.cookies.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or "en"


def remember_language(response):  # type: ignore[no-untyped-def]
    """After a ``?lang=`` switch, keep the choice in a cookie for a year."""
    chosen = request.args.get("lang")
    if chosen in LANGUAGES:
        response.set_cookie("lang", chosen, max_age=365 * 86400, samesite="Lax")
    return response


def init_app(app: Flask) -> None:
    """Set up Flask-Babel with the issuer's catalogue and the language switch."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    Babel(app, locale_selector=select_locale)
    app.after_request(remember_language)
    app.jinja_env.globals.setdefault("LANGUAGES", LANGUAGES)
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())


def danish_sources() -> dict[str, str]:
    """Every English → Danish pair of the JSON sources."""
    merged: dict[str, str] = {}
    for path in sorted(SOURCES.glob("*.json")):
        merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def extract() -> list[str]:
    """The msgids marked in the issuer's Python code and its templates."""
    from babel.messages.extract import extract_from_dir

    found: dict[str, None] = {}
    for folder, method in ((ROOT / "issuer", "python"), (ROOT / "templates", "jinja2")):
        mapping = [("**.py", "python")] if method == "python" else [("**.html", "jinja2")]
        for filename, _line, message, _comments, _context in extract_from_dir(
            str(folder),
            method_map=mapping,
            keywords={"_": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)},
        ):
            if folder.name == "templates" and filename.startswith("verifier"):
                continue  # the verifier keeps its own catalogue
            for text in message if isinstance(message, tuple) else (message,):
                if text:
                    found[text] = None
    return list(found)


def build() -> list[str]:
    """Write ``messages.po`` and ``messages.mo``; return the msgids that lack Danish."""
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import write_po

    danish = danish_sources()
    catalog = Catalog(locale="da", project="microcred", fuzzy=False)
    missing = []
    for msgid in sorted(set(extract()) | set(danish)):
        if msgid not in danish:
            missing.append(msgid)
        catalog.add(msgid, danish.get(msgid, ""))
    CATALOGUE.mkdir(parents=True, exist_ok=True)
    with (CATALOGUE / "messages.po").open("wb") as po:
        write_po(po, catalog, width=100, omit_header=True, sort_output=True)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    (CATALOGUE / "messages.mo").write_bytes(buffer.getvalue())
    return missing


if __name__ == "__main__":
    untranslated = build()
    for msgid in untranslated:
        print(f"untranslated: {msgid!r}", file=sys.stderr)
    raise SystemExit(1 if untranslated else 0)
