"""The recognition routes of the verifier:

- ``GET /recognise``: the page — upload credentials, choose a configured rule or upload one;
- ``POST /recognise``: the decision, criterion by criterion (English and Danish); with
  ``download=json`` or ``download=pdf`` the same decision as a file to keep;
- ``POST /api/recognise``: ``{"credentials": [...], "rule": {...} | "ruleId": "..."}`` → the
  decision as JSON (``?format=pdf``: as PDF). Errors are
  ``{"error": {"code", "message", "details"}}``.

Every credential is verified with the app's trust settings (:func:`verifier.web.options`)
before the rule reads it; the decision is made again for every download, never taken from the
browser. Rules come from the directory ``MICROCRED_RECOGNITION_RULES`` or from the request.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from pydantic import ValidationError

from verifier import api as verifier_api
from verifier.inputs import MAX_DOCUMENT_BYTES, InputError, parse_credential
from verifier.recognition.api import MAX_CREDENTIALS, RECOGNISE_RESPONSES, RecogniseRequest
from verifier.recognition.evaluate import Candidate, Decision, evaluate
from verifier.recognition.pdf import decision_pdf
from verifier.recognition.rules import (
    RULES_ENV,
    Rule,
    RuleBook,
    RuleError,
    load_rules_directory,
    parse_rule,
)
from verifier.recognition.wording import CRITERIA, DECISIONS, STATUSES
from verifier.web import checked, options, request_body, wants_json

bp = Blueprint("recognition", __name__)
RULES_DIRECTORY = "RECOGNITION_RULES"


class RecognitionInputError(Exception):
    """Input the recognition routes cannot use: a stable code, a message, details, a status."""

    def __init__(
        self, code: str, message: str, details: dict[str, Any] | None = None, status: int = 400
    ) -> None:
        super().__init__(message)
        self.code, self.message, self.details, self.status = code, message, details or {}, status

    @classmethod
    def of(cls, error: InputError | RuleError, **details: Any) -> RecognitionInputError:
        """The same refusal, from a verifier input error or a rule error."""
        if isinstance(error, RuleError):
            return cls(error.code, error.message, error.details)
        return cls(error.code, error.message, details, error.status)


def rule_book() -> RuleBook:
    """The configured rules (read again on each use: a changed file is picked up)."""
    return load_rules_directory(current_app.config.get(RULES_DIRECTORY))


def _evaluate(documents: list[tuple[str, dict[str, Any], int]], rule: Rule) -> Decision:
    chosen = options()
    candidates = [
        Candidate(name, document, checked(document, chosen, size))
        for name, document, size in documents
    ]
    return evaluate(rule, candidates)


def _languages() -> tuple[str, ...]:
    return (str(get_locale()), "en")


def _download(decision: Decision, kind: str) -> Response:
    code = str(decision.rule.document["recognisedAs"].get("code") or "decision")
    stem = "recognition-" + re.sub(r"[^A-Za-z0-9._-]", "_", code)
    if kind == "pdf":
        body, mimetype, name = (
            decision_pdf(decision, _languages()),
            "application/pdf",
            stem + ".pdf",
        )
    else:
        text = json.dumps(decision.to_dict(), indent=2, ensure_ascii=False) + "\n"
        body, mimetype, name = text.encode(), "application/json", stem + ".json"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _error_json(error: RecognitionInputError) -> ResponseReturnValue:
    body = {"error": {"code": error.code, "message": error.message, "details": error.details}}
    return jsonify(body), error.status


# --- the JSON API ------------------------------------------------------------------------------


@bp.post("/api/recognise")
@verifier_api.spec.validate(
    json=RecogniseRequest, resp=RECOGNISE_RESPONSES, skip_validation=True, tags=["recognition"]
)
def recognise_api() -> ResponseReturnValue:
    """Evaluate a recognition rule on the credentials in the body.

    200 with the decision (``recognised``, ``partly_recognised`` or ``not_recognised``,
    criterion by criterion, with the credentials it rests on); ``?format=pdf`` gives it as a
    PDF. 400 for a body, credential or rule that cannot be used (``details.path`` names the
    rule's fault), 413 for a body over the limit, 503 when the trust settings cannot be used."""
    try:
        raw = request_body(MAX_DOCUMENT_BYTES)
        body = _request(parse_credential(raw))
        rule = _rule_of(body)
        documents = [(f"credentials[{n}]", d, 0) for n, d in enumerate(body.credentials)]
        decision = _evaluate(documents, rule)
    except InputError as error:
        return _error_json(RecognitionInputError.of(error))
    except (RuleError, RecognitionInputError) as error:
        return _error_json(
            error if isinstance(error, RecognitionInputError) else RecognitionInputError.of(error)
        )
    if request.args.get("format") == "pdf":
        return _download(decision, "pdf")
    return jsonify(decision.to_dict())


def _request(body: dict[str, Any]) -> RecogniseRequest:
    try:
        found = RecogniseRequest.model_validate(body)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the body"
        raise RecognitionInputError(
            "invalid_input", f"{where}: {first['msg']}", {"path": where}
        ) from None
    if (found.rule is None) == (found.ruleId is None):
        raise RecognitionInputError("invalid_input", "give either rule or ruleId", {"path": "rule"})
    return found


def _rule_of(body: RecogniseRequest) -> Rule:
    if body.rule is not None:
        return parse_rule(body.rule, "rule")
    return rule_book().find(str(body.ruleId))


# --- the page ----------------------------------------------------------------------------------


def _page(**context: Any) -> str:
    book = rule_book()
    return render_template(
        "verifier/recognition.html",
        rules=sorted(book.rules.values(), key=lambda r: r.title()),
        languages=_languages(),
        decisions=DECISIONS,
        statuses=STATUSES,
        criteria_names=CRITERIA,
        max_credentials=MAX_CREDENTIALS,
        **context,
    )


@bp.get("/recognise")
def recognise_page() -> ResponseReturnValue:
    """The form: credentials to upload, a rule to choose or upload."""
    return _page(decision=None, error=None)


@bp.post("/recognise")
def recognise_form() -> ResponseReturnValue:
    """The decision as a page; with ``download=json`` or ``download=pdf``, as a file."""
    try:
        rule, rule_text = _form_rule()
        documents = _form_documents()
        decision = _evaluate(documents, rule)
    except InputError as error:
        return _form_error(RecognitionInputError.of(error))
    except RuleError as error:
        return _form_error(RecognitionInputError.of(error))
    except RecognitionInputError as error:
        return _form_error(error)
    kind = request.form.get("download")
    if kind in ("json", "pdf"):
        return _download(decision, kind)
    kept = [json.dumps(document, ensure_ascii=False) for _, document, _ in documents]
    return _page(decision=decision, error=None, rule_text=rule_text, kept=kept)


def _form_error(error: RecognitionInputError) -> ResponseReturnValue:
    if wants_json():
        return _error_json(error)
    return _page(decision=None, error=error), error.status


def _form_rule() -> tuple[Rule, str]:
    upload = request.files.get("rule_file")
    if upload is not None and upload.filename:
        data = upload.stream.read(64 * 1024 + 1)
        rule = parse_rule(data, upload.filename)
        return rule, json.dumps(dict(rule.document), ensure_ascii=False)
    if request.form.get("rule_text", "").strip():
        rule = parse_rule(request.form["rule_text"], "rule")
        return rule, json.dumps(dict(rule.document), ensure_ascii=False)
    chosen = request.form.get("rule_id", "")
    if not chosen:
        raise RecognitionInputError(
            "rule_missing", "Choose a rule or upload one.", {"path": "rule"}
        )
    rule = rule_book().find(chosen)
    return rule, json.dumps(dict(rule.document), ensure_ascii=False)


def _form_documents() -> list[tuple[str, dict[str, Any], int]]:
    found: list[tuple[str, dict[str, Any], int]] = []
    for upload in request.files.getlist("credentials"):
        if upload.filename:
            data = upload.stream.read(MAX_DOCUMENT_BYTES + 1)
            found.append((upload.filename, parse_credential(data), len(data)))
    for number, text in enumerate(request.form.getlist("credential_json"), start=1):
        if text.strip():
            found.append((f"credential {number}", parse_credential(text), len(text)))
    if not found:
        raise RecognitionInputError(
            "no_credentials", "Upload at least one credential.", {"path": "credentials"}
        )
    if len(found) > MAX_CREDENTIALS:
        raise RecognitionInputError(
            "too_many_credentials",
            f"At most {MAX_CREDENTIALS} credentials at once.",
            {"path": "credentials"},
        )
    return found


def init_app(app: Flask) -> None:
    """Register the routes; the rules directory comes from ``MICROCRED_RECOGNITION_RULES``."""
    app.config.setdefault(RULES_DIRECTORY, os.environ.get(RULES_ENV) or None)
    app.register_blueprint(bp)
