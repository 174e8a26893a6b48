"""The issuer's Flask application factory."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from issuer import (
    api,
    db,
    did_views,
    edge,
    errors,
    i18n,
    learner_views,
    proxies,
    server_secrets,
    share_views,
    staff_auth,
    staff_views,
    status_views,
    vc_api,
)
from issuer.status_credentials import DEFAULT_MAX_AGE

DEFAULT_MAX_UPLOAD = 20 * 1024 * 1024  # a 10,000-row CSV is ~1 MB; refuse far larger uploads


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create the issuer app: settings from the environment (or ``test_config``), the
    database, JSON errors and the blueprints. Nothing is created at import time. Raises
    ``server_secrets.InsecureSettings`` for a missing or known secret outside demo mode."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(Path(__file__).resolve().parent.parent / "templates"),
        static_folder=str(Path(__file__).resolve().parent.parent / "templates" / "static"),
        static_url_path="/static",
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(
        SECRET_KEY=os.environ.get(server_secrets.SECRET_ENV),
        DEMO=server_secrets.demo_from_environment(),
        DATABASE_URL=os.environ.get(
            "DATABASE_URL", f"sqlite:///{Path(app.instance_path) / 'issuer.sqlite3'}"
        ),
        # The public base URL of this issuer (share links, status lists, did:web).
        ISSUER_BASE_URL=os.environ.get("MICROCRED_ISSUER_URL", "http://localhost:5000"),
        # The verifier whose URL the QR codes encode.
        VERIFIER_BASE_URL=os.environ.get("MICROCRED_VERIFIER_URL", "http://localhost:5001"),
        KEY_PASSPHRASE=os.environ.get("MICROCRED_KEY_PASSPHRASE"),
        MAX_CONTENT_LENGTH=DEFAULT_MAX_UPLOAD,
        BULK_WORKER=os.environ.get("MICROCRED_BULK_WORKER", "thread"),
        # Seconds verifiers may cache a status list: how soon they see a revocation.
        STATUS_LIST_MAX_AGE=int(
            os.environ.get("MICROCRED_STATUS_LIST_MAX_AGE") or DEFAULT_MAX_AGE
        ),
    )
    if test_config is not None:
        app.config.update(test_config)
    server_secrets.settle_server_secrets(app.config)  # refuses a known or missing secret
    db.init_app(app)
    proxies.init_app(app)  # TRUSTED_PROXIES: https behind a TLS-terminating proxy
    edge.init_app(app)
    errors.init_app(app)
    i18n.init_app(app)
    staff_auth.init_app(app)
    for module in (api, vc_api, status_views, did_views, share_views, learner_views, staff_views):
        app.register_blueprint(module.bp)
    return app
