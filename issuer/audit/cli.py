"""``microcred issuer audit …``: check the audit log (added to the ``issuer`` group)."""

from __future__ import annotations

import click

EXIT_TAMPERED = 1


@click.group("audit")
def audit() -> None:
    """Check the audit log."""


@audit.command("verify")
def verify_command() -> None:
    """Walk the audit log's hash chain. Prints ``audit log intact: N events`` and the head
    (exit 0), or names the first event that does not fit and why (exit 1)."""
    from issuer.audit.verify import verify_chain
    from issuer.cli import issuer_app
    from issuer.db import transaction

    with issuer_app() as app, transaction(app) as session:
        report = verify_chain(session)
    if report.tampered is not None:
        click.echo(f"audit log TAMPERED at {report.tampered.describe()}")
        click.echo(f"the chain is intact up to seq {report.head_seq}")
        raise click.exceptions.Exit(EXIT_TAMPERED)
    click.echo(f"audit log intact: {report.events} events")
    click.echo(f"head: seq {report.head_seq} hash {report.head_hash}")
