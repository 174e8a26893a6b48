"""The staff pages' forms that issue: one credential, and a CSV of learners for a bulk job.

Each names one of the partnership's specifications and the partners that award with the user's
organisation (``AwardingForm``): choices the page offers, which the form checks. Whether the
learner, the grade or the file is right is for issuance (``issuer.credentials.issuance``) and bulk
jobs (``issuer.bulk.jobs``) to say; the form shows each of their problems at its field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_wtf.file import FileField, FileRequired
from werkzeug.datastructures import FileStorage
from wtforms import BooleanField, EmailField, Field, SelectField, SelectMultipleField, StringField
from wtforms.validators import InputRequired, ValidationError
from wtforms.widgets import DateInput

from issuer.bulk import jobs as bulk_jobs
from issuer.credentials import issuance
from issuer.errors import InvalidInput
from issuer.models import Organisation, Specification
from issuer.staff.display import localised
from issuer.staff.forms import POSTED, REQUIRED, StaffForm, field_problems, options


def _specification_field() -> Any:
    return SelectField(
        lazy_gettext("Specification"), validators=[InputRequired(REQUIRED)], validate_choice=False
    )


def _awarding_bodies_field() -> Any:
    return SelectMultipleField(lazy_gettext("Awarding bodies"), validate_choice=False)


class AwardingForm(StaffForm):
    """A form naming one of the partnership's specifications (``specification``, its short
    name) and the partners that award with the user's organisation (``awarding_bodies``, their
    short names); the subclass declares both fields, in its own order among its others."""

    specification: Any
    awarding_bodies: Any

    def __init__(
        self,
        formdata: Any = POSTED,
        *,
        specifications: Sequence[Specification],
        organisations: Sequence[Organisation],
        **kwargs: Any,
    ) -> None:
        super().__init__(formdata, **kwargs)
        self.known_specifications = list(specifications)
        self.organisations = list(organisations)  # the user's own first
        self.specification.choices = options(
            (spec.slug, localised(spec.title)[0]) for spec in self.known_specifications
        )

    def validate_specification(self, field: Field) -> None:
        """The specification named is one of the partnership's."""
        if self.chosen_specification() is None:
            raise ValidationError(_("Choose one of the partnership's specifications."))

    def validate_awarding_bodies(self, field: Field) -> None:
        """Every awarding body ticked is an organisation of the partnership."""
        if set(field.data or ()) - {o.slug for o in self.organisations}:
            raise ValidationError(_("Choose organisations of your partnership only."))

    def chosen_specification(self) -> Specification | None:
        """The partnership's specification the form names, or None."""
        slug = self.specification.data
        return next((s for s in self.known_specifications if s.slug == slug), None)

    def chosen_bodies(self) -> set[str]:
        """The short names of the partners ticked (for the page's check boxes)."""
        return set(self.awarding_bodies.data or ())

    def awarding_organisations(self) -> list[Organisation]:
        """The user's organisation first, then the other ticked members in partnership order."""
        issuer, *others = self.organisations
        chosen = self.chosen_bodies()
        return [issuer, *(o for o in others if o.slug in chosen)]


# The issuance service's learner members → (the form's field, the longest value it takes).
LEARNER_FIELDS = {
    "reference": ("reference", issuance.MAX_REFERENCE),
    "givenName": ("given_name", issuance.MAX_NAME),
    "familyName": ("family_name", issuance.MAX_NAME),
    "email": ("email", issuance.MAX_EMAIL),
    "dateOfBirth": ("date_of_birth", 10),
    "emailInCredential": ("email_in_credential", 0),
}


def _learner_message(member: str, problem: str) -> str:
    """A problem issuance found with a learner member, as the form says it."""
    if problem == "required":
        return str(REQUIRED)
    if member == "email" and "plausible" in problem:
        return _("Enter an e-mail address, such as name@example.org.")
    if member == "emailInCredential":
        return _("Give the e-mail address to include it in the credential.")
    if member == "dateOfBirth":
        return _("Enter a date between 1900 and today.")
    return _(
        "Write a single line of at most %(limit)d characters.", limit=LEARNER_FIELDS[member][1]
    )


@dataclass(frozen=True)
class Issue:
    """What the issue form asks to issue, checked by issuance."""

    specification: Specification
    learner: issuance.LearnerInput
    awarding_bodies: list[Organisation]
    grade: str | None


