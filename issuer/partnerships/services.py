"""Partnerships, their member organisations, signing keys and specifications.

Every organisation is identified by a did:web under the issuer's own base URL
(``did:web:<host>:orgs:<partnership>:<organisation>``), whose DID document lists its current,
retired and compromised keys. Secret keys are stored sealed with the key passphrase.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.errors import Conflict, InvalidInput, NotFound
from issuer.models import KeyState, Organisation, Partnership, SigningKey, Specification, utcnow
from keys.did_web import PublishedKey
from keys.keypairs import Algorithm, KeyPair
from keys.keystore import open_keypair, seal_keypair
from schemas.elm.build import LearningOutcome, QualityAssurance
from schemas.elm.build import Organisation as OrganisationData
from schemas.elm.build import Specification as SpecificationData
from schemas.elm.vocab import LEARNING_SETTINGS, PARTICIPATION_MODES

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
COUNTRY = re.compile(r"^[A-Z]{3}$")
DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$")
ISCED = re.compile(r"^\d{2,4}$")
MAX_DURATION = 40  # specifications.volume_of_learning
MAX_ISCED_LABEL = 300  # specifications.isced_label


def did_web_base(base_url: str) -> str:
    """The did:web method-specific prefix for the issuer at ``base_url`` (port %3A-encoded)."""
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    if parts.port:
        host += f"%3A{parts.port}"
    path = [segment for segment in parts.path.split("/") if segment]
    return ":".join(["did:web", host, *path])


def organisation_did(base_url: str, partnership_slug: str, organisation_slug: str) -> str:
    """The did:web of an organisation: its DID document is served at
    ``<base>/orgs/<partnership>/<organisation>/did.json``."""
    return f"{did_web_base(base_url)}:orgs:{partnership_slug}:{organisation_slug}"


def _slug(value: Any, field: str) -> str:
    if not isinstance(value, str) or not SLUG.match(value):
        raise InvalidInput(
            f"{field} must be lower-case letters, digits and hyphens (1-64)",
            details={"field": field},
        )
    return value


def create_partnership(session: Session, slug: str, name: str) -> Partnership:
    """Create a partnership; ``Conflict`` if the slug is taken."""
    _slug(slug, "slug")
    if session.scalar(select(Partnership).where(Partnership.slug == slug)) is not None:
        raise Conflict(f"a partnership called {slug!r} exists already")
    partnership = Partnership(slug=slug, name=name)
    session.add(partnership)
    session.flush()
    return partnership


def add_organisation(
    session: Session,
    partnership: Partnership,
    *,
    slug: str,
    legal_name: str,
    country: str,
    country_label: str,
    base_url: str,
    passphrase: bytes,
    identifier: str | None = None,
    homepage: str | None = None,
    algorithm: Algorithm = Algorithm.ED25519,
) -> Organisation:
    """Add a member organisation with a did:web and a first signing key (sealed)."""
    _slug(slug, "slug")
    if not COUNTRY.match(country):
        raise InvalidInput(
            "country must be an ISO 3166-1 alpha-3 code such as DNK", details={"field": "country"}
        )
    did = organisation_did(base_url, partnership.slug, slug)
    if session.scalar(select(Organisation).where(Organisation.did == did)) is not None:
        raise Conflict(f"organisation {slug!r} exists already in {partnership.slug!r}")
    organisation = Organisation(
        partnership_id=partnership.id,
        slug=slug,
        legal_name=legal_name,
        country=country,
        country_label=country_label,
        identifier=identifier,
        homepage=homepage,
        did=did,
    )
    session.add(organisation)
    session.flush()
    add_signing_key(session, organisation, passphrase=passphrase, algorithm=algorithm)
    return organisation


def add_signing_key(
    session: Session,
    organisation: Organisation,
    *,
    passphrase: bytes,
    algorithm: Algorithm = Algorithm.ED25519,
) -> SigningKey:
    """Generate a new current key for ``organisation``; earlier current keys become retired
    (they stay in the DID document, so credentials they signed still verify)."""
    number = len(organisation.keys) + 1
    method_id = f"{organisation.did}#key-{number}"
    keypair = KeyPair.generate(algorithm, id=method_id, controller=organisation.did)
    for key in organisation.keys:
        if key.state is KeyState.CURRENT:
            key.state = KeyState.RETIRED
            key.retired_at = utcnow()
    signing_key = SigningKey(
        organisation_id=organisation.id,
        method_id=method_id,
        algorithm=algorithm.value,
        public_key_multibase=keypair.public_key_multibase,
        sealed_secret=seal_keypair(keypair, passphrase),
        state=KeyState.CURRENT,
    )
    session.add(signing_key)
    organisation.keys.append(signing_key)
    session.flush()
    return signing_key


def current_key(organisation: Organisation) -> SigningKey:
    """The organisation's current signing key; ``Conflict`` if it has none."""
    for key in reversed(organisation.keys):
        if key.state is KeyState.CURRENT:
            return key
    raise Conflict(f"organisation {organisation.slug!r} has no current signing key")


