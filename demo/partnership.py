"""The demo partnership in the database: two universities and an employer, one specification,
an API token per role and a staff user per organisation. ``make run`` and the tests start
from it.

``make run`` and ``microcred demo setup`` use :func:`ensure_demo`: the newest schema, the demo
partnership if it is absent, and a fresh issuer token.

The demo staff users sign in to the staff pages (``/staff``) as ``staff@<organisation>.example``
(e.g. ``staff@aarhus-demo-university.example``) with the password in ``MICROCRED_DEMO_PASSWORD``,
or the demo-only default ``DEFAULT_DEMO_PASSWORD`` when it is unset.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from demo.token import kept_token
from issuer import config
from issuer.auth.tokens import create_token
from issuer.cli import check_passphrase_opens_keys, engine_of, ensure_sqlite_folder, passphrase_of
from issuer.db import transaction, upgrade
from issuer.models import Organisation, Partnership, Role, Specification, User, utcnow
from issuer.partnerships.services import (
    add_organisation,
    create_partnership,
    get_organisation,
    organisation_did,
)
from issuer.specifications.services import create_specification

DEMO_PARTNERSHIP = ("green-skills-alliance", "Green Skills Alliance")
DEMO_ORGANISATIONS = [
    # slug, legal name, country, country label, identifier
    ("aarhus-demo-university", "Aarhus Demo University", "DNK", "Denmark", "DK AARHUS01"),
    ("lyon-demo-university", "Université de Lyon (démo)", "FRA", "France", "F LYON100"),
    ("nordic-wind-employer", "Nordic Wind A/S (demo employer)", "DNK", "Denmark", "DK12345678"),
]

DEMO_PASSWORD_ENV = "MICROCRED_DEMO_PASSWORD"
DEFAULT_DEMO_PASSWORD = "demo-staff-password"  # demo only: set MICROCRED_DEMO_PASSWORD


def demo_staff_email(organisation_slug: str) -> str:
    """The demo staff user's e-mail address of a demo organisation."""
    return f"staff@{organisation_slug}.example"


def demo_password() -> str:
    """The demo staff users' password: ``MICROCRED_DEMO_PASSWORD`` or the demo default."""
    return os.environ.get(DEMO_PASSWORD_ENV) or DEFAULT_DEMO_PASSWORD


DEMO_SPECIFICATION: dict[str, Any] = {
    "slug": "green-data-analytics",
    "title": {"en": "Green Data Analytics", "da": "Grøn dataanalyse"},
    "description": {"en": "Analysing energy and emissions data to support sustainable decisions."},
    "learningOutcomes": [
        {
            "title": {"en": "Collect and clean energy consumption data"},
            "escoSkills": [
                {
                    "id": "http://data.europa.eu/esco/skill/5fd5c985-eaaa-47aa-8314-62359c54505a",
                    "label": "develop digital content",
                }
            ],
        },
        {"title": {"en": "Model emissions with statistical methods"}, "escoSkills": []},
        {
            "title": {"en": "Communicate findings to decision makers"},
            "escoSkills": [
                {
                    "id": "http://data.europa.eu/esco/skill/80f308e6-0e09-404a-80cd-ec5f50f6f304",
                    "label": "communicate with target community",
                }
            ],
        },
    ],
    "ects": "5",
    "volumeOfLearning": "PT125H",
    "eqfLevel": 6,
    "iscedField": "0688",
    "iscedLabel": "Inter-disciplinary programmes involving ICTs",
    "assessmentType": {"en": "Written project report with oral defence"},
    "participationMode": "blended",
    "learningSetting": "non-formal",
    "qualityAssurance": {
        "title": {"en": "Institutional accreditation"},
        "typeIri": "urn:microcred:concept:accreditation:institutional",
        "typeLabel": "Institutional accreditation",
        "agent": {
            "id": "did:web:agency.example",
            "legalName": "Danish Accreditation Institution",
            "country": "DNK",
            "countryLabel": "Denmark",
        },
    },
    "prerequisites": {"en": "Basic statistics (EQF 5 or equivalent)."},
    "language": "ENG",
}


@dataclass
class Demo:
    """What the demo consists of, with the secret of each token (shown only here)."""

    partnership: Partnership
    organisations: list[Organisation]
    specification: Specification
    tokens: dict[str, str] = field(default_factory=dict)  # "<org-slug>:<role>" → secret
    # the staff sign-ins created for the demo: e-mail address → password
    staff_logins: dict[str, str] = field(default_factory=dict)


