"""The verifier's routes: a form, a result page, a JSON API and the W3C VC API.

- ``GET /``: paste JSON, upload a file, give a link, or upload a photo of a QR code.
- ``GET /verify?url=…``: what the issuer's QR codes open — fetch the credential, check it; a
  presentation (a learner's set link) is checked credential by credential, with the configured
  recognition rule ``&rule=<id>`` evaluated on the set when asked (``verifier.sets``).
- ``POST /verify``: the form.
- ``POST /api/verify``: a credential as the JSON body → the JSON report.
- ``POST /credentials/verify``: the W3C VC API shape.
- ``POST /presentations/verify``: a presentation, the W3C VC API shape (``verifier.presentation``).
- ``GET /healthz``: liveness; ``GET /openapi.json``: the JSON routes' OpenAPI document
  (``verifier.api``).
HTML or JSON follows the ``Accept`` header (or ``?format=json``). Every credential-supplied
string is escaped by Jinja's autoescaping; nothing from a credential is rendered as HTML.

Input is bounded at the edge (``verifier.limits``): a JSON body is read up to the document
limit and no further, whatever its transfer encoding (``too_large``, 413, for a chunked body
too), then parsed by the one bounded reader; links and pasted text holding a NUL or a lone
surrogate are ``invalid_input``.
"""

from __future__ import annotations

from typing import Any, TypeVar

from flask import (
    Blueprint,
    Flask,
    current_app,
    jsonify,
    make_response,
    render_template,
    request,
    send_from_directory,
)
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from verifier import api, vc_api
from verifier.inputs import (
    InputError,
    check_text,
    credential_url_from_qr_text,
    decode_qr,
    fetch_bytes,
    parse_credential,
    read_credential,
)
from verifier.limits import Busy
from verifier.pdf_input import MAX_PDF_BYTES, PdfSeal
from verifier.presentation import PresentationResult, verify_presentation
from verifier.recognition.rules import RuleError, load_rules_directory
from verifier.recognition.wording import DECISIONS, STATUSES
from verifier.record import is_own_record
from verifier.record_pdf import record_pdf
from verifier.report import Report
from verifier.result_page import operator, page_context
from verifier.sets import RULES_SETTING, SetResult, is_presentation, verify_set
from verifier.upload import read_from_bytes, require_credential
from verifier.web import (
    HEAVY_LANE,
    checked,
    fetcher,
    options,
    record_key,
    request_body,
    settings,
    wants_json,
)
from verifier.wording import INPUT_PROBLEM_DEFAULT, INPUT_PROBLEMS, VERDICT

bp = Blueprint("verifier", __name__)


def json_error(error: InputError) -> ResponseReturnValue:
    """``{"error": {"code", "message"}}`` with the error's status."""
    return jsonify({"error": {"code": error.code, "message": error.message}}), error.status


def respond(
    report: Report,
    *,
    source: str | None = None,
    document: Any = None,
    received: bytes = b"",
    pdf_seal: PdfSeal | None = None,
) -> ResponseReturnValue:
    """The report as JSON (with ``pdf``, the PDF's seal, when a certificate PDF was given) or
    as the result page (``verifier.result_page``)."""
    if wants_json():
        data = report.to_dict()
        if pdf_seal is not None:
            data["pdf"] = pdf_seal.to_dict()
        return jsonify(data)
    context = page_context(
        report, source=source, document=document, received=received, pdf_seal=pdf_seal
    )
    return render_template("verifier/report.html", **context)


def input_error(error: InputError) -> ResponseReturnValue:
    """A bad input as JSON, or as the form page headed by what went wrong and what to do."""
    if wants_json():
        return json_error(error)
    return _form_page(error), error.status


def _form_page(error: InputError | None = None) -> str:
    problem = INPUT_PROBLEMS.get(error.code, INPUT_PROBLEM_DEFAULT) if error else None
    return render_template(
        "verifier/index.html",
        error=error,
        problem=problem,
        sources=settings().describe(),
        operator=operator(),
    )


