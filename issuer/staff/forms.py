"""The staff pages' forms (Flask-WTF): what they all share (``StaffForm``), and the forms to
sign in, change one's password, change a credential's status and search. The forms that issue
are in ``issuer.staff.issue_forms``, the specification's in ``issuer.staff.specification_form``.

A form collects and types its fields. What makes a value valid is decided once, where the JSON
API decides it too: issuance (``issuer.credentials.issuance``) for the learner, the grade and a
status change's reason, bulk jobs (``issuer.bulk.jobs``) for a CSV file. A form calls that service
and shows each problem of its ``InvalidInput`` at the field it belongs to. A form checks by itself
only what is the page's own: that a field the page asks for is filled in (a reason for a status
change; a file), that a choice is one the page offered (one of the partnership's specifications
and organisations), and the password rules of ``issuer.auth.staff``.

Every form that is posted carries the CSRF token (``issuer.auth.staff`` also checks it before any
view runs); the search forms, sent with GET, carry none. The templates show a field's value with
``shown_value`` and its first problem with ``first_error``; ``StaffForm.problems`` lists a form's
problems in the page's order for the summary at its top.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.datastructures import CombinedMultiDict
from wtforms import (
    EmailField,
    Field,
    PasswordField,
    SearchField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError
from wtforms.widgets import DateInput

from issuer.auth.staff import MAX_PASSWORD, MIN_PASSWORD
from issuer.errors import InvalidInput
from issuer.models import CredentialState, Specification
from issuer.staff.display import ACTION_LABELS, STATE_LABELS, localised

FORM = "form"  # where a problem of the whole form is shown: at the top
REQUIRED = lazy_gettext("This field is required.")
MAX_REASON = 2000  # the longest reason issuance.change_status takes (it checks it)
POSTED: Any = object()  # a form's default data: the posted form, if the request posts one


def posted_form() -> CombinedMultiDict[str, Any] | None:
    """The fields and files of the form a request posts; None when it posts none (a GET). A
    JSON body is never a form's data."""
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return None
    return CombinedMultiDict((request.files, request.form))


def strip(value: Any) -> Any:
    """A filter: a string without the white space around it; anything else as it is."""
    return value.strip() if isinstance(value, str) else value


def shown_value(field: Field) -> str:
    """What a field's control shows: what was sent for it, as typed (nothing when the form was
    sent without it), else the field's value, else nothing."""
    if field.raw_data is not None:
        return str(field.raw_data[0]) if field.raw_data else ""
    return "" if field.data is None else str(field.data)


def options(pairs: Iterable[tuple[str, Any]]) -> list[SelectChoice]:
    """A select's options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def first_error(field: Field) -> str | None:
    """The problem a field shows: its first one, or None."""
    return str(field.errors[0]) if field.errors else None


def field_problems(error: InvalidInput) -> dict[str, str]:
    """The problem of each member a service's ``InvalidInput`` names (``details.fields``)."""
    details = error.details if isinstance(error.details, dict) else {}
    fields = details.get("fields", {})
    return {str(k): str(v) for k, v in fields.items()} if isinstance(fields, Mapping) else {}


class StaffForm(FlaskForm):  # type: ignore[misc]
    """A staff page's form: besides each field's problems, problems of the whole form and of
    groups of fields (a fieldset: ``group_labels`` names them), listed by ``problems``."""

    group_labels: ClassVar[Mapping[str, Any]] = {}

    def __init__(self, formdata: Any = POSTED, **kwargs: Any) -> None:
        super().__init__(posted_form() if formdata is POSTED else formdata, **kwargs)
        self.group_errors: dict[str, str] = {}

    def add_error(self, name: str, message: str) -> None:
        """Show ``message`` at field ``name``, at the group of fields ``name``, or (``"form"``)
        at the top of the form. Call it after ``validate``, which starts the fields afresh."""
        if name == FORM:
            self.form_errors.append(message)
        elif name in self._fields:
            field = self._fields[name]
            field.errors = [*field.errors, message]
        else:
            self.group_errors[name] = message

    def has_error(self, name: str) -> bool:
        """Whether field (or group of fields) ``name`` shows a problem."""
        if name in self._fields:
            return bool(self._fields[name].errors)
        return name in self.group_errors

    def problems(self) -> list[tuple[str, str, str]]:
        """Every problem the form shows as (where, label, message), in the page's order: the
        whole form's first (where ``"form"``), then each field's first problem in the fields'
        order, then each group's. Empty when the form is fine."""
        whole = [(FORM, "", str(message)) for message in self.form_errors]
        fields = []
        for name, field in self._fields.items():
            if not field.errors:
                continue
            if name == "csrf_token":  # the whole form's (issuer.auth.staff checks it first)
                whole.append((FORM, "", str(field.errors[0])))
            else:
                fields.append((field.id, str(field.label.text), str(field.errors[0])))
        groups = [
            (name, str(self.group_labels.get(name, "")), message)
            for name, message in self.group_errors.items()
        ]
        return [*whole, *fields, *groups]


class GetForm(StaffForm):
    """A form sent with GET (a search or a filter), read from the query string: it changes
    nothing, so it has no CSRF token (like ``meta={'csrf': False}``)."""

    class Meta:
        """No CSRF token: the form changes nothing."""

        csrf = False

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(request.args, **kwargs)


