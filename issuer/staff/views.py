"""The partnership staff pages under ``/staff``: sign in, specifications, issuing one credential
or a CSV of them, searching issued credentials, suspending, reinstating and revoking them, and
the audit log.

Staff sign in with a session kept by the server (``issuer.auth.staff``) and may change their
password; every form carries a CSRF token. The viewer role looks, the issuer role also issues and
changes credentials' status, the admin role also creates specifications. Every page shows only the
signed-in user's partnership: another partnership's credential, job or specification is "not found".
Staff act for their organisation (``issuer.auth.scope``): they see every credential of the
partnership, but suspend, reinstate and revoke only those their organisation issued or co-awards,
and resume only its bulk jobs (403 otherwise). The pages call the same services as the JSON API
(``issuer.partnerships.services``, ``issuer.credentials.issuance``, ``issuer.bulk.jobs``) and commit
only after the service call succeeded. Every string from a credential, a learner or a specification
is autoescaped by the templates.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, lazy_gettext
from flask_babel import gettext as _
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from issuer import config
from issuer.auth.scope import awarding_organisations, job_organisations, may_act
from issuer.auth.staff import (
    MAX_PASSWORD,
    MIN_PASSWORD,
    allows,
    change_password,
    current_user,
    find_user,
    login_blocked,
    login_failed,
    login_user,
    logout_user,
    partnership_id,
    safe_next,
    staff_required,
)
from issuer.bulk import jobs as bulk
from issuer.credential import LEARNING_SETTINGS, PARTICIPATION_MODES
from issuer.credentials import issuance
from issuer.db import get_session
from issuer.errors import ApiError, Conflict, InvalidInput, NotFound
from issuer.models import (
    AuditEvent,
    BulkJob,
    BulkJobRow,
    CredentialState,
    IssuedCredential,
    JobState,
    Learner,
    Organisation,
    Partnership,
    Role,
    RowState,
    ShareLink,
    Specification,
    User,
    utcnow,
)
from issuer.sharing.links import link_state, share_url
from issuer.specifications.services import (
    create_specification,
    get_specification,
    validate_specification,
)

bp = Blueprint("staff", __name__, url_prefix="/staff")

ISSUED_STASH = "staff_issued"  # the learner management URL, shown once after issuing
MAX_REASON = 2000
ERROR_ROWS_SHOWN = 50
ESCO_SKILL = "http://data.europa.eu/esco/skill/"
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
COUNTRY_RE = re.compile(r"^[A-Z]{3}$")
# The EU's official languages, as the European Learning Model codes them, with their own names.
LANGUAGES = {
    "BUL": "български",
    "CES": "čeština",
    "DAN": "dansk",
    "DEU": "Deutsch",
    "ELL": "ελληνικά",
    "ENG": "English",
    "EST": "eesti",
    "FIN": "suomi",
    "FRA": "français",
    "GLE": "Gaeilge",
    "HRV": "hrvatski",
    "HUN": "magyar",
    "ITA": "italiano",
    "LAV": "latviešu",
    "LIT": "lietuvių",
    "MLT": "Malti",
    "NLD": "Nederlands",
    "POL": "polski",
    "POR": "português",
    "RON": "română",
    "SLK": "slovenčina",
    "SLV": "slovenščina",
    "SPA": "español",
    "SWE": "svenska",
}
STATE_LABELS = {
    "active": lazy_gettext("Active"),
    "suspended": lazy_gettext("Suspended"),
    "revoked": lazy_gettext("Revoked"),
}
JOB_STATE_LABELS = {
    "pending": lazy_gettext("Waiting to start"),
    "running": lazy_gettext("Issuing"),
    "done": lazy_gettext("Finished"),
    "failed": lazy_gettext("Stopped by an error"),
}
ACTION_LABELS = {
    "issue": lazy_gettext("Issued"),
    "suspend": lazy_gettext("Suspended"),
    "reinstate": lazy_gettext("Reinstated"),
    "revoke": lazy_gettext("Revoked"),
    "bulk_upload": lazy_gettext("Bulk file uploaded"),
    "bulk_resume": lazy_gettext("Bulk job resumed"),
    "create_specification": lazy_gettext("Specification created"),
    "share_link_created": lazy_gettext("Share link created"),
    "share_link_withdrawn": lazy_gettext("Share link withdrawn"),
    "share_link_expiry_set": lazy_gettext("Share link expiry set"),
    "password_changed": lazy_gettext("Password changed"),
}
MODE_LABELS = {"online": lazy_gettext("Online"), "blended": lazy_gettext("Blended")}
SETTING_LABELS = {"non-formal": lazy_gettext("Non-formal learning")}
ROLE_LABELS = {
    "admin": lazy_gettext("Administrator"),
    "issuer": lazy_gettext("Issuer"),
    "viewer": lazy_gettext("Viewer"),
}
LINK_STATE_LABELS = {
    "live": lazy_gettext("Live"),
    "withdrawn": lazy_gettext("Withdrawn"),
    "expired": lazy_gettext("Expired"),
}
# What each status change is called on its button and its confirmation page.
STATUS_ACTIONS = {
    "suspend": (lazy_gettext("Suspend"), lazy_gettext("Suspend this credential?")),
    "reinstate": (lazy_gettext("Reinstate"), lazy_gettext("Reinstate this credential?")),
    "revoke": (lazy_gettext("Revoke"), lazy_gettext("Revoke this credential for good?")),
}
# Which changes a credential in each state allows (issuer.credentials.issuance.TRANSITIONS).
POSSIBLE_ACTIONS = {
    state: [a for a in issuance.ACTIONS if (a, state) in issuance.TRANSITIONS]
    for state in CredentialState
}


# --- request plumbing -------------------------------------------------------------------------


@bp.after_request
def _private(response: Response) -> Response:
    """Staff pages hold learner data: never cached, never framed, no referrer elsewhere."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def _error_page(status: int, title: str, message: str | None = None) -> ResponseReturnValue:
    return render_template("staff/error.html", code=status, title=title, message=message), status