def add_demo_staff(
    session: Session, organisations: Sequence[Organisation], password: str | None = None
) -> dict[str, str]:
    """Make sure each organisation has its demo staff user (admin role), created with
    ``password`` (default: ``demo_password()``); an existing user is left as it is. Returns the
    users created, e-mail address → password."""
    password = password or demo_password()
    created: dict[str, str] = {}
    for organisation in organisations:
        email = demo_staff_email(organisation.slug)
        if session.scalar(select(User.id).where(func.lower(User.email) == email)) is not None:
            continue
        session.add(
            User(
                organisation_id=organisation.id,
                email=email,
                name=f"{organisation.legal_name} staff",
                role=Role.ADMIN,
                password_hash=generate_password_hash(password),  # as issuer.auth.staff
            )
        )
        created[email] = password
    session.flush()
    return created


def create_demo(
    session: Session, *, base_url: str, passphrase: bytes, staff_password: str | None = None
) -> Demo:
    """Create the demo partnership, its three organisations (each with a key), the demo
    specification, tokens (admin, issuer, viewer for each organisation) and a staff user per
    organisation (admin, password ``staff_password`` or ``demo_password()``)."""
    partnership = create_partnership(session, *DEMO_PARTNERSHIP)
    organisations = [
        add_organisation(
            session,
            partnership,
            slug=slug,
            legal_name=name,
            country=country,
            country_label=label,
            identifier=identifier,
            base_url=base_url,
            passphrase=passphrase,
        )
        for slug, name, country, label, identifier in DEMO_ORGANISATIONS
    ]
    specification = create_specification(
        session, partnership, DEMO_SPECIFICATION, base_url=base_url
    )
    demo = Demo(partnership, organisations, specification)
    for organisation in organisations:
        for role in Role:
            _, secret = create_token(session, organisation, role, f"{organisation.slug}-{role}")
            demo.tokens[f"{organisation.slug}:{role.value}"] = secret
    demo.staff_logins = add_demo_staff(session, organisations, staff_password)
    return demo


# --- make run and `microcred demo setup`: the demo in a database, and a fresh token ----------


@dataclass(frozen=True)
class DemoSetup:
    """What :func:`ensure_demo` did: whether it created the partnership; a fresh issuer token."""

    created: bool
    token: str
    partnership: str
    organisation: str
    did: str
    expected_did: str


def ensure_demo(app: Flask, *, token_file: Path | None = None) -> DemoSetup:
    """Bring the database to the newest schema and make sure the demo partnership exists;
    return an issuer token of its first organisation. Only token hashes are stored, so an
    existing demo gets a new token, named ``demo-<timestamp>`` — unless ``token_file`` keeps
    one that is still valid (``make run``: :func:`demo.token.kept_token`, which also revokes
    the older ``demo-…`` tokens)."""
    engine = engine_of(app)
    ensure_sqlite_folder(engine)
    upgrade(engine)
    base_url = config.base_url(app)
    slug, organisation_slug = DEMO_PARTNERSHIP[0], DEMO_ORGANISATIONS[0][0]
    with transaction(app) as session:
        partnership = session.scalar(select(Partnership).where(Partnership.slug == slug))
        if partnership is None:
            passphrase = passphrase_of(app)
            check_passphrase_opens_keys(session, passphrase)
            demo = create_demo(session, base_url=base_url, passphrase=passphrase)
            organisation = demo.organisations[0]
            token = demo.tokens[f"{organisation.slug}:{Role.ISSUER.value}"]
            created = True
            if token_file is not None:
                token, _ = kept_token(session, organisation, token_file, fresh=token)
        else:
            organisation = get_organisation(session, partnership.id, organisation_slug)
            add_demo_staff(session, list(partnership.organisations))
            created = False
            if token_file is not None:
                token, _ = kept_token(session, organisation, token_file)
            else:
                name = f"demo-{utcnow().strftime('%Y%m%dT%H%M%S%fZ')}"
                _, token = create_token(session, organisation, Role.ISSUER, name)
        return DemoSetup(
            created=created,
            token=token,
            partnership=slug,
            organisation=organisation.slug,
            did=organisation.did,
            expected_did=organisation_did(base_url, slug, organisation.slug),
        )


def describe_demo(setup: DemoSetup) -> list[str]:
    """Notes for stderr about the demo partnership."""
    lines = [
        f"demo partnership {setup.partnership} "
        + ("created" if setup.created else "exists already"),
        f"the token issues as {setup.organisation} ({setup.did})",
        f"staff pages: /staff — sign in as {demo_staff_email(setup.organisation)} with "
        f"password {demo_password()!r} (MICROCRED_DEMO_PASSWORD)",
    ]
    if setup.did != setup.expected_did:
        lines.append(
            f"warning: the demo was created for another base URL than {setup.expected_did}; "
            "its DIDs will not resolve here (remove the database to start afresh)"
        )
    return lines
