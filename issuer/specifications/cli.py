"""``microcred issuer create-specification``: add a micro-credential specification from a JSON
file (the API's shape, checked by the same rules). Added to the ``issuer`` group by
:mod:`issuer.cli`."""

from __future__ import annotations

import click

from issuer import config
from issuer.cli import get_partnership, issuer_app
from issuer.db import transaction
from issuer.specifications.services import create_specification
from keys.cli import read_json_document


@click.command("create-specification")
@click.argument("partnership_slug", metavar="PARTNERSHIP")
@click.argument("path", metavar="FILE.json")
def create_specification_command(partnership_slug: str, path: str) -> None:
    """Add the micro-credential specification in FILE.json (the API's JSON) to PARTNERSHIP."""
    data = read_json_document(path)
    with issuer_app() as app, transaction(app) as session:
        specification = create_specification(
            session,
            get_partnership(session, partnership_slug),
            data,
            base_url=config.base_url(app),
            shapes=config.edc_shapes(app),
        )
        created = f"specification {specification.slug} created: {specification.uri}"
    click.echo(created)
