"""The form that creates a specification: every element of Annex I of the Council
Recommendation on micro-credentials, in fields a person fills in.

The form types its fields (a decimal with a comma or a point, a whole number of hours, learning
outcomes written one a line) and builds the specification JSON the API takes. Whether that
specification is valid is for ``validate_specification`` to say (the rules on ECTS credits, EQF
levels, ISCED fields, languages, outcomes … live there, once); the form shows each of its problems
at the field it belongs to. The form itself asks only for what its own layout needs: every field
of quality assurance, which it assembles into one member, and the agency's three-letter country
code (the service's own pattern), so a problem shows at the field that has it.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from flask_babel import gettext as _
from flask_babel import lazy_gettext
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Regexp
from wtforms.widgets import NumberInput

from issuer.errors import InvalidInput
from issuer.specifications.rules import COUNTRY, validate_specification
from issuer.staff.display import MODE_LABELS, SETTING_LABELS
from issuer.staff.forms import FORM, REQUIRED, StaffForm, field_problems, options, strip
from issuer.staff.specification_languages import add_translations
from schemas.elm.vocab import ESCO_SKILL, LEARNING_SETTINGS, PARTICIPATION_MODES
from schemas.elm.vocab import EU_LANGUAGES as LANGUAGES

MAX_HOURS = 100_000
# What the form says about a field the service found malformed.
MESSAGES = {
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
# The API's specification member → the form field (or group, "qa") its problems are shown at.
MEMBER_FIELDS = {
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
# The quality assurance fields → their member of qualityAssurance (or of its agent).
QA_FIELDS = {
    "qa_title": "title",
    "qa_type_iri": "typeIri",
    "qa_type_label": "typeLabel",
    "qa_agent_id": "id",
    "qa_agent_name": "legalName",
    "qa_agent_country": "country",
    "qa_agent_country_label": "countryLabel",
}


def slugify(text: str) -> str:
    """A short name from a title: ``Green Data Analytics`` → ``green-data-analytics``."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:64].strip("-")


def upper(value: Any) -> Any:
    """A filter: a string in capitals; anything else as it is."""
    return value.upper() if isinstance(value, str) else value


def _text(valuelist: list[str]) -> str:
    return valuelist[0].strip() if valuelist else ""


class DecimalCommaField(StringField):  # type: ignore[misc]
    """A decimal number written with a point or a comma (``7,5``); None when empty."""

    def process_formdata(self, valuelist: list[str]) -> None:
        """Read the number; a text that is none is the ECTS message."""
        text = _text(valuelist)
        self.data = None
        if text:
            try:
                self.data = Decimal(text.replace(",", "."))
            except InvalidOperation:
                raise ValueError(str(MESSAGES["ects"])) from None


class HoursField(StringField):  # type: ignore[misc]
    """A whole number of hours from 1 to ``MAX_HOURS``; None when empty."""

    widget = NumberInput()

    def process_formdata(self, valuelist: list[str]) -> None:
        """Read the hours; anything else is the hours message."""
        text = _text(valuelist)
        self.data = None
        if text:
            if not (text.isdecimal() and 0 < int(text) <= MAX_HOURS):
                raise ValueError(str(MESSAGES["hours"]))
            self.data = int(text)


class LevelField(SelectField):  # type: ignore[misc]
    """A select whose value is a whole number (which ones are EQF levels, the service says)."""

    def process_formdata(self, valuelist: list[str]) -> None:
        """Read the level; a value that is no number is the EQF message."""
        text = _text(valuelist)
        self.data = None
        if text:
            if not text.isdecimal():
                raise ValueError(str(MESSAGES["eqf_level"]))
            self.data = int(text)


class OutcomesField(TextAreaField):  # type: ignore[misc]
    """Learning outcomes written one a line, each optionally followed by ``| <ESCO skill IRI>
    <skill label>`` (repeatable): a list of ``{"title": {"en"}, "escoSkills": [{id, label}]}``;
    a line that cannot be read is a problem naming it."""

    def process_formdata(self, valuelist: list[str]) -> None:
        """Read the outcomes; the first line that cannot be read is the field's problem."""
        self.data = []
        outcomes = []
        for number, line in enumerate((valuelist[0] if valuelist else "").splitlines(), start=1):
            if not line.strip():
                continue
            title, *skills = (part.strip() for part in line.split("|"))
            if not title:
                raise ValueError(
                    _("Line %(line)d: write the outcome before its skills.", line=number)
                )
            found = []
            for skill in skills:
                iri, _space, label = skill.partition(" ")
                if not iri.startswith(ESCO_SKILL) or len(iri) <= len(ESCO_SKILL):
                    raise ValueError(
                        _(
                            "Line %(line)d: a skill must be an ESCO skill IRI starting with "
                            "%(prefix)s.",
                            line=number,
                            prefix=ESCO_SKILL,
                        )
                    )
                if not label.strip():
                    raise ValueError(
                        _("Line %(line)d: write the skill's label after its IRI.", line=number)
                    )
                found.append({"id": iri, "label": label.strip()})
            outcomes.append({"title": {"en": title}, "escoSkills": found})
        self.data = outcomes


def _required_text(label: str) -> Any:
    return StringField(label, filters=[strip], validators=[DataRequired(REQUIRED)])


