"""The verifier's Flask application factory.

A verifier deployed alone needs nothing of the issuer: settings come from the environment,
the same variables ``microcred verify`` reads (listed in ``verifier.settings``: trust sources,
trust anchors, the guarded client's development options, ``MICROCRED_FETCH_DEADLINE``,
``MICROCRED_STATUS_MAX_AGE``, the cache every worker shares: ``MICROCRED_CACHE_URL`` for Redis,
else ``MICROCRED_CACHE_DIR``, default ``instance/verifier-cache`` under the project, and
``MICROCRED_VERIFY_BUDGET``, the seconds one verification may take, see ``verifier.limits``). A
trust file that is configured but cannot be used stops the app at start-up.
``MICROCRED_SECRET_KEY`` is required, and not a known default, unless ``MICROCRED_DEMO=1``
(``keys.server_secret``). ``MICROCRED_VERIFIER_KEY`` signs verification records (the demo key
in demo mode; refused outside it), ``MICROCRED_VERIFIER_OPERATOR`` and
``MICROCRED_VERIFIER_CONTACT`` say who runs the service (``verifier.record``). JSON answers are
written by orjson (``verifier.json_response``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from flask import Flask, Request, Response, request
from flask.sessions import SessionInterface, SessionMixin
from flask_babel import Babel

from keys import server_secret
from verifier import views
from verifier.cpu_turn import shared
from verifier.fetch.cache import open_cache
from verifier.fetch.client import FetchPolicy, GuardedFetcher
from verifier.inputs import MAX_IMAGE_BYTES
from verifier.json_response import OrjsonProvider
from verifier.limits import HEAVY_BYTES
from verifier.recognition import views as recognition
from verifier.record import OPERATOR_CONTACT_ENV, OPERATOR_ENV, VERIFIER_KEY_ENV, signing_key_from
from verifier.settings import (
    ENVIRONMENT,
    SETTINGS,
    TrustSettings,
    fetch_policy_from,
    verify_budget_from,
)
from verifier.web import RECORD_KEY, is_chunked

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("en", "da")
FETCHER = "microcred.fetcher"
DEFAULT_CACHE_DIR = ROOT / "instance" / "verifier-cache"


def select_locale() -> str | None:
    """The language of the page: ``?lang=`` (the switch, remembered in a cookie), else
    ``Accept-Language``, else English."""
    chosen = request.args.get("lang") or request.cookies.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or "en"


class LargeBodiesShared:
    """WSGI middleware: a request whose body is larger than ``HEAVY_BYTES`` or of unknown
    length (chunked) runs inside ``verifier.cpu_turn.shared()``: reading, parsing or refusing
    it is long work, which takes one share of the CPU beside the ordinary requests instead of
    making every request queued behind it wait (a no-op outside gunicorn's TurnWorker)."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        """The app's answer, given in shared time for a large or unknown-length body."""
        length = environ.get("CONTENT_LENGTH") or ""
        if not is_chunked(environ) and (not length.isdigit() or int(length) <= HEAVY_BYTES):
            return self.app(environ, start_response)
        with shared():
            return self.app(environ, start_response)


class NoSessions(SessionInterface):
    """The verifier keeps nothing between requests: no session cookie is read or written, and
    a view that tried to store something in ``flask.session`` would fail loudly (Flask's null
    session). Flask's default would build a signing serializer on every request for a session
    nothing uses."""

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        """Flask's null session, whatever the request carries."""
        return self.make_null_session(app)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Nothing: there is no session to save."""


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create the verifier app: settings, the guarded fetcher, languages, the routes."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "templates" / "static"),
        static_url_path="/static",
    )
    policy = fetch_policy_from(os.environ)
    app.config.from_mapping(
        SECRET_KEY=os.environ.get(server_secret.SECRET_ENV),
        DEMO=server_secret.demo_from_environment(),
        MAX_CONTENT_LENGTH=MAX_IMAGE_BYTES + 64 * 1024,  # a phone photo of a QR code, and a form
        VERIFY_BUDGET=verify_budget_from(os.environ),
        FETCH_ALLOW_PRIVATE=policy.allow_private,
        FETCH_REWRITES=dict(policy.rewrites),
        STATUS_MAX_AGE=policy.max_cache_seconds,
        FETCH_DEADLINE=policy.deadline,
        CACHE_URL=os.environ.get("MICROCRED_CACHE_URL"),
        CACHE_DIR=os.environ.get("MICROCRED_CACHE_DIR") or str(DEFAULT_CACHE_DIR),
        **{key.upper(): os.environ.get(variable) for key, variable in ENVIRONMENT.items()},
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).resolve().parent / "translations"),
        BABEL_DEFAULT_LOCALE="en",
        VERIFIER_KEY=os.environ.get(VERIFIER_KEY_ENV),
        VERIFIER_OPERATOR=os.environ.get(OPERATOR_ENV),
        VERIFIER_CONTACT=os.environ.get(OPERATOR_CONTACT_ENV),
    )
    if test_config is not None:
        app.config.update(test_config)
    app.json = OrjsonProvider(app)  # jsonify: the same JSON, written by orjson
    app.session_interface = NoSessions()
    app.wsgi_app = LargeBodiesShared(app.wsgi_app)  # type: ignore[method-assign]
    server_secret.settle_secret_key(app.config)  # refuses a known or missing key outside a demo
    app.extensions[RECORD_KEY] = signing_key_from(
        app.config["VERIFIER_KEY"], demo=server_secret.flag(app.config["DEMO"])
    )
    if FETCHER not in app.extensions:
        app.extensions[FETCHER] = app.config.get("FETCHER") or GuardedFetcher(
            FetchPolicy(
                allow_private=app.config["FETCH_ALLOW_PRIVATE"],
                rewrites=app.config["FETCH_REWRITES"],
                max_cache_seconds=float(app.config["STATUS_MAX_AGE"]),
                deadline=float(app.config["FETCH_DEADLINE"]),
            ),
            cache=open_cache(url=app.config["CACHE_URL"], directory=app.config["CACHE_DIR"]),
        )
    app.extensions[SETTINGS] = TrustSettings.load(
        {}, **{key: app.config.get(key.upper()) for key in ENVIRONMENT}
    )
    Babel(app, locale_selector=select_locale)
    app.register_blueprint(views.bp)
    views.init_app(app)
    recognition.init_app(app)
    return app