class IssueForm(AwardingForm):
    """Issue one credential: specification, grade, the learner and the awarding bodies."""

    specification = _specification_field()
    grade = StringField(lazy_gettext("Grade"))
    reference = StringField(lazy_gettext("Learner reference"))
    given_name = StringField(lazy_gettext("Given name"))
    family_name = StringField(lazy_gettext("Family name"))
    email = EmailField(lazy_gettext("E-mail address"))
    email_in_credential = BooleanField(lazy_gettext("Include it in the credential"))
    date_of_birth = StringField(lazy_gettext("Date of birth"), widget=DateInput())
    awarding_bodies = _awarding_bodies_field()

    def checked(self) -> Issue | None:
        """What to issue, the learner and the grade as issuance reads them; None when the form
        shows a problem (every one at its field)."""
        self.validate()
        learner = None
        try:
            learner = issuance.LearnerInput.from_json(
                {member: self[field].data for member, (field, _limit) in LEARNER_FIELDS.items()}
            )
        except InvalidInput as error:
            for member, problem in field_problems(error).items():
                if member in LEARNER_FIELDS:
                    self.add_error(LEARNER_FIELDS[member][0], _learner_message(member, problem))
        grade = None
        try:
            grade = issuance.clean_grade(self.grade.data)
        except InvalidInput:
            self.add_error(
                "grade",
                _("Write a single line of at most %(limit)d characters.", limit=issuance.MAX_GRADE),
            )
        specification = self.chosen_specification()
        if self.problems() or specification is None or learner is None:
            return None
        return Issue(specification, learner, self.awarding_organisations(), grade)


@dataclass(frozen=True)
class BulkUpload:
    """What the bulk form asks to issue: a CSV file for a specification."""

    file: FileStorage
    specification: Specification
    awarding_bodies: list[Organisation]
    reissue: bool = False
    same_file: bool = False


class BulkUploadForm(AwardingForm):
    """Upload a CSV of learners (``issuer.bulk.jobs`` reads and checks it) for a
    specification, with the awarding bodies."""

    file = FileField(
        lazy_gettext("CSV file (UTF-8)"),
        validators=[FileRequired(lazy_gettext("Choose a CSV file."))],
    )
    specification = _specification_field()
    awarding_bodies = _awarding_bodies_field()
    reissue = BooleanField(lazy_gettext("Issue again to learners who already hold this credential"))
    same_file = BooleanField(lazy_gettext("Upload this file again although it was uploaded before"))

    def checked(self) -> BulkUpload | None:
        """The file, specification and awarding bodies; None when the form shows a problem."""
        self.validate()
        specification = self.chosen_specification()
        if self.problems() or specification is None or not self.file.data:
            return None
        return BulkUpload(
            self.file.data,
            specification,
            self.awarding_organisations(),
            reissue=bool(self.reissue.data),
            same_file=bool(self.same_file.data),
        )

    def file_problem(self, error: InvalidInput) -> None:
        """Show a whole-file problem bulk jobs found with the CSV at the file field."""
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
                maximum=details.get("maximum", bulk_jobs.MAX_ROWS),
            ),
        }
        message = messages.get(error.code)
        self.add_error("file", message() if message else error.message)


class CorrectionForm(StaffForm):
    """Correct a credential by re-issue: the learner's details as they should read (filled in
    with the stored ones) and the reason is fixed (``superseded``)."""

    given_name = StringField(lazy_gettext("Given name"))
    family_name = StringField(lazy_gettext("Family name"))
    email = EmailField(lazy_gettext("E-mail address"))
    email_in_credential = BooleanField(lazy_gettext("Include it in the credential"))
    date_of_birth = StringField(lazy_gettext("Date of birth"), widget=DateInput())

    def corrections(self) -> dict[str, Any]:
        """The learner members as the form gives them (``issuer.credentials.reissue`` keeps
        only what changed)."""
        return {
            member: self[field].data
            for member, (field, _limit) in LEARNER_FIELDS.items()
            if member != "reference"
        }

    def show_problems(self, error: InvalidInput) -> None:
        """Show the re-issue's problems with learner members at their fields, or (nothing
        changed) at the top of the form."""
        if error.code == "nothing_to_correct":
            self.add_error("form", _("Change at least one detail: nothing would be corrected."))
        for member, problem in field_problems(error).items():
            if member in LEARNER_FIELDS:
                self.add_error(LEARNER_FIELDS[member][0], _learner_message(member, problem))
