"""``microcred issuer …`` for partnerships: ``create-partnership``, ``add-organisation``, and
the organisations' signing keys (``rotate-key``, ``compromise-key``). Added to the ``issuer``
group by :mod:`issuer.cli`.

Keys: ``--suite eddsa-rdfc-2022`` is Ed25519; ``--suite ecdsa-rdfc-2019`` is P-256 or, with
``--curve P-384``, P-384. ``add-organisation --did-method key`` gives the organisation a did:key
(its DID is its key, which can then never be rotated) instead of a did:web."""

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
from issuer.models import DidMethod
from issuer.partnerships import keyring, reseal
from issuer.partnerships.services import (
    add_organisation,
    create_partnership,
    current_key,
    get_organisation,
    is_did_key,
)
from keys.cli import curve_option, suite_algorithm, suite_option
from keys.keypairs import Algorithm

_CURVE_OPTION = curve_option(
    "The curve of an ecdsa-rdfc-2019 key (default P-256); P-384 signs with SHA-384."
)


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
@suite_option("The cryptosuite its signing key signs with (Ed25519, or ECDSA on --curve).")
@_CURVE_OPTION
@click.option(
    "--did-method",
    type=click.Choice([method.value for method in DidMethod]),
    default=DidMethod.WEB.value,
    show_default=True,
    help="web: a did:web under the issuer's host (keys rotate); key: a did:key that is its "
    "signing key (no web domain needed; the key can never be rotated).",
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
    curve: str | None,
    did_method: str,
) -> None:
    """Add organisation SLUG to PARTNERSHIP with a first signing key; print its DID."""
    algorithm = suite_algorithm(suite, curve)
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
                algorithm=algorithm,
                did_method=DidMethod(did_method),
            )
            did = organisation.did
    click.echo(did)


@click.command("rotate-key")
@click.argument("partnership_slug", metavar="PARTNERSHIP")
@click.argument("organisation_slug", metavar="ORGANISATION")
@suite_option("The cryptosuite the new key signs with (default: the current key's).", default=None)
@_CURVE_OPTION
def rotate_key_command(
    partnership_slug: str, organisation_slug: str, suite: str | None, curve: str | None
) -> None:
    """Give ORGANISATION a new signing key; the old one is retired (it stays in the DID
    document, so what it signed still verifies). A did:key organisation's key cannot be
    rotated (error ``key_rotation_impossible``)."""
    if suite is None and curve is not None:
        suite = "ecdsa-rdfc-2019"
    with issuer_app() as app:
        passphrase = passphrase_of(app)
        with transaction(app) as session:
            partnership = get_partnership(session, partnership_slug)
            organisation = get_organisation(session, partnership.id, organisation_slug)
            check_passphrase_opens_keys(session, passphrase)
            if suite is None:
                algorithm = Algorithm(current_key(organisation).algorithm)
            else:
                algorithm = suite_algorithm(suite, curve)
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
            did_key = is_did_key(organisation)
        if done.newly_marked:
            click.echo(f"marked {method_id} compromised")
        else:
            when = since.isoformat() if since else "an unrecorded time"
            click.echo(f"{method_id} was marked compromised already, at {when}")
        if done.replaced_by:
            click.echo(f"new current key: {done.replaced_by}")
        if did_key:
            click.echo(
                "this organisation is a did:key: no key can replace it, so it signs nothing "
                "more and nothing is re-sealed; its did:key still verifies what it signed"
            )
            return
        count = reseal.reseal_signed_by(
            lambda: transaction(app),
            key_id,
            passphrase=passphrase,
            actor=ACTOR,
            batch_size=batch_size,
        )
    click.echo(f"re-sealed {count} credential{'' if count == 1 else 's'}")


@click.command("set-logo")
@click.argument("partnership_slug", metavar="PARTNERSHIP")
@click.argument("slug", metavar="ORGANISATION")
@click.argument("image", type=click.Path(exists=True, dir_okay=False), required=False)
@click.option("--remove", is_flag=True, help="Remove the organisation's logo.")
def set_logo_command(partnership_slug: str, slug: str, image: str | None, remove: bool) -> None:
    """Give an organisation a logo (a PNG or JPEG of at most 512 KiB), shown on its
    certificates; or --remove it."""
    from pathlib import Path

    from issuer.partnerships.logos import set_logo
    from issuer.partnerships.services import get_organisation

    if (image is None) == (not remove):
        raise click.UsageError("give an IMAGE or --remove")
    data = Path(image).read_bytes() if image else None
    with issuer_app() as app, transaction(app) as session:
        partnership = get_partnership(session, partnership_slug)
        organisation = get_organisation(session, partnership.id, slug)
        set_logo(session, organisation, data, actor=ACTOR)
    click.echo("logo removed" if remove else "logo set")