# --- signing in, the password -----------------------------------------------------------------


class LoginForm(StaffForm):
    """Sign in: an e-mail address and a password, both needed (``issuer.auth.staff`` checks
    them and says only that they are not right)."""

    email = EmailField(lazy_gettext("E-mail address"), filters=[strip], validators=[DataRequired()])
    password = PasswordField(lazy_gettext("Password"), validators=[InputRequired()])


class PasswordForm(StaffForm):
    """Change one's password: the current one (the view checks it with ``issuer.auth.staff``),
    a new one of ``MIN_PASSWORD`` to ``MAX_PASSWORD`` characters other than the current one,
    and the new one again."""

    current_password = PasswordField(lazy_gettext("Current password"))
    new_password = PasswordField(
        lazy_gettext("New password"),
        validators=[
            Length(
                min=MIN_PASSWORD,
                message=lazy_gettext(
                    "Choose a password of at least %(minimum)d characters.", minimum=MIN_PASSWORD
                ),
            ),
            Length(
                max=MAX_PASSWORD,
                message=lazy_gettext(
                    "Choose a password of at most %(maximum)d characters.", maximum=MAX_PASSWORD
                ),
            ),
        ],
    )
    confirm_password = PasswordField(lazy_gettext("New password again"))

    def validate_new_password(self, field: Field) -> None:
        """The new password is not the current one (once it is long enough)."""
        if not field.errors and field.data == self.current_password.data:
            raise ValidationError(_("Choose a password other than the current one."))

    def validate_confirm_password(self, field: Field) -> None:
        """The new password is given twice the same (once the new one is fine)."""
        if not self.new_password.errors and field.data != self.new_password.data:
            raise ValidationError(_("The two new passwords are not the same."))


# --- changing a credential's status -----------------------------------------------------------


class StatusChangeForm(StaffForm):
    """Suspend, reinstate or revoke: the reason, which the page requires (it goes into the
    audit log); issuance checks it is one line short enough."""

    reason = TextAreaField(
        lazy_gettext("Reason"),
        filters=[strip],
        validators=[DataRequired(lazy_gettext("Give the reason: it goes into the audit log."))],
    )

    def reason_problem(self, error: InvalidInput) -> bool:
        """Show issuance's problem with the reason at its field; whether there was one."""
        if "reason" not in field_problems(error):
            return False
        self.add_error(
            "reason", _("Write a single line of at most %(limit)d characters.", limit=MAX_REASON)
        )
        return True


class LogoForm(StaffForm):
    """An organisation's logo: a PNG or JPEG file (``issuer.partnerships.logos`` checks it)."""

    logo = FileField(
        lazy_gettext("Logo (PNG or JPEG)"),
        validators=[FileRequired(lazy_gettext("Choose an image file."))],
    )


class ConfirmForm(StaffForm):
    """A button that changes something: no fields, only the CSRF token."""


# --- searching --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Search:
    """What to search issued credentials for; an empty criterion does not narrow the search."""

    text: str
    state: CredentialState | None
    specification: Specification | None


class CredentialSearchForm(GetForm):
    """Search issued credentials by words of the learner's name or reference, a state and a
    specification. A state or specification the page does not offer is ignored, not refused."""

    q = SearchField(lazy_gettext("Learner name or reference"), filters=[strip])
    state = SelectField(lazy_gettext("State"), choices=options(STATE_LABELS.items()))
    specification = SelectField(lazy_gettext("Specification"))

    def __init__(self, *, specifications: Sequence[Specification], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.known_specifications = list(specifications)
        self.specification.choices = options(
            (spec.slug, localised(spec.title)[0]) for spec in self.known_specifications
        )

    def search(self) -> Search:
        """The search the form asks for, without the choices it does not offer."""
        self.validate()
        for field in (self.state, self.specification):
            if field.errors:
                field.data, field.errors = "", []
        state = CredentialState(self.state.data) if self.state.data else None
        slug = self.specification.data
        spec = next((s for s in self.known_specifications if s.slug == slug), None)
        return Search(self.q.data or "", state, spec)


class AuditFilterForm(GetForm):
    """Narrow the audit log: one credential (its uuid or ``urn:uuid:``), an action, an actor
    (part of their e-mail address or token name), a range of days (UTC, both included)."""

    credential = StringField(lazy_gettext("Credential identifier"), filters=[strip])
    action = SelectField(
        lazy_gettext("Action"),
        choices=options((a, label) for a, label in ACTION_LABELS.items()),
        filters=[strip],
        validate_choice=False,
    )
    actor = StringField(lazy_gettext("By"), filters=[strip])
    since = StringField(lazy_gettext("From"), filters=[strip], widget=DateInput())
    until = StringField(lazy_gettext("To"), filters=[strip], widget=DateInput())

    def show_problems(self, error: InvalidInput) -> None:
        """Show the audit filter's problems (:func:`issuer.audit.events.read_filter`)."""
        words = {
            "since": _("Enter a date, such as 2026-01-31."),
            "until": _("Enter a date on or after the first date."),
            "actor": _("Write a single line of at most %(limit)d characters.", limit=300),
            "action": _("Choose an action from the list."),
        }
        for name in field_problems(error):
            if name in words:
                self.add_error(name, words[name])