@bp.get("/")
def index() -> ResponseReturnValue:
    """The form."""
    response = make_response(_form_page())
    if request.args.get("lang") in ("en", "da"):
        response.set_cookie("lang", request.args["lang"], max_age=365 * 86400, samesite="Lax")
    return response


@bp.get("/verify")
@api.spec.validate(
    query=api.UrlQuery,
    headers=api.AcceptJson,
    resp=api.LINK_RESPONSES,
    skip_validation=True,
    tags=["verify"],
)
def verify_link() -> ResponseReturnValue:
    """Fetch the credential at ``?url=`` and check it (the QR code's target).

    The JSON report with ``Accept: application/json`` (or ``?format=json``), else the result
    page. 400 for a missing or unusable link; 410 when the link was withdrawn (the issuer's
    share link answered 410 Gone), 404 when it finds nothing; 502 when its host cannot be
    reached or answers with another error, 504 when it does not answer in time; 415, 422 for
    what is not a credential (on the page: ``{"hello": "world"}`` too); a certificate PDF's
    embedded credential is checked (``verifier.pdf_input``)."""
    try:
        url = check_text(request.args.get("url", ""), "link")
        received = fetch_bytes(url, fetcher())
        document, pdf_seal, bounds = read_from_bytes(received, settings().trust_anchors)
        if is_presentation(document):
            return _set_answer(_checked_set(document), source=url)
        if not wants_json():
            require_credential(document)
        # its size for the heavy lane: the length of the JSON text it was read from
        report = checked(document, options(), bounds.chars, bounds)
    except InputError as error:
        return input_error(error)
    return respond(report, source=url, document=document, received=received, pdf_seal=pdf_seal)


def _checked_set(document: dict[str, Any]) -> SetResult:
    """Every credential of the presentation checked with this app's options; the configured
    rule ``?rule=`` evaluated on them when asked (``InputError`` for a rule it cannot use)."""
    chosen = options()
    rule_id = check_text(request.args.get("rule", ""), "rule", 200).strip()
    rule = None
    if rule_id:
        try:
            rule = load_rules_directory(current_app.config.get(RULES_SETTING)).find(rule_id)
        except RuleError as error:
            raise InputError(error.code, error.message) from None
    return verify_set(document, lambda credential: checked(credential, chosen), rule=rule)


def _set_answer(result: SetResult, *, source: str) -> ResponseReturnValue:
    """The set's answer as JSON or as the set's result page."""
    if wants_json():
        return jsonify(result.to_dict())
    book = load_rules_directory(current_app.config.get(RULES_SETTING))
    return render_template(
        "verifier/set_report.html",
        result=result,
        source=source,
        verdict=result.verdict.value,
        verdict_title=VERDICT[result.verdict],
        verdicts={verdict.value: words for verdict, words in VERDICT.items()},
        rules=sorted(book.rules.values(), key=lambda rule: rule.title()),
        chosen_rule=request.args.get("rule", ""),
        decisions=DECISIONS,
        statuses=STATUSES,
        language=(str(get_locale()), "en"),
    )


@bp.post("/verify")
def verify_form() -> ResponseReturnValue:
    """Check what the form carries: a file (credential JSON or certificate PDF), pasted JSON,
    a link, or a QR photo. Uploaded files are read in memory and never stored."""
    try:
        received, source = _form_input()
        document, pdf_seal, bounds = read_from_bytes(received, settings().trust_anchors)
        require_credential(document)
        report = checked(document, options(), request.content_length or 0, bounds)
    except InputError as error:
        return input_error(error)
    return respond(report, source=source, document=document, received=received, pdf_seal=pdf_seal)