ERROR_TITLES = {
    400: lazy_gettext("The request was not understood"),
    403: lazy_gettext("Your role does not allow this"),
    404: lazy_gettext("Not found"),
    405: lazy_gettext("Not possible here"),
    409: lazy_gettext("Not possible now"),
    413: lazy_gettext("The file is too large"),
    422: lazy_gettext("The data is not right"),
    503: lazy_gettext("Signing is not available"),
}


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> ResponseReturnValue:
    status = error.code or 500
    return _error_page(status, str(ERROR_TITLES.get(status, _("Something went wrong"))))


@bp.errorhandler(ApiError)
def _service_error(error: ApiError) -> ResponseReturnValue:
    if error.status == 503:
        message = _("The issuer has no key passphrase configured; ask its administrator.")
        return _error_page(503, str(ERROR_TITLES[503]), message)
    return _error_page(error.status, str(ERROR_TITLES.get(error.status, _("Something went wrong"))))


def localised(value: Any) -> tuple[str, str | None]:
    """(text, its language) from a language map, in the page's language when it has it."""
    if isinstance(value, str):
        return value, None
    if not isinstance(value, Mapping) or not value:
        return "", None
    for language in (str(get_locale()), "en", next(iter(value))):
        text = value.get(language)
        if isinstance(text, str) and text:
            return text, language
    return "", None


def when(moment: datetime | None) -> str:
    """A moment as ``YYYY-MM-DD HH:MM UTC``."""
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


def hours(duration: str) -> str:
    """``PT125H`` → ``125``; any other duration as it is."""
    found = re.fullmatch(r"PT(\d+)H", duration or "")
    return found.group(1) if found else duration


def page_url(number: int) -> str:
    """This page's URL with the same filters, showing page ``number``."""
    values: dict[str, Any] = dict(request.view_args or {})
    values |= {k: v for k, v in request.args.items() if k != "page" and v}
    return url_for(str(request.endpoint), **values, page=number)


@bp.context_processor
def _template_helpers() -> dict[str, Any]:
    user = current_user()
    return {
        "user": user,
        "can": lambda role: allows(user, Role(role)),
        "localised": localised,
        "when": when,
        "hours": hours,
        "page_url": page_url,
        "STATE_LABELS": STATE_LABELS,
        "JOB_STATE_LABELS": JOB_STATE_LABELS,
        "ACTION_LABELS": ACTION_LABELS,
        "MODE_LABELS": MODE_LABELS,
        "SETTING_LABELS": SETTING_LABELS,
        "ROLE_LABELS": ROLE_LABELS,
        "LINK_STATE_LABELS": LINK_STATE_LABELS,
        "STATUS_ACTIONS": STATUS_ACTIONS,
    }


def _user() -> User:
    user = current_user()
    assert user is not None  # staff_required ran
    return user


def _actor() -> str:
    return f"user:{_user().email}"


def _partnership_id() -> int:
    return partnership_id(_user())


def _organisations() -> list[Organisation]:
    """The partnership's organisations, the user's own first."""
    user = _user()
    members = get_session().scalars(
        select(Organisation)
        .where(Organisation.partnership_id == _partnership_id())
        .order_by(Organisation.id)
    )
    return sorted(members, key=lambda o: o.id != user.organisation_id)


def _specifications() -> list[Specification]:
    return list(
        get_session().scalars(
            select(Specification)
            .where(Specification.partnership_id == _partnership_id())
            .order_by(Specification.slug)
        )
    )


def _specification_options(specs: list[Specification]) -> list[tuple[str, str]]:
    """(slug, title in the page's language) of each specification, for a select."""
    return [(spec.slug, localised(spec.title)[0]) for spec in specs]


@dataclass
class Page:
    """One page of a list: its items, its number, how many pages and items there are."""

    items: list[Any]
    number: int
    pages: int
    total: int


def _paginate(query: Select[Any]) -> Page:
    """Page ``?page=`` of ``query`` (already ordered), ``STAFF_PAGE_SIZE`` items a page."""
    size = max(int(current_app.config["STAFF_PAGE_SIZE"]), 1)
    db = get_session()
    total = db.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = max(math.ceil(total / size), 1)
    try:
        number = min(max(int(request.args.get("page", "1")), 1), pages)
    except ValueError:
        number = 1
    items = list(db.scalars(query.limit(size).offset((number - 1) * size)))
    return Page(items, number, pages, total)