def signing_keypair(organisation: Organisation, passphrase: bytes) -> KeyPair:
    """The organisation's current key pair, opened with ``passphrase``.

    Opening a sealed key stretches the passphrase (scrypt, ~0.1 s), so opened keys are kept in
    memory for the life of the process, keyed by the sealed form and the passphrase's hash: a
    rotated key or a changed passphrase never hits a stale entry.
    """
    sealed = current_key(organisation).sealed_secret
    fingerprint = hashlib.sha256(
        json.dumps(sealed, sort_keys=True).encode() + b"\0" + passphrase
    ).hexdigest()
    with _OPENED_LOCK:
        cached = _OPENED.get(fingerprint)
    if cached is not None:
        return cached
    keypair = open_keypair(sealed, passphrase)
    with _OPENED_LOCK:
        _OPENED[fingerprint] = keypair
        while len(_OPENED) > _OPENED_MAX:
            _OPENED.pop(next(iter(_OPENED)))
    return keypair


_OPENED: dict[str, KeyPair] = {}
_OPENED_LOCK = threading.Lock()
_OPENED_MAX = 256


def published_key(organisation: Organisation, key: SigningKey) -> PublishedKey:
    """``key`` as the organisation's DID document publishes it: current; retired with
    ``expires`` = ``retired_at``; compromised with ``revoked`` = ``compromised_at``.

    A retired or compromised key missing its time (no code path writes one) is published as of
    its creation, so it verifies nothing rather than everything.
    """
    pair = KeyPair.from_multikey({"publicKeyMultibase": key.public_key_multibase}).with_ids(
        key.method_id, organisation.did
    )
    if key.state is KeyState.COMPROMISED:
        return PublishedKey.compromised(pair, key.compromised_at or key.created_at)
    if key.state is KeyState.RETIRED:
        return PublishedKey.retired(pair, key.retired_at or key.created_at)
    return PublishedKey(pair)


def public_keypairs(organisation: Organisation) -> list[PublishedKey]:
    """The organisation's public keys with their lifecycle, for its DID document
    (``keys.did_web.build_did_document``): current keys first, then retired and compromised
    ones, each group oldest first."""
    keys = sorted(organisation.keys, key=lambda k: (k.state is not KeyState.CURRENT, k.id))
    return [published_key(organisation, key) for key in keys]


def organisation_data(organisation: Organisation) -> OrganisationData:
    """The organisation as the credential builder wants it."""
    return OrganisationData(
        id=organisation.did,
        legal_name=organisation.legal_name,
        country=organisation.country,
        country_label=organisation.country_label,
        homepage=organisation.homepage,
        identifier=organisation.identifier,
    )


def get_organisation(session: Session, partnership_id: int, slug: str) -> Organisation:
    """The partnership's organisation ``slug``; ``NotFound`` otherwise."""
    organisation = session.scalar(
        select(Organisation).where(
            Organisation.partnership_id == partnership_id, Organisation.slug == slug
        )
    )
    if organisation is None:
        raise NotFound(f"no organisation {slug!r} in this partnership")
    return organisation


# --- specifications ---------------------------------------------------------------------------

SPECIFICATION_FIELDS = (
    "slug",
    "title",
    "learningOutcomes",
    "ects",
    "volumeOfLearning",
    "eqfLevel",
    "iscedField",
    "iscedLabel",
    "assessmentType",
    "participationMode",
    "qualityAssurance",
)


def _language_map(value: Any, field: str) -> dict[str, str]:
    if isinstance(value, str) and value.strip():
        return {"en": value}
    if (
        isinstance(value, Mapping)
        and value
        and all(isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in value.items())
    ):
        return dict(value)
    raise InvalidInput(
        f"{field} must be a non-empty string or a language map", details={"field": field}
    )


