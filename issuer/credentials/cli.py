"""``microcred issuer issue``: issue one credential from the command line (added to the
``issuer`` group by :mod:`issuer.cli`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from issuer import config
from issuer.cli import (
    ACTOR,
    awarding_bodies_for,
    awarding_body_option,
    get_partnership,
    issuer_app,
    passphrase_of,
)
from issuer.credentials import issuance
from issuer.db import transaction
from issuer.partnerships.services import get_organisation
from issuer.sharing.links import share_url
from issuer.specifications.services import get_specification


@click.command("issue")
@click.argument("partnership_slug", metavar="PARTNERSHIP")
@click.option("--organisation", "organisation_slug", required=True, help="The issuing org.")
@click.option("--specification", "specification_slug", required=True, help="What is awarded.")
@click.option("--reference", required=True, help="The learner's reference (student number).")
@click.option("--given-name", required=True)
@click.option("--family-name", required=True)
@click.option("--email")
@click.option("--date-of-birth", help="YYYY-MM-DD.")
@click.option("--grade")
@awarding_body_option
@click.option(
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Write the signed credential JSON to this file (- for stdout).",
)
def issue_command(
    partnership_slug: str,
    organisation_slug: str,
    specification_slug: str,
    reference: str,
    given_name: str,
    family_name: str,
    email: str | None,
    date_of_birth: str | None,
    grade: str | None,
    awarding_bodies: tuple[str, ...],
    output: str | None,
) -> None:
    """Issue one credential; print its id, share URL and the learner's management URL."""
    learner = learner_input(reference, given_name, family_name, email, date_of_birth)
    with issuer_app() as app:
        passphrase = passphrase_of(app)
        base_url = config.base_url(app)
        written: Path | None = None
        try:
            with transaction(app) as session:
                partnership = get_partnership(session, partnership_slug)
                organisation = get_organisation(session, partnership.id, organisation_slug)
                issued = issuance.issue_credential(
                    session,
                    issuer=organisation,
                    specification=get_specification(session, partnership.id, specification_slug),
                    learner=learner,
                    awarding_bodies=awarding_bodies_for(
                        session, partnership, organisation, awarding_bodies
                    ),
                    actor=ACTOR,
                    base_url=base_url,
                    passphrase=passphrase,
                    grade=grade,
                )
                shown = issued_lines(issued, base_url)
                document = issued.credential.document
                if output and output != "-":
                    # inside the transaction: a file that cannot be written undoes the issuance
                    written = write_issued(Path(output), document)
        except BaseException:
            if written is not None:  # the issuance did not commit: neither does the file
                written.unlink(missing_ok=True)
            raise
    if output == "-":
        click.echo(document)
    for line in shown:
        click.echo(line, err=output == "-")


def write_issued(path: Path, document: str) -> Path:
    """Write the signed credential exactly as stored (plus a final newline)."""
    path.write_text(document + "\n", encoding="utf-8")
    return path


def learner_input(
    reference: str,
    given_name: str,
    family_name: str,
    email: str | None,
    date_of_birth: str | None,
) -> Any:
    """The learner as ``issuance.LearnerInput`` (validated by it)."""
    data: dict[str, Any] = {
        "reference": reference,
        "givenName": given_name,
        "familyName": family_name,
    }
    if email:
        data["email"] = email
    if date_of_birth:
        data["dateOfBirth"] = date_of_birth
    return issuance.LearnerInput.from_json(data)


def issued_lines(issued: Any, base_url: str) -> list[str]:
    """What ``issue`` prints: the credential's id and the learner's two URLs."""
    return [
        f"credential: {issued.credential.credential_uri}",
        f"share: {share_url(base_url, issued.share_link.token)}",
        f"manage: {manage_url(base_url, issued.manage_token)}",
    ]


def manage_url(base_url: str, token: str) -> str:
    """The learner's management URL: their share links (list, create, expire, withdraw)."""
    return f"{base_url}/api/v1/learner/{token}/share-links"
