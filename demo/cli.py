"""``microcred demo …``: the demo from the command line (registered through the
``microcred.commands`` entry point; failures are reported as ``microcred issuer`` reports them:
``error: …``, exit status 2)."""

from __future__ import annotations

import click

from demo.partnership import describe_demo, ensure_demo
from issuer.cli import IssuerGroup, issuer_app


@click.group(cls=IssuerGroup)
def demo() -> None:
    """The demo partnership (two universities and an employer), as `make run` serves it.

    Settings come from the environment, as for `microcred issuer`: DATABASE_URL,
    MICROCRED_ISSUER_URL and MICROCRED_KEY_PASSPHRASE.
    """


@demo.command("setup")
def setup_command() -> None:
    """Create the database and the demo partnership if absent (idempotent); print an issuer
    token of its first organisation as ``token: …``."""
    with issuer_app(schema=False) as app:
        setup = ensure_demo(app)
    for line in describe_demo(setup):
        click.echo(line, err=True)
    click.echo(f"token: {setup.token}")