def validate_specification(data: Any) -> dict[str, Any]:
    """Check a specification's JSON (the API's shape) and return it normalised.

    Raises ``InvalidInput`` whose ``details.fields`` lists every missing or malformed field, so
    a caller fixes everything in one go. The Annex I elements are all required.
    """
    if not isinstance(data, Mapping):
        raise InvalidInput("a specification must be a JSON object")
    problems: dict[str, str] = {}
    missing = [f for f in SPECIFICATION_FIELDS if data.get(f) in (None, "", [], {})]
    for field in missing:
        problems[field] = "required"
    result: dict[str, Any] = {}

    def check(field: str, fn: Any) -> None:
        if field in problems or data.get(field) is None:  # "" is malformed, not absent
            return
        try:
            result[field] = fn(data[field])
        except (InvalidInput, ValueError, TypeError, InvalidOperation) as error:
            problems[field] = getattr(error, "message", None) or str(error) or "malformed"

    def slug(v: Any) -> str:
        return _slug(v, "slug")

    def ects(v: Any) -> Decimal:
        number = Decimal(str(v))
        if not number.is_finite() or number <= 0 or number > 180:
            raise ValueError("ECTS must be a positive number up to 180")
        return number

    def eqf(v: Any) -> int:
        if isinstance(v, float) and v.is_integer():
            v = int(v)  # 8.0 is an integer in JSON (and JSON Schema)
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 8:
            raise ValueError("eqfLevel must be an integer from 1 to 8")
        return v

    def duration(v: Any) -> str:
        if not isinstance(v, str) or len(v) > MAX_DURATION or not DURATION.match(v):
            raise ValueError("volumeOfLearning must be an ISO 8601 duration such as PT125H")
        return v

    def isced(v: Any) -> str:
        if not isinstance(v, str) or not ISCED.match(v):
            raise ValueError("iscedField must be an ISCED-F 2013 code such as 0688")
        return v

    def mode(v: Any) -> str:
        if v not in PARTICIPATION_MODES:
            raise ValueError(f"participationMode must be one of {sorted(PARTICIPATION_MODES)}")
        return str(v)

    def setting(v: Any) -> str:
        if v not in LEARNING_SETTINGS:
            raise ValueError(f"learningSetting must be one of {sorted(LEARNING_SETTINGS)}")
        return str(v)

    def label(v: Any) -> str:
        if not isinstance(v, str) or not v.strip() or len(v) > MAX_ISCED_LABEL:
            raise ValueError(f"iscedLabel must be a non-empty string of at most {MAX_ISCED_LABEL}")
        return v

    def language(v: Any) -> str:
        if not isinstance(v, str) or not COUNTRY.match(v):
            raise ValueError("language must be an EU language code such as ENG")
        return v

    def outcomes(v: Any) -> list[dict[str, Any]]:
        if not isinstance(v, list) or not v:
            raise ValueError("learningOutcomes must be a non-empty list")
        normalised = []
        for n, item in enumerate(v):
            if isinstance(item, str):
                item = {"title": item}
            if not isinstance(item, Mapping):
                raise ValueError(f"learning outcome {n + 1} must be an object or a string")
            skills = item.get("escoSkills", [])
            if not isinstance(skills, list) or not all(
                isinstance(s, Mapping)
                and isinstance(s.get("id"), str)
                and s["id"].startswith("http://data.europa.eu/esco/skill/")
                and isinstance(s.get("label"), str)
                for s in skills
            ):
                raise ValueError(
                    f"learning outcome {n + 1}: escoSkills must be [{{id: ESCO skill IRI, label}}]"
                )
            normalised.append(
                {
                    "title": _language_map(item.get("title"), f"learning outcome {n + 1} title"),
                    "escoSkills": [{"id": s["id"], "label": s["label"]} for s in skills],
                }
            )
        return normalised

    def quality(v: Any) -> dict[str, Any]:
        if not isinstance(v, Mapping):
            raise ValueError("qualityAssurance must be an object")
        agent = v.get("agent")
        if not isinstance(agent, Mapping) or not all(
            isinstance(agent.get(k), str) and agent.get(k)
            for k in ("id", "legalName", "country", "countryLabel")
        ):
            raise ValueError("qualityAssurance.agent needs id, legalName, country, countryLabel")
        if not COUNTRY.match(agent["country"]):
            raise ValueError("qualityAssurance.agent.country must be a country code such as DNK")
        if not isinstance(v.get("typeIri"), str) or not isinstance(v.get("typeLabel"), str):
            raise ValueError("qualityAssurance needs typeIri and typeLabel")
        return {
            "title": _language_map(v.get("title"), "qualityAssurance.title"),
            "typeIri": v["typeIri"],
            "typeLabel": v["typeLabel"],
            "agent": {k: agent[k] for k in ("id", "legalName", "country", "countryLabel")},
        }

    check("slug", slug)
    check("title", lambda v: _language_map(v, "title"))
    check("description", lambda v: _language_map(v, "description"))
    check("learningOutcomes", outcomes)
    check("ects", ects)
    check("volumeOfLearning", duration)
    check("eqfLevel", eqf)
    check("iscedField", isced)
    check("iscedLabel", label)
    check("assessmentType", lambda v: _language_map(v, "assessmentType"))
    check("participationMode", mode)
    check("learningSetting", setting)
    check("qualityAssurance", quality)
    check("prerequisites", lambda v: _language_map(v, "prerequisites"))
    check("language", language)
    if problems:
        raise InvalidInput(
            "the specification is missing or has malformed fields",
            details={"fields": problems},
        )
    return result


