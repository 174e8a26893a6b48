"""``microcred keys …`` and ``microcred sign``: the key and signing commands, and the helpers
every part's commands share (``fail``, ``read_json_document``, ``SUITE_ALGORITHMS``,
``suite_algorithm``).

The shell itself is :mod:`cli.main`; these commands reach it through the ``microcred.commands``
entry-point group (``pyproject.toml``), as the verifier's and the issuer's do.

Exit codes: 0 success, 2 unusable input — always with a one-line message on stderr, never a
traceback.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

import click

from keys.did_key import keypair_with_did_key
from keys.errors import KeysError
from keys.keypairs import Algorithm, KeyPair
from keys.keystore import PASSPHRASE_ENV, load_key_file, passphrase_from_env, save_key_file
from keys.proof import SUITE_FOR_ALGORITHM, add_proof
from schemas.errors import SchemaError

EXIT_UNUSABLE = 2
SUITE_ALGORITHMS = {"eddsa-rdfc-2022": Algorithm.ED25519, "ecdsa-rdfc-2019": Algorithm.P256}
ECDSA_CURVES = {"P-256": Algorithm.P256, "P-384": Algorithm.P384}


def suite_option(help_text: str, *, default: str | None = "eddsa-rdfc-2022") -> Any:
    """The ``--suite`` option every command that makes a key takes (a name of
    ``SUITE_ALGORITHMS``; ``default`` None means "keep what there is")."""
    return click.option(
        "--suite",
        type=click.Choice(sorted(SUITE_ALGORITHMS)),
        default=default,
        show_default=default is not None,
        help=help_text,
    )


def curve_option(help_text: str = "The curve of an ecdsa-rdfc-2019 key (default P-256).") -> Any:
    """The ``--curve`` option that goes with :func:`suite_option` (``ECDSA_CURVES``)."""
    return click.option("--curve", type=click.Choice(sorted(ECDSA_CURVES)), help=help_text)


def suite_algorithm(suite: str, curve: str | None) -> Algorithm:
    """The key algorithm for ``suite`` (a key of ``SUITE_ALGORITHMS``) on ``curve``.

    ecdsa-rdfc-2019 takes ``P-256`` (the default) or ``P-384``; eddsa-rdfc-2022 is Ed25519 and
    takes no curve. Raises :class:`click.UsageError` for a curve the suite does not take."""
    if suite == "ecdsa-rdfc-2019":
        return ECDSA_CURVES[curve or "P-256"]
    if curve is not None:
        raise click.UsageError(f"--curve is for ecdsa-rdfc-2019 only; {suite} signs with Ed25519")
    return SUITE_ALGORITHMS[suite]


def fail(message: str) -> NoReturn:
    """Print ``message`` as an error and exit with the 'unusable input' status (2)."""
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_UNUSABLE)


def read_json_document(path: str) -> Any:
    """Parse the JSON file at ``path`` (``-`` for stdin); exit 2 with a clear message if it is
    unreadable or not JSON."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        fail(f"cannot read {path}: {getattr(error, 'strerror', None) or error}")
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:
        fail(f"{path} is not JSON: {error}")


@click.group()
def keys() -> None:
    """Generate and inspect signing keys."""


@keys.command("generate")
@suite_option("The cryptosuite the key will sign with (Ed25519, or ECDSA on --curve).")
@curve_option()
@click.option("--controller", help="The DID that controls the key (default: its own did:key).")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    help=f"Write the key encrypted with ${PASSPHRASE_ENV} to this file instead of printing it.",
)
def generate(suite: str, curve: str | None, controller: str | None, output: str | None) -> None:
    """Print a new key pair as Multikey JSON (publicKeyMultibase, secretKeyMultibase)."""
    keypair = KeyPair.generate(suite_algorithm(suite, curve))
    if controller:
        keypair = keypair.with_ids(f"{controller}#{keypair.public_key_multibase}", controller)
    else:
        keypair = keypair_with_did_key(keypair)
    emit_keypair(keypair, output)


def emit_keypair(keypair: KeyPair, output: str | None) -> None:
    """Print ``keypair`` as Multikey JSON with its secret; or, with ``output``, write it sealed
    with ``$MICROCRED_KEY_PASSPHRASE`` there and print only the public part. Exits 2 with a
    message when the passphrase is unset or the file cannot be written."""
    if not output:
        click.echo(json.dumps(keypair.to_multikey(include_secret=True), indent=2))
        return
    passphrase = passphrase_from_env()
    if not passphrase:
        fail(f"set {PASSPHRASE_ENV} to the passphrase that encrypts secret keys at rest")
    try:
        save_key_file(output, keypair, passphrase=passphrase)
    except OSError as error:
        fail(f"cannot write {output}: {error.strerror or error}")
    click.echo(json.dumps(keypair.to_multikey(), indent=2))


@click.command()
@click.option(
    "--key",
    "key_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="Key file: Multikey JSON, or encrypted (passphrase in $MICROCRED_KEY_PASSPHRASE).",
)
@click.option(
    "--verification-method", help="The proof's verificationMethod (default: the key's id)."
)
@click.option("--created", help="The proof's created time, ISO 8601 with timezone (default: now).")
@click.option("--proof-id", help="An id for the new proof (needed to chain later proofs to it).")
@click.argument("document_path", metavar="IN.json")
def sign(
    key_path: str,
    verification_method: str | None,
    created: str | None,
    proof_id: str | None,
    document_path: str,
) -> None:
    """Print IN.json with one more Data Integrity proof (earlier proofs are kept)."""
    document = read_json_document(document_path)
    if not isinstance(document, dict):
        fail(f"{document_path} is not a JSON object")
    try:
        keypair = load_key_file(key_path)
    except KeysError as error:
        fail(f"{key_path}: {error.message}")
    if not keypair.has_secret:
        fail(f"{key_path} holds no secret key")
    if verification_method is None and keypair.id is None:
        keypair = keypair_with_did_key(keypair)
    created_at: datetime | str | None = None
    if created is not None:
        try:
            created_at = datetime.fromisoformat(created)
        except ValueError:
            fail(f"--created {created!r} is not an ISO 8601 date-time")
        if created_at.tzinfo is None:
            fail("--created needs a timezone, e.g. 2024-01-31T12:00:00Z")
        created_at = created
    try:
        signed = add_proof(
            document,
            keypair,
            cryptosuite=SUITE_FOR_ALGORITHM[keypair.algorithm],
            verification_method=verification_method,
            created=created_at,
            proof_id=proof_id,
        )
    except (KeysError, SchemaError) as error:
        fail(f"cannot sign {document_path}: {error.code}: {error.args[0] if error.args else ''}")
    click.echo(json.dumps(signed, indent=2, ensure_ascii=False))
