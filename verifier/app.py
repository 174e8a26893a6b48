"""The verifier's Flask application factory.

A verifier deployed alone needs nothing of the issuer: settings come from the environment.
- ``MICROCRED_FETCH_ALLOW_PRIVATE=1`` lets the guarded client reach private and loopback
  addresses (development only).
- ``MICROCRED_FETCH_REWRITES`` is a JSON object mapping origins to where to fetch them, e.g.
  ``{"https://localhost:5000": "http://127.0.0.1:5000"}`` so that did:web identifiers of a
  local issuer resolve (did:web always means https).
- ``MICROCRED_REGISTRY`` and ``MICROCRED_REGISTRY_AUTHORITY``: the accreditation registry file
  and the DID of the authority whose signature it must carry.
- ``MICROCRED_TRUST_ANCHORS``: a PEM file of the certificates EU (JAdES) seals must chain to.
- ``MICROCRED_SECRET_KEY``: required, and not a known default, unless ``MICROCRED_DEMO=1``
  (``verifier.secret_key``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from flask import Flask, request
from flask_babel import Babel

from verifier import secret_key, views
from verifier.http import FetchPolicy, GuardedFetcher
from verifier.settings import SETTINGS, AppSettings, load_trust_anchors

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("en", "da")
FETCHER = "microcred.fetcher"


def select_locale() -> str | None:
    """The language of the page: ``?lang=`` (the switch, remembered in a cookie), else
    ``Accept-Language``, else English."""
    chosen = request.args.get("lang") or request.cookies.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or "en"


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create the verifier app: settings, the guarded fetcher, languages, the routes."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "templates" / "static"),
        static_url_path="/static",
    )
    app.config.from_mapping(
        SECRET_KEY=os.environ.get(secret_key.SECRET_ENV),
        DEMO=secret_key.demo_from_environment(),
        MAX_CONTENT_LENGTH=12 * 1024 * 1024,  # room for a phone photo of a QR code
        FETCH_ALLOW_PRIVATE=os.environ.get("MICROCRED_FETCH_ALLOW_PRIVATE") == "1",
        FETCH_REWRITES=json.loads(os.environ.get("MICROCRED_FETCH_REWRITES", "{}") or "{}"),
        REGISTRY_PATH=os.environ.get("MICROCRED_REGISTRY"),
        REGISTRY_AUTHORITY=os.environ.get("MICROCRED_REGISTRY_AUTHORITY"),
        TRUST_ANCHORS_PATH=os.environ.get("MICROCRED_TRUST_ANCHORS"),
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).resolve().parent / "translations"),
        BABEL_DEFAULT_LOCALE="en",
    )
    if test_config is not None:
        app.config.update(test_config)
    secret_key.settle_secret_key(app.config)  # refuses a known or missing key outside a demo
    if FETCHER not in app.extensions:
        app.extensions[FETCHER] = app.config.get("FETCHER") or GuardedFetcher(
            FetchPolicy(
                allow_private=app.config["FETCH_ALLOW_PRIVATE"],
                rewrites=app.config["FETCH_REWRITES"],
            )
        )
    app.extensions[SETTINGS] = AppSettings(
        registry_path=app.config["REGISTRY_PATH"],
        registry_authority=app.config["REGISTRY_AUTHORITY"],
        trust_anchors=load_trust_anchors(app.config["TRUST_ANCHORS_PATH"]),
    )
    Babel(app, locale_selector=select_locale)
    app.register_blueprint(views.bp)
    views.init_app(app)
    return app