def _form_input() -> tuple[bytes, str | None]:
    """The bytes to check and where they came from (a file name or a link)."""
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        name = check_text(upload.filename, "file name")
        return upload.stream.read(MAX_PDF_BYTES + 1), name
    photo = request.files.get("qr")
    if photo is not None and photo.filename:
        url = credential_url_from_qr_text(decode_qr(photo.read()))
        return fetch_bytes(url, fetcher()), url
    if request.form.get("url", "").strip():
        url = check_text(request.form["url"], "link").strip()
        return fetch_bytes(url, fetcher()), url
    pasted = check_text(request.form.get("credential", ""), "credential")
    return pasted.encode("utf-8", "surrogatepass"), None


@bp.post("/record.pdf")
def record_pdf_download() -> ResponseReturnValue:
    """The verification record (the signed JSON the result page offers, posted back) as a PDF
    that embeds it; 400 ``not_our_record`` unless this verifier signed it."""
    key = record_key()
    try:
        record = parse_credential(check_text(request.form.get("record", ""), "record"))
    except InputError as error:
        return input_error(error)
    if key is None or not is_own_record(record, key):
        failure = InputError("not_our_record", "This is not a record this verifier signed.")
        return input_error(failure)
    response = make_response(record_pdf(record))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = 'attachment; filename="verification-record.pdf"'
    return response


@bp.post("/api/verify")
@api.spec.validate(
    json=api.Credential, resp=api.REPORT_RESPONSES, skip_validation=True, tags=["verify"]
)
def verify_api() -> ResponseReturnValue:
    """The JSON report for the credential in the request body.

    200 with the report, whose ``verdict`` says ``verified``, ``unconfirmed`` or
    ``not_verified``; 400 or 413 (``too_large``, ``too_many_nodes``) for a body that is not a
    usable JSON object; 503 when the verifier's trust settings cannot be used."""
    try:
        body = request_body()
        document, bounds = read_credential(body)
        report = checked(document, options(), len(body), bounds)
    except InputError as error:
        return json_error(error)
    return jsonify(report.to_dict())


@bp.post("/credentials/verify")
@api.spec.validate(
    json=api.VcApiRequest, resp=api.VC_API_RESPONSES, skip_validation=True, tags=["vc-api"]
)
def vc_api_verify() -> ResponseReturnValue:
    """W3C VC API: ``{"verifiableCredential": {...}, "options": {"checks": [...]}}``.

    The VC API's own meaning (``verifier.vc_api``): the generic checks asked for (``proof``,
    ``credentialStatus``, ``expiration``; all three by default) decide — 200 with
    ``"verified": true`` when none failed, 400 with the ``errors`` otherwise. What trust could
    not confirm (issuer in no trust source, status unreachable, chain unchecked), and what the
    micro-credential profile found (accreditation, recognition: only for a micro-credential),
    is reported in ``warnings``; the full report with its three-way ``verdict`` is included
    too, so an ``unconfirmed`` credential is never presented as plainly trusted."""
    try:
        raw = request_body()
        document, bounds = read_credential(raw)
        body = _vc_api_request(document)
        deciding = vc_api.requested_checks(body.options)
        credential = body.verifiableCredential
        report = checked(credential, options(), len(raw), bounds)  # the body's text holds it
    except InputError as error:
        return json_error(error)
    data, status = vc_api.answer(report, credential, deciding)
    return jsonify(data), status


@bp.post("/presentations/verify")
@api.spec.validate(
    json=api.VpApiRequest, resp=api.VP_API_RESPONSES, skip_validation=True, tags=["vc-api"]
)
def vp_api_verify() -> ResponseReturnValue:
    """W3C VC API: ``{"verifiablePresentation": {...}, "options": {"challenge", "domain"}}``.

    200 when the presentation's own proof (``authentication``, by a key of its holder, with the
    options' challenge and domain) verifies and every credential in it verifies as
    ``POST /credentials/verify`` decides — with ``owner`` deciding too: a micro-credential
    presented by someone who is not its subject is an error (``holder_not_subject``; for any
    other credential a warning, as the W3C data model allows). 400 with the
    ``errors`` otherwise; 400/413 for input that cannot be used."""
    try:
        raw = request_body()
        body = _vc_api_body(parse_credential(raw), api.VpApiRequest, "verifiablePresentation")
        given = body.options or api.PresentationOptions()
        chosen = options()
        with HEAVY_LANE.turn(body.verifiablePresentation, len(raw)):
            result = verify_presentation(
                body.verifiablePresentation,
                chosen,
                challenge=given.challenge,
                domain=given.domain,
            )
    except Busy as error:
        return json_error(InputError(error.code, error.message, error.status))
    except InputError as error:
        return json_error(error)
    return _vp_answer(result, given, body.verifiablePresentation)


