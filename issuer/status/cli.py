"""``microcred issuer suspend``, ``reinstate`` and ``revoke``: a credential's status from the
command line (added to the ``issuer`` group by :mod:`issuer.cli`)."""

from __future__ import annotations

import click

from issuer.cli import (
    ACTOR,
    get_partnership,
    issuer_app,
)
from issuer.credentials import issuance
from issuer.db import transaction


def status_command(action: str, past: str, reason_required: bool) -> click.Command:
    """The command ``action`` (``suspend``, ``reinstate``, ``revoke``) that changes one
    credential's status, with ``--reason`` (required when ``reason_required``)."""

    @click.argument("partnership_slug", metavar="PARTNERSHIP")
    @click.argument("credential_ref", metavar="CREDENTIAL_ID")
    @click.option("--reason", required=reason_required, help="Why (kept in the audit log).")
    def command(partnership_slug: str, credential_ref: str, reason: str | None) -> None:
        with issuer_app() as app, transaction(app) as session:
            partnership = get_partnership(session, partnership_slug)
            credential = issuance.get_credential(session, partnership.id, credential_ref)
            credential = issuance.change_status(
                session, credential, action, actor=ACTOR, reason=reason
            )
            click.echo(f"{credential.credential_uri}: {credential.state.value}")

    command.__doc__ = f"{action.capitalize()} credential CREDENTIAL_ID of PARTNERSHIP ({past})."
    return click.command(action)(command)


suspend = status_command("suspend", "temporarily invalid until reinstated", reason_required=True)
reinstate = status_command("reinstate", "lifts a suspension", reason_required=False)
revoke = status_command("revoke", "permanently", reason_required=True)
