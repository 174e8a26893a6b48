"""The verifier's routes: a form, a result page, a JSON API and the W3C VC API.

- ``GET /``: paste JSON, upload a file, give a link, or upload a photo of a QR code.
- ``GET /verify?url=…``: what the issuer's QR codes open — fetch the credential, check it.
- ``POST /verify``: the form.
- ``POST /api/verify``: a credential as the JSON body → the JSON report.
- ``POST /credentials/verify``: the W3C VC API shape.
HTML or JSON follows the ``Accept`` header (or ``?format=json``). Every credential-supplied
string is escaped by Jinja's autoescaping; nothing from a credential is rendered as HTML.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, make_response, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from verifier.http import GuardedFetcher
from verifier.inputs import (
    InputError,
    credential_url_from_qr_text,
    decode_qr,
    fetch_credential,
    parse_credential,
)
from verifier.report import Outcome, Report
from verifier.settings import SETTINGS, SettingsError, TrustSettings
from verifier.verify import VerifierOptions, verify_credential
from verifier.wording import (
    CHECK_TITLES,
    CODE_TEXT,
    ELEMENT_STATUS,
    OUTCOME_LABELS,
    VERDICT,
    VERDICT_HELP,
)

bp = Blueprint("verifier", __name__)
# What decides the W3C VC API's answer: the proof, the status and the validity period.
VC_API_DECIDING = ("format", "seal", "revocation", "expiry")


def wants_json() -> bool:
    """True when the client asked for JSON rather than a page."""
    if request.args.get("format") == "json":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def fetcher() -> GuardedFetcher:
    """The app's guarded HTTP client."""
    client: GuardedFetcher = current_app.extensions["microcred.fetcher"]
    return client


def settings() -> TrustSettings:
    """This app's trust settings."""
    found: TrustSettings = current_app.extensions[SETTINGS]
    return found


def options() -> VerifierOptions:
    """Verification options for this app: the guarded fetcher and the trust sources (registry,
    trusted issuers, JAdES trust anchors and CRLs), as configured. Raises ``InputError``
    (503 ``configuration_error``) when a trust file changed into one that cannot be used."""
    trust = settings()
    try:
        trusted = trust.trusted_issuers()
    except SettingsError as error:
        raise InputError("configuration_error", str(error), 503) from None
    return VerifierOptions(
        fetch=fetcher(),
        registry=trust.registry(fetcher()),
        trusted=trusted,
        trust_anchors=trust.trust_anchors,
        crls=trust.crls,
    )


def respond(report: Report, *, source: str | None = None) -> ResponseReturnValue:
    """The report as JSON or as the result page."""
    if wants_json():
        return jsonify(report.to_dict())
    return render_template(
        "verifier/report.html",
        report=report,
        source=source,
        titles=CHECK_TITLES,
        outcomes=OUTCOME_LABELS,
        explanations=CODE_TEXT,
        verdict=report.verdict.value,
        verdict_title=VERDICT[report.verdict],
        verdict_help=VERDICT_HELP[report.verdict],
        element_status=ELEMENT_STATUS,
    )


def input_error(error: InputError) -> ResponseReturnValue:
    """A bad input as JSON or as the form page with the message."""
    if wants_json():
        return jsonify({"error": {"code": error.code, "message": error.message}}), error.status
    return render_template("verifier/index.html", error=error), error.status


@bp.get("/")
def index() -> ResponseReturnValue:
    """The form."""
    response = make_response(
        render_template("verifier/index.html", error=None, sources=settings().describe())
    )
    if request.args.get("lang") in ("en", "da"):
        response.set_cookie("lang", request.args["lang"], max_age=365 * 86400, samesite="Lax")
    return response


@bp.get("/verify")
def verify_link() -> ResponseReturnValue:
    """Fetch the credential at ``?url=`` and check it (the QR code's target)."""
    url = request.args.get("url", "")
    try:
        document = fetch_credential(url, fetcher())
        chosen = options()
    except InputError as error:
        return input_error(error)
    return respond(verify_credential(document, chosen), source=url)


