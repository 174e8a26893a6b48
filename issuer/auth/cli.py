"""``microcred issuer create-token``: API tokens (added to the ``issuer`` group by
:mod:`issuer.cli`)."""

from __future__ import annotations

import click

from issuer.auth.tokens import create_token
from issuer.cli import (
    get_partnership,
    issuer_app,
)
from issuer.db import transaction
from issuer.models import (
    Role,
    TokenScope,
)
from issuer.partnerships.services import (
    get_organisation,
)


@click.command("create-token")
@click.argument("partnership_slug", metavar="PARTNERSHIP")
@click.argument("organisation_slug", metavar="ORGANISATION")
@click.option(
    "--role", type=click.Choice([role.value for role in Role]), required=True, help="Its role."
)
@click.option("--name", required=True, help="A name for the token (shown in the audit log).")
@click.option(
    "--scope",
    type=click.Choice([scope.value for scope in TokenScope]),
    default=TokenScope.ORGANISATION.value,
    show_default=True,
    help="organisation: changes only credentials ORGANISATION issued or co-awards; "
    "partnership: may change every credential of the partnership (issuer or admin role).",
)
def create_token_command(
    partnership_slug: str, organisation_slug: str, role: str, name: str, scope: str
) -> None:
    """Create an API token for ORGANISATION and print its secret (shown only this once).

    Every token reads the whole partnership and issues as ORGANISATION. With the default
    organisation scope it suspends, reinstates and revokes only credentials ORGANISATION
    issued or is an awarding body of; grant --scope partnership deliberately, to a token that
    must act for the whole partnership."""
    with issuer_app() as app, transaction(app) as session:
        partnership = get_partnership(session, partnership_slug)
        organisation = get_organisation(session, partnership.id, organisation_slug)
        _, secret = create_token(session, organisation, Role(role), name, scope=TokenScope(scope))
    click.echo(secret)
    if scope == TokenScope.PARTNERSHIP.value:
        click.echo(
            f"(partnership scope: this token may change every credential of {partnership_slug})",
            err=True,
        )
    click.echo("(shown only once: the issuer stores only its hash)", err=True)