def _vp_answer(
    result: PresentationResult, given: api.PresentationOptions, presentation: dict[str, Any]
) -> ResponseReturnValue:
    proof = result.proof
    embedded = presentation.get("verifiableCredential")
    credentials = embedded if isinstance(embedded, list) else [embedded]
    deciding = ("format", *vc_api.GENERIC, "owner")
    answers = [
        vc_api.answer(report, credential if isinstance(credential, dict) else {}, deciding)[0]
        for report, credential in zip(result.credentials, credentials, strict=False)
    ]
    errors: list[dict[str, Any]] = []
    if not proof.verified:
        errors.append({"check": "presentation", "code": proof.code, "message": proof.message})
    for index, answer in enumerate(answers):
        errors.extend({**e, "credential": index} for e in answer["errors"])
    checks = ["proof"] if proof.verified else []
    if proof.verified:
        checks += [name for name in ("challenge", "domain") if getattr(given, name) is not None]
    data = {
        "verified": not errors,
        "checks": checks,
        "warnings": [],
        "errors": errors,
        "presentationResult": proof.to_dict(),
        "credentialResults": answers,
    }
    return jsonify(data), 400 if errors else 200


_Body = TypeVar("_Body", bound=BaseModel)


def _vc_api_request(body: dict[str, Any]) -> api.VcApiRequest:
    """The VC API body validated by its model; ``InputError`` (``invalid_input``) otherwise."""
    return _vc_api_body(body, api.VcApiRequest, "verifiableCredential")


def _vc_api_body(body: dict[str, Any], model: type[_Body], document: str) -> _Body:
    """``body`` validated by ``model``, whose member ``document`` is the JSON object to verify;
    ``InputError`` (``invalid_input``) otherwise."""
    try:
        return model.model_validate(body)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the body"
        if where == document:
            message = f"{document} must be a JSON object"
        else:
            message = f"{where}: {first['msg']}"
        raise InputError("invalid_input", message) from None


@bp.get("/favicon.ico")
def favicon() -> ResponseReturnValue:
    """The verifier's icon (the same as the issuer's), cached for a day, so no page logs a 404
    for it."""
    return send_from_directory(
        current_app.static_folder or "", "favicon.ico", mimetype="image/vnd.microsoft.icon",
        max_age=86400,
    )  # fmt: skip


@bp.get("/healthz")
@api.spec.validate(
    resp=api.HEALTH_RESPONSES,
    skip_validation=True,
    tags=["health"],
    validation_error_status=200,  # nothing to validate: no error answer to document
)
def health() -> ResponseReturnValue:
    """Liveness: the app answers ``{"status": "ok"}``."""
    return jsonify({"status": "ok"})


def _http_error(error: HTTPException) -> ResponseReturnValue:
    code = (
        "too_large"
        if isinstance(error, RequestEntityTooLarge)
        else ((error.name or "error").lower().replace(" ", "_"))
    )
    status = error.code or 500
    if wants_json() or request.path.startswith(("/api/", "/credentials/", "/presentations/")):
        return jsonify({"error": {"code": code, "message": error.description}}), status
    failure = InputError(code, error.description or str(error.name), status)
    return _form_page(failure), status


def init_app(app: Flask) -> None:
    """Register the error pages and the template helpers."""
    app.register_error_handler(HTTPException, _http_error)
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())
    api.init_app(app)