class SpecificationForm(StaffForm):
    """A new specification; ``checked`` gives its JSON once ``validate_specification`` finds
    nothing wrong with it."""

    group_labels: ClassVar[dict[str, Any]] = {"qa": lazy_gettext("Quality assurance")}

    slug = StringField(lazy_gettext("Short name"), filters=[strip])
    title_en = StringField(lazy_gettext("Title in English"), filters=[strip])
    description_en = TextAreaField(lazy_gettext("Description in English"), filters=[strip])
    learning_outcomes = OutcomesField(lazy_gettext("Learning outcomes, one per line"))
    ects = DecimalCommaField(lazy_gettext("ECTS credits"))
    hours = HoursField(lazy_gettext("Volume of learning in hours"))
    eqf_level = LevelField(
        lazy_gettext("EQF level"),
        choices=options((str(level), str(level)) for level in range(1, 9)),
        validate_choice=False,
    )
    isced_field = StringField(
        lazy_gettext("Field of education: ISCED-F 2013 code"), filters=[strip]
    )
    isced_label = StringField(lazy_gettext("Field of education: name"), filters=[strip])
    assessment_type = StringField(lazy_gettext("Type of assessment"), filters=[strip])
    participation_mode = SelectField(
        lazy_gettext("Form of participation"),
        choices=options((mode, MODE_LABELS.get(mode, mode)) for mode in PARTICIPATION_MODES),
        filters=[strip],
        validate_choice=False,
    )
    learning_setting = SelectField(
        lazy_gettext("Learning setting"),
        choices=options((s, SETTING_LABELS.get(s, s)) for s in LEARNING_SETTINGS),
        default="non-formal",
        filters=[strip],
        validate_choice=False,
    )
    qa_title = _required_text(lazy_gettext("Quality assurance: title"))
    qa_type_iri = _required_text(lazy_gettext("Quality assurance: type IRI"))
    qa_type_label = _required_text(lazy_gettext("Quality assurance: type name"))
    qa_agent_id = _required_text(lazy_gettext("Agency: DID"))
    qa_agent_name = _required_text(lazy_gettext("Agency: legal name"))
    qa_agent_country = StringField(
        lazy_gettext("Agency: country code"),
        filters=[strip, upper],
        validators=[
            DataRequired(REQUIRED),
            Regexp(
                COUNTRY, message=lazy_gettext("Enter a three-letter country code, such as DNK.")
            ),
        ],
    )
    qa_agent_country_label = _required_text(lazy_gettext("Agency: country name"))
    prerequisites = TextAreaField(lazy_gettext("Prerequisites"), filters=[strip])
    language = SelectField(
        lazy_gettext("Language of instruction"),
        choices=options((code, f"{name} ({code})") for code, name in LANGUAGES.items()),
        default="ENG",
        filters=[strip],
        validate_choice=False,
    )

    def specification_json(self) -> dict[str, Any]:
        """The specification (the API's shape) the fields describe, as far as they are filled
        in and readable; the short name made from the English title when it is empty."""
        data: dict[str, Any] = {"slug": self.slug.data or slugify(self.title_en.data or "")}
        if self.title_en.data:
            data["title"] = {"en": self.title_en.data}
        for field, member in (
            ("description_en", "description"),
            ("assessment_type", "assessmentType"),
            ("prerequisites", "prerequisites"),
        ):
            if self[field].data:
                data[member] = {"en": self[field].data}
        data["learningOutcomes"] = self.learning_outcomes.data or []
        if self.ects.data is not None:
            data["ects"] = self.ects.data
        if self.hours.data is not None:
            data["volumeOfLearning"] = f"PT{self.hours.data}H"
        if self.eqf_level.data is not None:
            data["eqfLevel"] = self.eqf_level.data
        for field, member in (
            ("isced_field", "iscedField"),
            ("isced_label", "iscedLabel"),
            ("participation_mode", "participationMode"),
            ("learning_setting", "learningSetting"),
            ("language", "language"),
        ):
            if self[field].data:
                data[member] = self[field].data
        if not any(self[field].errors for field in QA_FIELDS):
            quality = {member: self[field].data for field, member in QA_FIELDS.items()}
            data["qualityAssurance"] = {
                "title": {"en": quality["title"]},
                "typeIri": quality["typeIri"],
                "typeLabel": quality["typeLabel"],
                "agent": {k: quality[k] for k in ("id", "legalName", "country", "countryLabel")},
            }
        add_translations(self, data)
        return data

    def checked(self) -> dict[str, Any] | None:
        """The specification JSON when neither the form nor ``validate_specification`` finds a
        problem; otherwise None, every problem shown at its field (the form's own first)."""
        self.validate()
        data = self.specification_json()
        try:
            validate_specification(data)
        except InvalidInput as error:
            self.service_problems(error)
        return None if self.problems() else data

    def service_problems(self, error: InvalidInput) -> None:
        """Show the service's problem with each member at its field, unless the field shows a
        problem of the form's own already."""
        problems = field_problems(error)
        for member, problem in problems.items():
            field = MEMBER_FIELDS.get(member, FORM)
            if self.has_error(field) or (field == "qa" and any(map(self.has_error, QA_FIELDS))):
                continue
            if field == "slug" and problem == "required" and "title" in problems:
                continue  # the short name is made from the title, which is missing
            if problem == "required":
                self.add_error(field, str(REQUIRED))
            else:
                self.add_error(field, str(MESSAGES.get(field, _("This value is not valid."))))

    def slug_taken(self) -> None:
        """Show that the partnership has a specification with this short name already."""
        self.add_error("slug", _("A specification with this short name exists already."))