# --- signing in -------------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """The sign-in form; a wrong address or password gets one generic message."""
    target = safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_user() is not None:
            return redirect(target or url_for("staff.dashboard"))
        return render_template("staff/login.html", next=target, email="", error=None)
    email = request.form.get("email", "").strip()
    password = request.form.get("password", "")
    if login_blocked(email):
        error = _("Too many failed attempts. Wait a few minutes and try again.")
        return render_template("staff/login.html", next=target, email=email, error=error), 429
    user = find_user(email, password) if email and password else None
    if user is None:
        login_failed(email)
        error = _("The e-mail address or the password is not right.")
        return render_template("staff/login.html", next=target, email=email, error=error), 422
    login_user(user)
    return redirect(target or url_for("staff.dashboard"))


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Sign out (a POST with the form's CSRF token) and go back to the sign-in page."""
    logout_user()
    flash(_("You have signed out."))
    return redirect(url_for("staff.login"))


PASSWORD_FORM = ("current_password", "new_password", "confirm_password")


@bp.route("/password", methods=["GET", "POST"])
@staff_required()
def password() -> ResponseReturnValue:
    """Change one's own password: the current one, the new one twice. Every other session of
    the user ends (and every saved copy of this one's cookie); this browser stays signed in."""
    errors: dict[str, str] = {}
    if request.method == "GET":
        return render_template("staff/password.html", errors=errors, minimum=MIN_PASSWORD)
    user = _user()
    current = request.form.get("current_password", "")
    new = request.form.get("new_password", "")
    confirm = request.form.get("confirm_password", "")
    if login_blocked(user.email):
        errors["current_password"] = _(
            "Too many failed attempts. Wait a few minutes and try again."
        )
        page = render_template("staff/password.html", errors=errors, minimum=MIN_PASSWORD)
        return page, 429
    if find_user(user.email, current) is None:
        login_failed(user.email)
        errors["current_password"] = _("The current password is not right.")
    if len(new) < MIN_PASSWORD:
        errors["new_password"] = _(
            "Choose a password of at least %(minimum)d characters.", minimum=MIN_PASSWORD
        )
    elif len(new) > MAX_PASSWORD:
        errors["new_password"] = _(
            "Choose a password of at most %(maximum)d characters.", maximum=MAX_PASSWORD
        )
    elif new == current:
        errors["new_password"] = _("Choose a password other than the current one.")
    elif confirm != new:
        errors["confirm_password"] = _("The two new passwords are not the same.")
    if errors:
        errors = _in_order(errors, PASSWORD_FORM)
        page = render_template("staff/password.html", errors=errors, minimum=MIN_PASSWORD)
        return page, 422
    change_password(user, new)
    flash(_("Your password is changed. You are signed out everywhere else."))
    return redirect(url_for("staff.dashboard"))


@bp.get("/")
@staff_required()
def dashboard() -> ResponseReturnValue:
    """What the partnership has issued, and where to go from here."""
    db = get_session()
    pid = _partnership_id()
    counts = dict(
        db.execute(
            select(IssuedCredential.state, func.count())
            .where(IssuedCredential.partnership_id == pid)
            .group_by(IssuedCredential.state)
        ).all()
    )
    jobs = list(
        db.scalars(
            select(BulkJob)
            .where(BulkJob.partnership_id == pid)
            .order_by(BulkJob.id.desc())
            .limit(5)
        )
    )
    return render_template(
        "staff/dashboard.html",
        partnership=db.get_one(Partnership, pid),
        organisation=db.get_one(Organisation, _user().organisation_id),
        counts={state.value: counts.get(state, 0) for state in CredentialState},
        specifications=len(_specifications()),
        jobs=jobs,
    )


# --- specifications ---------------------------------------------------------------------------


@bp.get("/specifications")
@staff_required()
def specifications() -> ResponseReturnValue:
    """The partnership's specifications."""
    return render_template("staff/specifications.html", specifications=_specifications())


@bp.get("/specifications/<slug>")
@staff_required()
def specification(slug: str) -> ResponseReturnValue:
    """One specification with every element."""
    spec = get_specification(get_session(), _partnership_id(), slug)
    return render_template(
        "staff/specification.html",
        spec=spec,
        language_name=LANGUAGES.get(spec.language, spec.language),
    )


SPECIFICATION_FORM = (
    "slug",
    "title_en",
    "title_da",
    "description_en",
    "learning_outcomes",
    "ects",
    "hours",
    "eqf_level",
    "isced_field",
    "isced_label",
    "assessment_type",
    "participation_mode",
    "learning_setting",
    "qa_title",
    "qa_type_iri",
    "qa_type_label",
    "qa_agent_id",
    "qa_agent_name",
    "qa_agent_country",
    "qa_agent_country_label",
    "prerequisites",
    "language",
)
QA_FIELDS = {
    "qa_title": "title",
    "qa_type_iri": "typeIri",
    "qa_type_label": "typeLabel",
    "qa_agent_id": "id",
    "qa_agent_name": "legalName",
    "qa_agent_country": "country",
    "qa_agent_country_label": "countryLabel",
}
# The API's specification member → the form field its problems are shown at.
SPECIFICATION_FIELDS = {
    "slug": "slug",
    "title": "title_en",
    "description": "description_en",
    "learningOutcomes": "learning_outcomes",
    "ects": "ects",
    "volumeOfLearning": "hours",
    "eqfLevel": "eqf_level",
    "iscedField": "isced_field",
    "iscedLabel": "isced_label",
    "assessmentType": "assessment_type",
    "participationMode": "participation_mode",
    "learningSetting": "learning_setting",
    "qualityAssurance": "qa",
    "prerequisites": "prerequisites",
    "language": "language",
}
SPECIFICATION_MESSAGES = {
    "slug": lazy_gettext(
        "Use 1 to 64 lower-case letters, digits and hyphens, starting and ending with a letter "
        "or digit."
    ),
    "ects": lazy_gettext("Enter a number greater than 0 and at most 180, such as 5 or 7.5."),
    "hours": lazy_gettext("Enter a whole number of hours, such as 125."),
    "eqf_level": lazy_gettext("Choose an EQF level from 1 to 8."),
    "isced_field": lazy_gettext("Enter an ISCED-F 2013 code of 2 to 4 digits, such as 0688."),
    "participation_mode": lazy_gettext("Choose online or blended."),
    "learning_setting": lazy_gettext("Choose a learning setting."),
    "language": lazy_gettext("Choose a language."),
    "qa": lazy_gettext("Fill in every quality assurance field."),
}


def _required() -> str:
    return _("This field is required.")


def _slugify(text: str) -> str:
    """A short name from a title: ``Green Data Analytics`` → ``green-data-analytics``."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:64].strip("-")


def _learning_outcomes(text: str) -> tuple[list[dict[str, Any]], str | None]:
    """Outcomes written one per line, each optionally followed by ``| <ESCO skill IRI> <skill
    label>`` (repeatable); (outcomes, the first problem)."""
    outcomes = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        title, *skills = (part.strip() for part in line.split("|"))
        if not title:
            return [], _("Line %(line)d: write the outcome before its skills.", line=number)
        found = []
        for skill in skills:
            iri, _space, label = skill.partition(" ")
            if not iri.startswith(ESCO_SKILL) or len(iri) <= len(ESCO_SKILL):
                return [], _(
                    "Line %(line)d: a skill must be an ESCO skill IRI starting with %(prefix)s.",
                    line=number,
                    prefix=ESCO_SKILL,
                )
            if not label.strip():
                return [], _("Line %(line)d: write the skill's label after its IRI.", line=number)
            found.append({"id": iri, "label": label.strip()})
        outcomes.append({"title": {"en": title}, "escoSkills": found})
    return outcomes, None


def _specification_input(form: MultiDict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The specification JSON (the API's shape) a form describes, and the form's own
    problems by field."""
    values = {name: form.get(name, "").strip() for name in SPECIFICATION_FORM}
    errors: dict[str, str] = {}
    data: dict[str, Any] = {"slug": values["slug"] or _slugify(values["title_en"])}
    if values["title_en"]:
        data["title"] = {"en": values["title_en"]}
        if values["title_da"]:
            data["title"]["da"] = values["title_da"]
    for field, member in (
        ("description_en", "description"),
        ("assessment_type", "assessmentType"),
        ("prerequisites", "prerequisites"),
    ):
        if values[field]:
            data[member] = {"en": values[field]}
    outcomes, problem = _learning_outcomes(form.get("learning_outcomes", ""))
    if problem:
        errors["learning_outcomes"] = problem
    data["learningOutcomes"] = outcomes
    if values["ects"]:
        data["ects"] = values["ects"].replace(",", ".")
    if values["hours"]:
        if values["hours"].isdigit() and 0 < int(values["hours"]) <= 100_000:
            data["volumeOfLearning"] = f"PT{int(values['hours'])}H"
        else:
            errors["hours"] = str(SPECIFICATION_MESSAGES["hours"])
    if values["eqf_level"]:
        data["eqfLevel"] = int(values["eqf_level"]) if values["eqf_level"].isdigit() else 0
    for field, member in (
        ("isced_field", "iscedField"),
        ("isced_label", "iscedLabel"),
        ("participation_mode", "participationMode"),
        ("learning_setting", "learningSetting"),
        ("language", "language"),
    ):
        if values[field]:
            data[member] = values[field]
    quality = {member: values[field] for field, member in QA_FIELDS.items()}
    for field, member in QA_FIELDS.items():
        if not quality[member]:
            errors[field] = _required()
    if quality["country"] and not COUNTRY_RE.match(quality["country"].upper()):
        errors["qa_agent_country"] = _("Enter a three-letter country code, such as DNK.")
    if not any(field in errors for field in QA_FIELDS):
        data["qualityAssurance"] = {
            "title": {"en": quality["title"]},
            "typeIri": quality["typeIri"],
            "typeLabel": quality["typeLabel"],
            "agent": {
                "id": quality["id"],
                "legalName": quality["legalName"],
                "country": quality["country"].upper(),
                "countryLabel": quality["countryLabel"],
            },
        }
    return data, errors


def _specification_problems(error: InvalidInput, errors: dict[str, str]) -> None:
    """Add the service's per-member problems to the form's ``errors`` (the form's own win)."""
    fields = error.details.get("fields", {}) if isinstance(error.details, dict) else {}
    for member, problem in fields.items():
        field = SPECIFICATION_FIELDS.get(member, "form")
        if field in errors or (field == "qa" and any(f in errors for f in QA_FIELDS)):
            continue
        if field == "slug" and problem == "required" and "title" in fields:
            continue  # the short name is made from the title, which is missing
        if problem == "required":
            errors[field] = _required()
        else:
            errors[field] = str(SPECIFICATION_MESSAGES.get(field, _("This value is not valid.")))


def _in_order(errors: Mapping[str, str], order: Sequence[str]) -> dict[str, str]:
    """The errors in the order of the form's fields (a form-wide error first)."""
    return dict(sorted(errors.items(), key=lambda e: order.index(e[0]) if e[0] in order else -1))


def _specification_form(values: Mapping[str, str], errors: Mapping[str, str]) -> str:
    return render_template(
        "staff/specification_form.html",
        values=values,
        errors=errors,
        eqf_options=[(str(level), str(level)) for level in range(1, 9)],
        mode_options=[(mode, MODE_LABELS.get(mode, mode)) for mode in PARTICIPATION_MODES],
        setting_options=[(s, SETTING_LABELS.get(s, s)) for s in LEARNING_SETTINGS],
        language_options=[(code, f"{name} ({code})") for code, name in LANGUAGES.items()],
    )


@bp.route("/specifications/new", methods=["GET", "POST"])
@staff_required(Role.ADMIN)
def new_specification() -> ResponseReturnValue:
    """Create a specification (admin): every Annex I element, each problem at its field."""
    if request.method == "GET":
        defaults = {"language": "ENG", "learning_setting": "non-formal", "eqf_level": ""}
        return _specification_form(defaults, {})
    data, errors = _specification_input(request.form)
    try:
        validate_specification(data)
    except InvalidInput as error:
        _specification_problems(error, errors)
    if errors:
        return _specification_form(
            request.form, _in_order(errors, [*SPECIFICATION_FORM, "qa"])
        ), 422
    db = get_session()
    partnership = db.get_one(Partnership, _partnership_id())
    try:
        spec = create_specification(db, partnership, data, base_url=config.base_url())
    except Conflict:
        errors["slug"] = _("A specification with this short name exists already.")
        return _specification_form(request.form, errors), 422
    db.add(
        AuditEvent(
            actor=_actor(),
            organisation_id=_user().organisation_id,
            action="create_specification",
            details={"specification": spec.slug},
        )
    )
    db.flush()
    slug = spec.slug
    db.commit()
    flash(_("The specification is created."))
    return redirect(url_for("staff.specification", slug=slug))


# --- issuing one credential -------------------------------------------------------------------

LEARNER_FIELDS = {
    "reference": ("reference", issuance.MAX_REFERENCE),
    "givenName": ("given_name", issuance.MAX_NAME),
    "familyName": ("family_name", issuance.MAX_NAME),
    "email": ("email", issuance.MAX_EMAIL),
    "dateOfBirth": ("date_of_birth", 10),
}


ISSUE_FORM = (
    "specification",
    "grade",
    "reference",
    "given_name",
    "family_name",
    "email",
    "date_of_birth",
    "awarding_bodies",
)


def _learner_message(member: str, problem: str) -> str:
    if problem == "required":
        return _required()
    if member == "email" and "plausible" in problem:
        return _("Enter an e-mail address, such as name@example.org.")
    if member == "dateOfBirth":
        return _("Enter a date between 1900 and today.")
    return _(
        "Write a single line of at most %(limit)d characters.", limit=LEARNER_FIELDS[member][1]
    )


def _awarding_bodies(
    form: MultiDict[str, str], organisations: list[Organisation], errors: dict[str, str]
) -> list[Organisation]:
    """The user's organisation first, then the other ticked members in partnership order."""
    chosen = set(form.getlist("awarding_bodies"))
    known = {o.slug for o in organisations}
    if chosen - known:
        errors["awarding_bodies"] = _("Choose organisations of your partnership only.")
    issuer, others = organisations[0], organisations[1:]
    return [issuer, *(o for o in others if o.slug in chosen)]


def _issue_form(values: Mapping[str, Any], errors: Mapping[str, str]) -> str:
    return render_template(
        "staff/issue.html",
        values=values,
        chosen=set(values.getlist("awarding_bodies")) if isinstance(values, MultiDict) else set(),
        errors=errors,
        specification_options=_specification_options(_specifications()),
        organisations=_organisations(),
    )


def _chosen_specification(
    db: Session, form: MultiDict[str, str], errors: dict[str, str]
) -> Specification | None:
    """The specification a form names (``specification``), or None with the field's error."""
    slug = form.get("specification", "")
    if not slug:
        errors["specification"] = _required()
        return None
    try:
        return get_specification(db, _partnership_id(), slug)
    except NotFound:
        errors["specification"] = _("Choose one of the partnership's specifications.")
        return None


@bp.route("/issue", methods=["GET", "POST"])
@staff_required(Role.ISSUER)
def issue() -> ResponseReturnValue:
    """Issue one credential: specification, learner, awarding bodies and grade."""
    if request.method == "GET":
        return _issue_form(MultiDict({"specification": request.args.get("specification", "")}), {})
    form = request.form
    db = get_session()
    errors: dict[str, str] = {}
    spec = _chosen_specification(db, form, errors)
    learner = None
    try:
        learner = issuance.LearnerInput.from_json(
            {member: form.get(field) for member, (field, _limit) in LEARNER_FIELDS.items()}
        )
    except InvalidInput as error:
        for member, problem in error.details.get("fields", {}).items():
            if member in LEARNER_FIELDS:
                errors[LEARNER_FIELDS[member][0]] = _learner_message(member, str(problem))
    organisations = _organisations()
    bodies = _awarding_bodies(form, organisations, errors)
    grade = None
    try:
        grade = issuance.clean_grade(form.get("grade"))
    except InvalidInput:
        errors["grade"] = _(
            "Write a single line of at most %(limit)d characters.", limit=issuance.MAX_GRADE
        )
    if errors or spec is None or learner is None:
        return _issue_form(form, _in_order(errors, ISSUE_FORM)), 422
    try:
        result = issuance.issue_credential(
            db,
            issuer=organisations[0],
            specification=spec,
            learner=learner,
            awarding_bodies=bodies,
            actor=_actor(),
            base_url=config.base_url(),
            passphrase=config.key_passphrase(),
            grade=grade,
        )
    except (InvalidInput, Conflict) as error:
        db.rollback()
        errors["form"] = _("The credential could not be issued: %(reason)s", reason=error.message)
        return _issue_form(form, errors), 422
    ref = result.credential.uuid
    manage_url = f"{config.base_url()}/learner/{result.manage_token}"
    db.commit()
    session[ISSUED_STASH] = {"credential": ref, "manage": manage_url}
    return redirect(url_for("staff.issued", ref=ref))


@bp.get("/credentials/<ref>/issued")
@staff_required(Role.ISSUER)
def issued(ref: str) -> ResponseReturnValue:
    """The credential just issued: its share link, QR code and (this once) the learner's
    management link."""
    found = _credential(ref)
    stash = session.pop(ISSUED_STASH, None)
    manage_url = None
    if isinstance(stash, dict) and stash.get("credential") == found.uuid:
        manage_url = stash.get("manage")
    link = get_session().scalar(
        select(ShareLink)
        .where(ShareLink.credential_id == found.id, ShareLink.withdrawn_at.is_(None))
        .order_by(ShareLink.id)
        .limit(1)
    )
    return render_template(
        "staff/issued.html",
        credential=found,
        ref=found.uuid,
        link=link,
        share_url=share_url(config.base_url(), link.token) if link else None,
        manage_url=manage_url,
    )


# --- bulk issuance ----------------------------------------------------------------------------


def _job(job_id: int) -> BulkJob:
    job = get_session().get(BulkJob, job_id)
    if job is None or job.partnership_id != _partnership_id():
        raise NotFound(f"no bulk job {job_id} in this partnership", code="unknown_bulk_job")
    return job


def _may_resume(job: BulkJob) -> bool:
    """Whether the user's organisation is the job's issuer or one of its awarding bodies."""
    return may_act(_user().organisation_id, job_organisations(job), partnership_wide=False)


def _resumable(job: BulkJob) -> bool:
    """Whether the job's worker has stopped: failed, never started, or a stale heartbeat."""
    if job.state is JobState.DONE:
        return False
    return not (
        job.state is JobState.RUNNING
        and job.heartbeat_at is not None
        and job.heartbeat_at > utcnow() - bulk.STALE_JOB
    )


def _file_message(error: InvalidInput) -> str:
    """A whole-file problem of a CSV upload, in the page's language."""
    details = error.details if isinstance(error.details, dict) else {}
    messages = {
        "bad_encoding": lambda: _(
            "The file is not UTF-8 text (line %(line)s). Save it as 'CSV UTF-8'.",
            line=details.get("line", "?"),
        ),
        "empty_file": lambda: _("The file has no data rows."),
        "missing_columns": lambda: _(
            "The header line lacks the columns: %(columns)s.",
            columns=", ".join(details.get("missing", [])),
        ),
        "unknown_columns": lambda: _(
            "The header line has unknown columns: %(columns)s.",
            columns=", ".join(details.get("unknown", [])),
        ),
        "duplicate_columns": lambda: _(
            "The header line names a column twice: %(columns)s.",
            columns=", ".join(details.get("repeated", [])),
        ),
        "malformed_csv": lambda: _(
            "The file is not valid CSV near line %(line)s.", line=details.get("line", "?")
        ),
        "too_many_rows": lambda: _(
            "The file has more than %(maximum)s rows. Split it.",
            maximum=details.get("maximum", bulk.MAX_ROWS),
        ),
    }
    message = messages.get(error.code)
    return message() if message else error.message


def _bulk_page(values: MultiDict[str, str], errors: Mapping[str, str]) -> str:
    pid = _partnership_id()
    jobs = _paginate(
        select(BulkJob).where(BulkJob.partnership_id == pid).order_by(BulkJob.id.desc())
    )
    return render_template(
        "staff/bulk.html",
        jobs=jobs,
        values=values,
        chosen=set(values.getlist("awarding_bodies")),
        errors=errors,
        specification_options=_specification_options(_specifications()),
        organisations=_organisations(),
        required_columns=bulk.REQUIRED_COLUMNS,
        optional_columns=bulk.OPTIONAL_COLUMNS,
    )


@bp.get("/bulk")
@staff_required()
def bulk_jobs() -> ResponseReturnValue:
    """The partnership's bulk jobs, and the upload form (issuer role)."""
    return _bulk_page(MultiDict(), {})


@bp.post("/bulk")
@staff_required(Role.ISSUER)
def bulk_upload() -> ResponseReturnValue:
    """Upload a CSV: its rows are checked and stored as a job, which starts at once."""
    form = request.form
    db = get_session()
    errors: dict[str, str] = {}
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        errors["file"] = _("Choose a CSV file.")
    spec = _chosen_specification(db, form, errors)
    organisations = _organisations()
    bodies = _awarding_bodies(form, organisations, errors)
    if errors or spec is None or upload is None:
        return _bulk_page(form, errors), 422
    try:
        job = bulk.create_job(
            db,
            issuer=organisations[0],
            specification=spec,
            awarding_bodies=bodies,
            filename=upload.filename or "upload.csv",
            content=upload.read(),
            actor=_actor(),
        )
    except InvalidInput as error:
        db.rollback()
        errors["file"] = _file_message(error)
        return _bulk_page(form, errors), 422
    job_id = job.id
    db.commit()
    bulk.start_job(current_app._get_current_object(), job_id)  # type: ignore[attr-defined]
    return redirect(url_for("staff.bulk_job", job_id=job_id))


@bp.get("/bulk/<dbint:job_id>")
@staff_required()
def bulk_job(job_id: int) -> ResponseReturnValue:
    """A job's progress (live with JavaScript, by reloading without), its refused rows and
    their report."""
    job = _job(job_id)
    rows = list(
        get_session().scalars(
            select(BulkJobRow)
            .where(BulkJobRow.job_id == job.id, BulkJobRow.state == RowState.ERROR)
            .order_by(BulkJobRow.line)
            .limit(ERROR_ROWS_SHOWN)
        )
    )
    return render_template(
        "staff/bulk_job.html",
        job=job,
        progress=bulk.job_json(job),
        error_rows=rows,
        resumable=_resumable(job) and _may_resume(job),
        finished=job.state in (JobState.DONE, JobState.FAILED),
        specification=get_session().get_one(Specification, job.specification_id),
    )


@bp.get("/bulk/<dbint:job_id>.json")
@staff_required(json=True)
def bulk_job_json(job_id: int) -> ResponseReturnValue:
    """A job's progress as the API gives it (for the progress bar)."""
    try:
        job = _job(job_id)
    except NotFound as error:
        return jsonify(error.to_dict()), 404
    return jsonify(bulk.job_json(job))


@bp.get("/bulk/<dbint:job_id>/errors.csv")
@staff_required()
def bulk_job_errors(job_id: int) -> ResponseReturnValue:
    """The refused rows as CSV: line, reference, code, message."""
    job = _job(job_id)
    return Response(
        bulk.job_errors_csv(get_session(), job),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="bulk-job-{job_id}-errors.csv"'},
    )


@bp.post("/bulk/<dbint:job_id>/resume")
@staff_required(Role.ISSUER)
def bulk_job_resume(job_id: int) -> ResponseReturnValue:
    """Carry on with a job whose worker stopped (only pending rows are issued)."""
    db = get_session()
    job = _job(job_id)
    if not _may_resume(job):
        return _not_yours(_("Only the organisations that award with this bulk job can resume it."))
    if not _resumable(job):
        flash(_("This job is finished or still running; there is nothing to resume."))
        return redirect(url_for("staff.bulk_job", job_id=job_id))
    db.add(
        AuditEvent(
            actor=_actor(),
            organisation_id=_user().organisation_id,
            action="bulk_resume",
            details={"bulkJob": job_id},
        )
    )
    db.commit()
    bulk.start_job(current_app._get_current_object(), job_id)  # type: ignore[attr-defined]
    flash(_("The job is resumed."))
    return redirect(url_for("staff.bulk_job", job_id=job_id))


# --- issued credentials -----------------------------------------------------------------------


def _search_words(text: str) -> list[Any]:
    conditions = []
    for word in text.split()[:10]:
        pattern = (
            "%" + word.lower().replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"
        )
        conditions.append(
            or_(
                *(
                    func.lower(column).like(pattern, escape="\\")
                    for column in (Learner.given_name, Learner.family_name, Learner.reference)
                )
            )
        )
    return conditions


@bp.get("/credentials")
@staff_required()
def credentials() -> ResponseReturnValue:
    """Search issued credentials by learner name or reference, state and specification."""
    pid = _partnership_id()
    query = (
        select(IssuedCredential)
        .join(Learner, Learner.id == IssuedCredential.learner_id)
        .where(IssuedCredential.partnership_id == pid)
    )
    q = request.args.get("q", "").strip()
    if q:
        query = query.where(and_(*_search_words(q)))
    state = request.args.get("state", "")
    if state in STATE_LABELS:
        query = query.where(IssuedCredential.state == CredentialState(state))
    specs = _specifications()
    slug = request.args.get("specification", "")
    spec = next((s for s in specs if s.slug == slug), None)
    if spec is not None:
        query = query.where(IssuedCredential.specification_id == spec.id)
    page = _paginate(query.order_by(IssuedCredential.id.desc()))
    return render_template(
        "staff/credentials.html",
        page=page,
        q=q,
        state=state if state in STATE_LABELS else "",
        slug=spec.slug if spec else "",
        specification_options=_specification_options(specs),
        uuid_of=lambda credential: credential.uuid,
    )


def _credential(ref: str) -> IssuedCredential:
    return issuance.get_credential(get_session(), _partnership_id(), ref)


def _may_change(credential: IssuedCredential) -> bool:
    """Whether the user's organisation awards ``credential`` (issued it or co-awards it)."""
    return may_act(
        _user().organisation_id, awarding_organisations(credential), partnership_wide=False
    )


def _not_yours(message: str) -> ResponseReturnValue:
    """The 403 page for acting on what another member of the partnership awards."""
    return _error_page(403, _("This belongs to another member of the partnership"), message)


@bp.get("/credentials/<ref>")
@staff_required()
def credential(ref: str) -> ResponseReturnValue:
    """One issued credential: learner, specification, status, share links and its history."""
    found = _credential(ref)
    db = get_session()
    links = list(
        db.scalars(
            select(ShareLink).where(ShareLink.credential_id == found.id).order_by(ShareLink.id)
        )
    )
    events = list(
        db.scalars(
            select(AuditEvent)
            .where(AuditEvent.credential_id == found.id)
            .order_by(AuditEvent.id.desc())
        )
    )
    may_change = _may_change(found)
    return render_template(
        "staff/credential.html",
        credential=found,
        ref=found.uuid,
        links=[
            (link, link_state(link), share_url(config.base_url(), link.token)) for link in links
        ],
        events=events,
        actions=POSSIBLE_ACTIONS[found.state] if may_change else [],
        may_change=may_change,
    )


@bp.get("/credentials/<ref>/document.jsonld")
@staff_required()
def credential_document(ref: str) -> ResponseReturnValue:
    """The signed credential exactly as stored."""
    found = _credential(ref)
    return Response(
        found.document,
        mimetype="application/ld+json",
        headers={"Content-Disposition": f'attachment; filename="{found.uuid}.jsonld"'},
    )


def verifiers_see_it_within() -> str:
    """When verifiers see a status change, from the ``STATUS_LIST_MAX_AGE`` setting (how long
    they may cache a status list)."""
    seconds = config.status_list_max_age()
    if seconds <= 1:
        return _("Verifiers will see this within a second.")
    return _("Verifiers will see this within %(seconds)d seconds.", seconds=seconds)


@bp.route("/credentials/<ref>/status/<action>", methods=["GET", "POST"])
@staff_required(Role.ISSUER)
def change_status(ref: str, action: str) -> ResponseReturnValue:
    """Suspend, reinstate or revoke a credential: a confirmation page asking for the reason,
    then the change (recorded in the audit log with the reason)."""
    if action not in STATUS_ACTIONS:
        raise NotFound("no such action")
    found = _credential(ref)
    if not _may_change(found):
        return _not_yours(
            _(
                "Only the organisations that award this credential can suspend, reinstate or "
                "revoke it. Ask one of them."
            )
        )
    uuid = found.uuid
    possible = action in POSSIBLE_ACTIONS[found.state]
    errors: dict[str, str] = {}
    reason = request.form.get("reason", "").strip()
    if request.method == "POST" and possible:
        if not reason:
            errors["reason"] = _("Give the reason: it goes into the audit log.")
        elif len(reason) > MAX_REASON or any(ord(c) < 32 for c in reason):
            errors["reason"] = _(
                "Write a single line of at most %(limit)d characters.", limit=MAX_REASON
            )
        else:
            db = get_session()
            try:
                issuance.change_status(db, found, action, actor=_actor(), reason=reason)
            except (Conflict, InvalidInput):
                db.rollback()
                found = _credential(ref)
                possible = False
            else:
                db.commit()
                state = str(STATE_LABELS[found.state.value]).lower()
                flash(
                    f"{_('The credential is now %(state)s.', state=state)} "
                    f"{verifiers_see_it_within()}"
                )
                return redirect(url_for("staff.credential", ref=uuid))
    status = 200 if possible and not errors else (409 if not possible else 422)
    page = render_template(
        "staff/status_change.html",
        credential=found,
        ref=uuid,
        action=action,
        possible=possible,
        reason=reason,
        errors=errors,
        delay=verifiers_see_it_within(),
    )
    return page, status


# --- the audit log ----------------------------------------------------------------------------


def _details(event: AuditEvent) -> list[tuple[str, str]]:
    """An event's details as (name, value) pairs for people."""
    if not isinstance(event.details, dict):
        return []
    pairs = []
    for name, value in event.details.items():
        if name == "credential":
            continue
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        pairs.append((str(name), text))
    return pairs


@bp.get("/audit")
@staff_required()
def audit() -> ResponseReturnValue:
    """The partnership's audit log, newest first; ``?credential=`` narrows it to one."""
    db = get_session()
    pid = _partnership_id()
    members = dict(
        db.execute(
            select(Organisation.id, Organisation.legal_name).where(
                Organisation.partnership_id == pid
            )
        ).all()
    )
    query = select(AuditEvent).where(AuditEvent.organisation_id.in_(list(members)))
    ref = request.args.get("credential", "").strip()
    errors: dict[str, str] = {}
    if ref:
        try:
            query = query.where(AuditEvent.credential_id == _credential(ref).id)
        except NotFound:
            errors["credential"] = _("No credential of your partnership has this identifier.")
            query = query.where(AuditEvent.id.is_(None))
    page = _paginate(query.order_by(AuditEvent.id.desc()))
    ids = {e.credential_id for e in page.items if e.credential_id is not None}
    uris = (
        dict(
            db.execute(
                select(IssuedCredential.id, IssuedCredential.credential_uri).where(
                    IssuedCredential.id.in_(ids)
                )
            ).all()
        )
        if ids
        else {}
    )
    return render_template(
        "staff/audit.html",
        page=page,
        ref=ref,
        errors=errors,
        members=members,
        uuids={k: v.removeprefix("urn:uuid:") for k, v in uris.items()},
        details=_details,
    ), (200 if not errors else 404)
