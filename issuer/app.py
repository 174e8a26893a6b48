"""The issuer's Flask application factory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from issuer import config, db, edge, errors, home, i18n, proxies, server_secrets
from issuer.api import (
    audit,
    bulk_jobs,
    corrections,
    credentials,
    learners,
    organisations,
    specifications,
    stacking,
    vc_api,
)
from issuer.api import common as api
from issuer.api import openapi as api_docs
from issuer.auth import staff as staff_auth
from issuer.json_response import OrjsonProvider
from issuer.partnerships import views as did_views
from issuer.sharing import learner_views, record_api, record_views, set_views
from issuer.sharing import views as share_views
from issuer.staff import views as staff_views
from issuer.status import views as status_views


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
    app.config.from_mapping(config.from_environment(app.instance_path))
    if test_config is not None:
        app.config.update(test_config)
    server_secrets.settle_server_secrets(app.config)  # refuses a known or missing secret
    app.json = OrjsonProvider(app)  # jsonify: the same JSON, written by orjson
    db.init_app(app)
    proxies.init_app(app)  # TRUSTED_PROXIES: https behind a TLS-terminating proxy
    edge.init_app(app)
    errors.init_app(app)
    i18n.init_app(app)
    # Machine interfaces: authenticated by bearer tokens or unguessable URLs, JSON only, never
    # cookies; exempt from CSRF as a whole.
    staff_auth.init_app(app, machine_blueprints=MACHINE_BLUEPRINTS)
    register_blueprints(app)
    return app


#: The API's resource modules register their routes on ``api.bp`` when imported.
API_MODULES = (
    audit,
    bulk_jobs,
    corrections,
    credentials,
    learners,
    organisations,
    specifications,
    stacking,
)
# Machine interfaces: authenticated by bearer tokens or unguessable URLs, JSON only, never
# cookies; exempt from CSRF as a whole.
MACHINE_BLUEPRINTS = (
    api.bp,
    vc_api.bp,
    api_docs.bp,
    status_views.bp,
    did_views.bp,
    record_api.bp,
)


def register_blueprints(app: Flask) -> None:
    """Register every blueprint of the issuer on ``app`` (also used to generate the OpenAPI
    document outside a running app)."""
    pages = (
        home.bp,
        share_views.bp,
        set_views.bp,
        learner_views.bp,
        record_views.bp,
        staff_views.bp,
    )
    for blueprint in (*MACHINE_BLUEPRINTS, *pages):
        app.register_blueprint(blueprint)
