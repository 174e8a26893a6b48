"""``microcred issuer learners …``: the learner's record from the command line (added to the
``issuer`` group)."""

from __future__ import annotations

import click


@click.group("learners")
def learners() -> None:
    """Learners' records: sign-in links."""


@learners.command("signin-link")
@click.option("--partnership", "partnership_slug", required=True, help="The partnership's slug.")
@click.option("--reference", help="The partnership's reference for the learner.")
@click.option("--email", help="The learner's e-mail address (when no reference is given).")
def signin_link_command(partnership_slug: str, reference: str | None, email: str | None) -> None:
    """Print a sign-in link to a learner's record (valid for 7 days), the address to send it to
    and until when it works. The issuer sends no mail: deliver the link yourself."""
    from issuer import config
    from issuer.cli import get_partnership, issuer_app
    from issuer.db import transaction
    from issuer.sharing.record import find_learner, new_signin_link

    if not reference and not email:
        raise click.UsageError("give --reference or --email")
    with issuer_app() as app, transaction(app) as session:
        partnership = get_partnership(session, partnership_slug)
        learner = find_learner(session, partnership.id, reference=reference, email=email)
        link = new_signin_link(session, learner, base_url=config.base_url(), actor="cli")
        click.echo(link.url)
        click.echo(f"to: {link.email or '(no e-mail address known)'}")
        click.echo(f"expires: {link.expires_at.isoformat()}")