@bp.post("/verify")
def verify_form() -> ResponseReturnValue:
    """Check what the form carries: a file, pasted JSON, a link, or a QR photo."""
    try:
        document, source = _form_document()
        chosen = options()
    except InputError as error:
        return input_error(error)
    return respond(verify_credential(document, chosen), source=source)


def _form_document() -> tuple[dict[str, Any], str | None]:
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        return parse_credential(upload.read()), upload.filename
    photo = request.files.get("qr")
    if photo is not None and photo.filename:
        url = credential_url_from_qr_text(decode_qr(photo.read()))
        return fetch_credential(url, fetcher()), url
    if request.form.get("url", "").strip():
        url = request.form["url"].strip()
        return fetch_credential(url, fetcher()), url
    return parse_credential(request.form.get("credential", "")), None


@bp.post("/api/verify")
def verify_api() -> ResponseReturnValue:
    """The JSON report for the credential in the request body: always 200 with the report,
    whose ``verdict`` says ``verified``, ``unconfirmed`` or ``not_verified``."""
    try:
        document = parse_credential(request.get_data(cache=False))
        chosen = options()
    except InputError as error:
        return jsonify({"error": {"code": error.code, "message": error.message}}), error.status
    return jsonify(verify_credential(document, chosen).to_dict())


@bp.post("/credentials/verify")
def vc_api_verify() -> ResponseReturnValue:
    """W3C VC API: ``{"verifiableCredential": {...}, "options": {...}}``.

    The VC API's own meaning: the proof, the status and the validity period decide — 200 with
    the checks that passed when the seal is genuine and ``format``, ``seal``, ``revocation``
    and ``expiry`` have no error; 400 with the ``errors`` otherwise. What trust could not
    confirm (issuer in no trust source, status unreachable, chain unchecked), and what the
    micro-credential profile found (accreditation, recognition), is reported in ``warnings``;
    the full report with its three-way ``verdict`` is included too, so an ``unconfirmed``
    credential is never presented as plainly verified."""
    try:
        body = parse_credential(request.get_data(cache=False))
        chosen = options()
    except InputError as error:
        return jsonify({"error": {"code": error.code, "message": error.message}}), error.status
    credential = body.get("verifiableCredential")
    if not isinstance(credential, dict):
        message = "verifiableCredential must be a JSON object"
        return jsonify({"error": {"code": "invalid_input", "message": message}}), 400
    report = verify_credential(credential, chosen)
    data = report.to_dict()
    seal = report.result("seal")
    errors = [
        c.to_dict()
        for c in report.checks
        if c.check in VC_API_DECIDING and c.outcome is Outcome.ERROR
    ]
    if not seal.genuine and not errors:
        errors.append(seal.to_dict())
    data.update(
        checks=[c.check for c in report.checks if c.outcome is Outcome.OK],
        warnings=[
            c.to_dict()
            for c in report.checks
            if c.outcome in (Outcome.WARNING, Outcome.UNCHECKED)
            or (c.outcome is Outcome.ERROR and c.check not in VC_API_DECIDING)
        ],
        errors=errors,
        report=data["checks"],
    )
    return jsonify(data), 400 if errors else 200


@bp.get("/healthz")
def health() -> ResponseReturnValue:
    """Liveness: the app answers."""
    return jsonify({"status": "ok"})


def _http_error(error: HTTPException) -> ResponseReturnValue:
    code = (
        "too_large"
        if isinstance(error, RequestEntityTooLarge)
        else ((error.name or "error").lower().replace(" ", "_"))
    )
    status = error.code or 500
    if wants_json() or request.path.startswith(("/api/", "/credentials/")):
        return jsonify({"error": {"code": code, "message": error.description}}), status
    failure = InputError(code, error.description or str(error.name), status)
    return render_template("verifier/index.html", error=failure), status


def init_app(app: Flask) -> None:
    """Register the error pages and the template helpers."""
    app.register_error_handler(HTTPException, _http_error)
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())
