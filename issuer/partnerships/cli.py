"""``microcred issuer …`` for partnerships: ``create-partnership``, ``add-organisation``, and
the organisations' signing keys (``rotate-key``, ``compromise-key``). Added to the ``issuer``
group by :mod:`issuer.cli`."""

from __future__ import annotations

import click

from issuer import config
from issuer.cli import (
    ACTOR,
    check_passphrase_opens_keys,
    get_partnership,
    issuer_app,
    passphrase_of,
)
from issuer.db import transaction
from issuer.partnerships import keyring, reseal
from issuer.partnerships.services import (
    add_organisation,
    create_partnership,
    current_key,
    get_organisation,
)
from keys.cli import SUITE_ALGORITHMS
from keys.keypairs import Algorithm


@click.command("create-partnership")
@click.argument("slug")
@click.argument("name")
def create_partnership_command(slug: str, name: str) -> None:
    """Create the partnership SLUG called NAME."""
    with issuer_app() as app, transaction(app) as session:
        create_partnership(session, slug, name)
    click.echo(f"partnership {slug} created")


@click.command("add-organisation")
@click.argument("partnership_slug", metavar="PARTNERSHIP")
@click.argument("slug")
@click.option("--name", required=True, help="The organisation's legal name.")
@click.option("--country", required=True, help="ISO 3166-1 alpha-3 code, e.g. DNK.")
@click.option("--country-label", required=True, help="The country's name, e.g. Denmark.")
@click.option("--identifier", help="A legal identifier, e.g. an Erasmus code or VAT number.")
@click.option("--homepage", help="The organisation's web site.")
@click.option(
    "--suite",
    type=click.Choice(sorted(SUITE_ALGORITHMS)),
    default="eddsa-rdfc-2022",
    show_default=True,
    help="The cryptosuite its signing key signs with (Ed25519 or P-256).",
)
def add_organisation_command(
    partnership_slug: str,
    slug: str,
    name: str,
    country: str,
    country_label: str,
    identifier: str | None,
    homepage: str | None,
    suite: str,
) -> None:
    """Add organisation SLUG to PARTNERSHIP with a first signing key; print its did:web."""
    with issuer_app() as app:
        passphrase = passphrase_of(app)
        with transaction(app) as session:
            check_passphrase_opens_keys(session, passphrase)
            organisation = add_organisation(
                session,
                get_partnership(session, partnership_slug),
                slug=slug,
                legal_name=name,
                country=country,
                country_label=country_label,
                identifier=identifier,
                homepage=homepage,
                base_url=config.base_url(app),
                passphrase=passphrase,
                algorithm=SUITE_ALGORITHMS[suite],
            )
            did = organisation.did
    click.echo(did)


@click.command("rotate-key")
@click.argument("partnership_slug", metavar="PARTNERSHIP")
@click.argument("organisation_slug", metavar="ORGANISATION")
@click.option(
    "--suite",
    type=click.Choice(sorted(SUITE_ALGORITHMS)),
    help="The cryptosuite the new key signs with (default: the current key's).",
)
def rotate_key_command(partnership_slug: str, organisation_slug: str, suite: str | None) -> None:
    """Give ORGANISATION a new signing key; the old one is retired (it stays in the DID
    document, so what it signed still verifies)."""
    with issuer_app() as app:
        passphrase = passphrase_of(app)
        with transaction(app) as session:
            partnership = get_partnership(session, partnership_slug)
            organisation = get_organisation(session, partnership.id, organisation_slug)
            check_passphrase_opens_keys(session, passphrase)
            if suite is None:
                algorithm = Algorithm(current_key(organisation).algorithm)
            else:
                algorithm = SUITE_ALGORITHMS[suite]
            key = keyring.rotate_key(
                session, organisation, passphrase=passphrase, actor=ACTOR, algorithm=algorithm
            )
            method_id = key.method_id
    click.echo(method_id)


@click.command("compromise-key")
@click.argument("partnership_slug", metavar="PARTNERSHIP")
@click.argument("organisation_slug", metavar="ORGANISATION")
@click.argument("key_ref", metavar="KEY")
@click.option("--reason", help="Why (kept in the audit log).")
@click.option(
    "--batch-size",
    type=click.IntRange(1, 10_000),
    default=reseal.BATCH_SIZE,
    show_default=True,
    help="Credentials re-sealed per transaction.",
)
def compromise_key_command(
    partnership_slug: str,
    organisation_slug: str,
    key_ref: str,
    reason: str | None,
    batch_size: int,
) -> None:
    """Mark KEY of ORGANISATION compromised (KEY: its method id, key-N or N): nothing it signed
    verifies any more. A current key is first replaced by a new one; then every credential it
    signed is re-sealed with the current key (same id and status). Safe to run again."""
    with issuer_app() as app:
        passphrase = passphrase_of(app)
        with transaction(app) as session:
            partnership = get_partnership(session, partnership_slug)
            organisation = get_organisation(session, partnership.id, organisation_slug)
            check_passphrase_opens_keys(session, passphrase)
            key = keyring.find_key(organisation, key_ref)
            done = keyring.compromise_key(
                session, organisation, key, passphrase=passphrase, actor=ACTOR, reason=reason
            )
            key_id, method_id, since = key.id, key.method_id, key.compromised_at
        if done.newly_marked:
            click.echo(f"marked {method_id} compromised")
        else:
            when = since.isoformat() if since else "an unrecorded time"
            click.echo(f"{method_id} was marked compromised already, at {when}")
        if done.replaced_by:
            click.echo(f"new current key: {done.replaced_by}")
        count = reseal.reseal_signed_by(
            lambda: transaction(app),
            key_id,
            passphrase=passphrase,
            actor=ACTOR,
            batch_size=batch_size,
        )
    click.echo(f"re-sealed {count} credential{'' if count == 1 else 's'}")