def create_specification(
    session: Session, partnership: Partnership, data: Any, *, base_url: str
) -> Specification:
    """Validate ``data`` and store it as a new specification of ``partnership``."""
    valid = validate_specification(data)
    slug = valid["slug"]
    exists = session.scalar(
        select(Specification).where(
            Specification.partnership_id == partnership.id, Specification.slug == slug
        )
    )
    if exists is not None:
        raise Conflict(f"specification {slug!r} exists already")
    specification = Specification(
        partnership_id=partnership.id,
        slug=slug,
        uri=f"{base_url.rstrip('/')}/specifications/{partnership.slug}/{slug}",
        title=valid["title"],
        description=valid.get("description"),
        learning_outcomes=valid["learningOutcomes"],
        ects=valid["ects"],
        volume_of_learning=valid["volumeOfLearning"],
        eqf_level=valid["eqfLevel"],
        isced_field=valid["iscedField"],
        isced_label=valid["iscedLabel"],
        assessment_type=valid["assessmentType"],
        participation_mode=valid["participationMode"],
        learning_setting=valid.get("learningSetting", "non-formal"),
        quality_assurance=valid["qualityAssurance"],
        prerequisites=valid.get("prerequisites"),
        language=valid.get("language", "ENG"),
    )
    session.add(specification)
    session.flush()
    return specification


def specification_json(specification: Specification) -> dict[str, Any]:
    """The API JSON of a stored specification (the shape ``validate_specification`` takes)."""
    data: dict[str, Any] = {
        "slug": specification.slug,
        "uri": specification.uri,
        "title": specification.title,
        "learningOutcomes": specification.learning_outcomes,
        "ects": str(specification.ects.normalize()),
        "volumeOfLearning": specification.volume_of_learning,
        "eqfLevel": specification.eqf_level,
        "iscedField": specification.isced_field,
        "iscedLabel": specification.isced_label,
        "assessmentType": specification.assessment_type,
        "participationMode": specification.participation_mode,
        "learningSetting": specification.learning_setting,
        "qualityAssurance": specification.quality_assurance,
        "language": specification.language,
    }
    if specification.description:
        data["description"] = specification.description
    if specification.prerequisites:
        data["prerequisites"] = specification.prerequisites
    return data


def specification_data(specification: Specification) -> SpecificationData:
    """The stored specification as the credential builder wants it."""
    qa = specification.quality_assurance
    agent = qa["agent"]
    return SpecificationData(
        id=specification.uri,
        title=specification.title,
        description=specification.description,
        learning_outcomes=[
            LearningOutcome(
                title=outcome["title"],
                esco_skills=[(s["id"], s["label"]) for s in outcome.get("escoSkills", [])],
            )
            for outcome in specification.learning_outcomes
        ],
        ects=Decimal(specification.ects).normalize(),
        volume_of_learning=specification.volume_of_learning,
        eqf_level=specification.eqf_level,
        isced_field=specification.isced_field,
        isced_label=specification.isced_label,
        assessment_type=specification.assessment_type,
        participation_mode=specification.participation_mode,
        learning_setting=specification.learning_setting,
        quality_assurance=QualityAssurance(
            title=qa["title"],
            type_iri=qa["typeIri"],
            type_label=qa["typeLabel"],
            agent=OrganisationData(
                id=agent["id"],
                legal_name=agent["legalName"],
                country=agent["country"],
                country_label=agent["countryLabel"],
            ),
        ),
        prerequisites=specification.prerequisites,
        language=specification.language,
    )


def get_specification(session: Session, partnership_id: int, slug: str) -> Specification:
    """The partnership's specification ``slug``; ``NotFound`` otherwise."""
    specification = session.scalar(
        select(Specification).where(
            Specification.partnership_id == partnership_id, Specification.slug == slug
        )
    )
    if specification is None:
        raise NotFound(
            f"no specification {slug!r} in this partnership", code="unknown_specification"
        )
    return specification
