"""The issuer's front door: ``/`` says what this service is and links to the staff sign-in,
the API's documentation (``/docs``) and the verifier (``issuer.config.verifier_url``);
``/favicon.ico`` is the icon browsers ask every page for (a 32 px ICO), so no page logs a 404
for it."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, render_template, send_file
from flask.typing import ResponseReturnValue

from issuer import config

bp = Blueprint("home", __name__)

FAVICON = Path(__file__).resolve().parent.parent / "templates" / "static" / "favicon.ico"


@bp.get("/")
def home() -> ResponseReturnValue:
    """What the issuer is, in the reader's language, and where to go from here."""
    return render_template("issuer/home.html", verifier_url=config.verifier_url())


@bp.get("/favicon.ico")
def favicon() -> ResponseReturnValue:
    """The issuer's icon, cached for a day."""
    return send_file(FAVICON, mimetype="image/vnd.microsoft.icon", max_age=86400)
