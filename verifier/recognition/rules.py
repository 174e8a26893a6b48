"""Recognition rules: the document a recognising institution writes, its JSON Schema
(``rule.schema.json``, Draft 2020-12) and the model the evaluation reads.

A rule is JSON or YAML (see ``docs/recognition.md``). :func:`parse_rule` reads one from text,
checks it against the schema and a few rules a schema cannot say (``min`` not above ``max``,
no more skills asked for than listed), and gives a :class:`Rule`; anything else raises
:class:`RuleError` whose ``code`` is stable (``rule_unreadable``, ``rule_invalid``,
``rule_not_found``) and whose ``details.path`` names the place (``criteria.eqfLevel.min``).

Rules also come from a directory (``MICROCRED_RECOGNITION_RULES``): every ``*.json``,
``*.yaml`` and ``*.yml`` file in it is one rule, found by its ``id`` or its file name.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, Final

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from schemas.elm.read import text

RULES_ENV: Final = "MICROCRED_RECOGNITION_RULES"
SCHEMA_PATH: Final = Path(__file__).with_name("rule.schema.json")
MAX_RULE_BYTES: Final = 64 * 1024
RULE_SUFFIXES: Final = (".json", ".yaml", ".yml")

RULE_UNREADABLE: Final = "rule_unreadable"
RULE_INVALID: Final = "rule_invalid"
RULE_NOT_FOUND: Final = "rule_not_found"

#: The member states of the European Union (ISO 3166 alpha-3): what ``EU`` means in a rule's
#: ``provider.jurisdictions``.
EU_MEMBER_STATES: Final = frozenset(
    {
        "AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC", "HUN",
        "IRL", "ITA", "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK", "SVN", "ESP",
        "SWE",
    }
)  # fmt: skip
#: The trust sources a rule may name, and the ``source`` the accreditation check reports.
SOURCES: Final = {"registry": "registry", "trustedIssuers": "list"}


class RuleError(ValueError):
    """A rule that cannot be used: a stable ``code``, a message naming the place, and
    ``details`` (``path``, ``source``)."""

    def __init__(self, code: str, message: str, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.details = code, message, dict(details or {})

    def to_dict(self) -> dict[str, Any]:
        """``{"error": {"code", "message", "details"}}``."""
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


@dataclass(frozen=True)
class Skill:
    """An ESCO skill a rule asks for: its IRI and, if the rule gives one, its label."""

    id: str
    label: Any = None

    def name(self, languages: tuple[str, ...] = ("en",)) -> str:
        """The label in the first of ``languages`` the rule has, else the IRI."""
        return text(self.label, languages) or self.id


@dataclass(frozen=True)
class AccreditationType:
    """A kind of accreditation (the registry record's ``dcType``) a rule accepts."""

    id: str
    label: Any

    def name(self, languages: tuple[str, ...] = ("en",)) -> str:
        """The label in the first of ``languages`` the rule has, else the IRI."""
        return text(self.label, languages) or self.id


@dataclass(frozen=True)
class Provider:
    """Who must have awarded a credential that counts: vouched for by one of ``sources``
    (the accreditation check's ``registry`` / ``list``), accredited as one of ``types`` (none:
    any), established in one of ``countries`` (None: anywhere)."""

    sources: frozenset[str]
    types: tuple[AccreditationType, ...] = ()
    countries: frozenset[str] | None = None
    places: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rule:
    """A parsed, valid rule. ``document`` is the rule as written (JSON data)."""

    id: str
    document: Mapping[str, Any]
    eqf_min: int | None = None
    eqf_max: int | None = None
    fields: tuple[str, ...] = ()
    provider: Provider | None = None
    issued_within_years: int | None = None
    assessed: bool = False
    ects_min: Decimal | None = None
    hours_per_credit: Decimal | None = None
    skills: tuple[Skill, ...] = ()
    skills_at_least: int = 0
    skills_assessed_only: bool = True

    def title(self, languages: tuple[str, ...] = ("en",)) -> str:
        """The rule's title in the first of ``languages`` it has."""
        return text(self.document.get("title"), languages) or self.id

    def target(self, languages: tuple[str, ...] = ("en",)) -> str:
        """What the credentials are recognised as ("Elective DS-E1 (5 ECTS)")."""
        recognised = self.document["recognisedAs"]
        name = text(recognised.get("title"), languages) or self.id
        if recognised.get("ects") is not None:
            name += f" ({_number(Decimal(str(recognised['ects'])))} ECTS)"
        return name

    def institution(self, languages: tuple[str, ...] = ("en",)) -> str:
        """The recognising institution's name."""
        return text(self.document["institution"].get("name"), languages) or ""


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


@cache
def rule_schema() -> dict[str, Any]:
    """The rule's JSON Schema (Draft 2020-12), as shipped beside this module."""
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


@cache
def _validator() -> Draft202012Validator:
    Draft202012Validator.check_schema(rule_schema())
    return Draft202012Validator(rule_schema())


class _NoAliases(yaml.SafeLoader):
    """YAML without anchors and aliases (a rule needs none; they can multiply a small file)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise yaml.YAMLError("YAML aliases (*name) are not allowed in a rule")
        return super().compose_node(parent, index)


def read_rule_data(data: str | bytes, source: str = "rule") -> Any:
    """The JSON value of a rule written as JSON or YAML (at most 64 KB); :class:`RuleError`
    (``rule_unreadable``) for anything else."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > MAX_RULE_BYTES:
        raise RuleError(
            RULE_UNREADABLE, f"{source}: larger than {MAX_RULE_BYTES} bytes", {"source": source}
        )
    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise RuleError(RULE_UNREADABLE, f"{source}: not UTF-8 text", {"source": source}) from None
    if content.lstrip().startswith("{"):
        try:
            return json.loads(content)
        except ValueError as error:
            raise RuleError(
                RULE_UNREADABLE, f"{source}: not JSON ({error})", {"source": source}
            ) from None
    try:
        return yaml.load(content, Loader=_NoAliases)  # a SafeLoader
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise RuleError(
            RULE_UNREADABLE, f"{source}: not JSON or YAML{line} ({problem})", {"source": source}
        ) from None


def _path(error: ValidationError) -> str:
    return ".".join(str(part) for part in error.absolute_path) or "(the rule)"


def _invalid(source: str, path: str, problem: str) -> RuleError:
    return RuleError(RULE_INVALID, f"{source}: {path}: {problem}", {"source": source, "path": path})


def validate_rule(document: Any, source: str = "rule") -> None:
    """Raise :class:`RuleError` (``rule_invalid``, naming the path) unless ``document`` is a
    rule the schema and the evaluation accept."""
    error = best_match(_validator().iter_errors(document))
    if error is not None:
        raise _invalid(source, _path(error), error.message)
    criteria = document["criteria"]
    eqf = criteria.get("eqfLevel", {})
    if "min" in eqf and "max" in eqf and eqf["min"] > eqf["max"]:
        raise _invalid(source, "criteria.eqfLevel", "min is above max")
    skills = criteria.get("escoSkills")
    if skills is not None:
        ids = [skill["id"] for skill in skills["skills"]]
        if len(set(ids)) != len(ids):
            raise _invalid(source, "criteria.escoSkills.skills", "a skill is listed twice")
        if skills["atLeast"] > len(ids):
            raise _invalid(
                source,
                "criteria.escoSkills.atLeast",
                f"asks for {skills['atLeast']} skills but lists {len(ids)}",
            )


def parse_rule(data: str | bytes | Mapping[str, Any], source: str = "rule") -> Rule:
    """A :class:`Rule` from JSON or YAML text (or already parsed JSON data); raises
    :class:`RuleError` naming the source and the path of the first fault."""
    document = data if isinstance(data, Mapping) else read_rule_data(data, source)
    validate_rule(document, source)
    return _model(document)


def _model(document: Mapping[str, Any]) -> Rule:
    criteria = document["criteria"]
    eqf = criteria.get("eqfLevel", {})
    ects = criteria.get("ects")
    skills = criteria.get("escoSkills")
    provider = criteria.get("provider")
    return Rule(
        id=document["id"],
        document=document,
        eqf_min=eqf.get("min"),
        eqf_max=eqf.get("max"),
        fields=tuple(criteria.get("iscedFields", ())),
        provider=_provider(provider) if provider is not None else None,
        issued_within_years=criteria.get("issuedWithinYears"),
        assessed=criteria.get("assessed", False),
        ects_min=Decimal(str(ects["min"])) if ects else None,
        hours_per_credit=(
            Decimal(str(ects["hoursPerCredit"])) if ects and "hoursPerCredit" in ects else None
        ),
        skills=tuple(Skill(s["id"], s.get("label")) for s in skills["skills"]) if skills else (),
        skills_at_least=skills["atLeast"] if skills else 0,
        skills_assessed_only=skills.get("assessedOnly", True) if skills else True,
    )


def _provider(entry: Mapping[str, Any]) -> Provider:
    places = tuple(entry.get("jurisdictions", ()))
    countries = None
    if places:
        countries = frozenset(
            country
            for place in places
            for country in (EU_MEMBER_STATES if place == "EU" else {place})
        )
    return Provider(
        sources=frozenset(SOURCES[s] for s in entry.get("vouchedBy", list(SOURCES))),
        types=tuple(
            AccreditationType(t["id"], t["label"]) for t in entry.get("accreditationTypes", ())
        ),
        countries=countries,
        places=places,
    )


def load_rule_file(path: str | Path) -> Rule:
    """The rule in the file at ``path``; :class:`RuleError` when it cannot be read or used."""
    source = Path(path).name
    try:
        with Path(path).open("rb") as handle:
            data = handle.read(MAX_RULE_BYTES + 1)
    except OSError as error:
        raise RuleError(
            RULE_UNREADABLE, f"cannot read {path}: {error.strerror or error}", {"source": source}
        ) from None
    return parse_rule(data, source)


@dataclass(frozen=True)
class RuleBook:
    """The rules of a directory: those that can be used (by id), and the files that cannot,
    with why (``problems``: file name → RuleError)."""

    rules: Mapping[str, Rule]
    files: Mapping[str, str]
    problems: Mapping[str, RuleError]

    def find(self, name: str) -> Rule:
        """The rule whose id, or whose file name (with or without its suffix), is ``name``;
        :class:`RuleError` (``rule_not_found``, or the file's own fault) otherwise."""
        if name in self.rules:
            return self.rules[name]
        for file_name, rule_id in self.files.items():
            if name in (file_name, Path(file_name).stem):
                return self.rules[rule_id]
        for file_name, problem in self.problems.items():
            if name in (file_name, Path(file_name).stem):
                raise problem
        raise RuleError(RULE_NOT_FOUND, f"no recognition rule {name!r}", {"rule": name})


def load_rules_directory(directory: str | Path | None) -> RuleBook:
    """Every rule file in ``directory`` (none when it is None or empty). A file that cannot
    be used is kept in ``problems``; a second file with the same id is a problem too."""
    rules: dict[str, Rule] = {}
    files: dict[str, str] = {}
    problems: dict[str, RuleError] = {}
    if not directory:
        return RuleBook(rules, files, problems)
    folder = Path(directory)
    try:
        paths = sorted(p for p in folder.iterdir() if p.suffix in RULE_SUFFIXES and p.is_file())
    except OSError as error:
        problems[str(folder)] = RuleError(
            RULE_UNREADABLE, f"{RULES_ENV}: cannot read {folder} ({error.strerror or error})"
        )
        return RuleBook(rules, files, problems)
    for path in paths:
        try:
            rule = load_rule_file(path)
        except RuleError as error:
            problems[path.name] = error
            continue
        if rule.id in rules:
            problems[path.name] = RuleError(
                RULE_INVALID, f"{path.name}: id {rule.id} is used by another rule file"
            )
            continue
        rules[rule.id] = rule
        files[path.name] = rule.id
    return RuleBook(rules, files, problems)
