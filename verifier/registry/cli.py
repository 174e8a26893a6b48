"""``microcred registry``: make, sign, bundle and check an accreditation registry.

The chain (see :mod:`verifier.registry.load`): an authority signs the list of agencies it
recognises; each agency signs one record per accredited organisation; the registry file bundles
them, and a verifier pins the authority's DID::

    microcred registry init-authority > authority.key.json
    microcred registry sign-agencies --key authority.key.json agencies.json > agencies.signed.json
    microcred registry sign-record --key agency.key.json record.json > record.signed.json
    microcred registry bundle --agencies agencies.signed.json record.signed.json > registry.json
    microcred registry check --authority did:key:z6Mk… registry.json

Exit codes: 0 success (``check``: every record counts), 1 ``check`` refused some records,
2 unusable input — an ``error: …`` line on stderr, never a traceback.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any

import click

from keys.cli import SUITE_ALGORITHMS, emit_keypair, fail, read_json_document, suite_option
from keys.did_key import keypair_with_did_key
from keys.errors import KeysError
from keys.keypairs import KeyPair
from keys.keystore import PASSPHRASE_ENV, load_key_file
from keys.resolver import DidResolver
from schemas.errors import SchemaError
from verifier.registry.author import agencies_credential, bundle, record_credential, sign
from verifier.registry.load import load_registry
from verifier.registry.model import AGENCIES_PROFILE, RECORD_PROFILE
from verifier.registry.vocabulary import RegistryFormatError

EXIT_REFUSED = 1


@click.group()
def registry() -> None:
    """Make, sign, bundle and check an accreditation registry."""


@registry.command("init-authority")
@suite_option("The cryptosuite the authority will sign with.")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    help=f"Write the key encrypted with ${PASSPHRASE_ENV} to this file instead of printing it.",
)
def init_authority(suite: str, output: str | None) -> None:
    """Print a new authority key (did:key) as Multikey JSON; its DID is what verifiers pin."""
    emit_keypair(keypair_with_did_key(KeyPair.generate(SUITE_ALGORITHMS[suite])), output)


_KEY_OPTION = click.option(
    "--key",
    "key_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="Key file: Multikey JSON, or encrypted (passphrase in $MICROCRED_KEY_PASSPHRASE).",
)
_CREATED_OPTION = click.option(
    "--created", help="The proof's created time, ISO 8601 with timezone (default: now)."
)


def _signing_key(key_path: str) -> KeyPair:
    try:
        keypair = load_key_file(key_path)
    except KeysError as error:
        fail(f"{key_path}: {error.message}")
    if not keypair.has_secret:
        fail(f"{key_path} holds no secret key")
    if keypair.controller is None:
        keypair = keypair_with_did_key(keypair)
    return keypair


def _moment(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        fail(f"{option} {value!r} is not an ISO 8601 date-time")
    if moment.tzinfo is None:
        fail(f"{option} needs a timezone, e.g. 2024-01-31T12:00:00Z")
    return moment


def _sign_and_print(document: dict[str, Any], keypair: KeyPair, created: datetime | None) -> None:
    try:
        signed = sign(document, keypair, created=created)
    except (KeysError, SchemaError) as error:
        fail(f"cannot sign: {error.code}: {error.args[0] if error.args else ''}")
    except RegistryFormatError as error:
        fail(str(error))
    click.echo(json.dumps(signed, indent=2, ensure_ascii=False))


@registry.command("sign-agencies")
@_KEY_OPTION
@_CREATED_OPTION
@click.option(
    "--valid-until", help="When the list of agencies expires, ISO 8601 with timezone (optional)."
)
@click.argument("agencies_path", metavar="AGENCIES.json")
def sign_agencies(
    key_path: str, created: str | None, valid_until: str | None, agencies_path: str
) -> None:
    """Print the agencies credential, signed by the authority's key.

    AGENCIES.json is a list of agencies: ``{"id": DID, "name": …, "jurisdictions": ["DNK"],
    "maxEQFLevel": 7, "fields": ["06"]}`` (scope members optional: absent = not limited).
    """
    agencies = read_json_document(agencies_path)
    keypair = _signing_key(key_path)
    created_at = _moment(created, "--created")
    try:
        document = agencies_credential(
            agencies,
            authority=str(keypair.controller),
            issued=created_at,
            valid_until=_moment(valid_until, "--valid-until"),
        )
    except RegistryFormatError as error:
        fail(f"{agencies_path}: {error}")
    _sign_and_print(document, keypair, created_at)


@registry.command("sign-record")
@_KEY_OPTION
@_CREATED_OPTION
@click.argument("record_path", metavar="RECORD.json")
def sign_record(key_path: str, created: str | None, record_path: str) -> None:
    """Print an accreditation record, signed by the agency's key.

    RECORD.json: ``{"organisation": DID or {"id", "name", "identifiers"}, "title", "dcType",
    "issued", "expiryDate", "limitQualification", "limitEQFLevel", "limitField",
    "limitJurisdiction"}`` (``organisation`` and ``issued`` required).
    """
    record = read_json_document(record_path)
    keypair = _signing_key(key_path)
    created_at = _moment(created, "--created")
    try:
        document = record_credential(record, agency=str(keypair.controller), issued=created_at)
    except RegistryFormatError as error:
        fail(f"{record_path}: {error}")
    _sign_and_print(document, keypair, created_at)


@registry.command("bundle")
@click.option(
    "--agencies",
    "agencies_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="The signed agencies credential.",
)
@click.argument("record_paths", metavar="RECORD.json...", nargs=-1)
def bundle_command(agencies_path: str, record_paths: tuple[str, ...]) -> None:
    """Print the registry file: the signed agencies credential and the signed records."""
    agencies = read_json_document(agencies_path)
    _expect_kind(agencies, AGENCIES_PROFILE, agencies_path, "a signed agencies credential")
    records = []
    for path in record_paths:
        record = read_json_document(path)
        _expect_kind(record, RECORD_PROFILE, path, "a signed accreditation record")
        records.append(record)
    click.echo(json.dumps(bundle(agencies, records), indent=2, ensure_ascii=False))


def _expect_kind(document: Any, profile: str, path: str, what: str) -> None:
    if (
        not isinstance(document, dict)
        or document.get("credentialProfiles") != profile
        or "proof" not in document
    ):
        fail(f"{path} is not {what}")


@registry.command("check")
@click.option("--authority", required=True, help="The authority's DID (the one verifiers pin).")
@click.option("--offline", is_flag=True, help="Fetch nothing: only did:key keys resolve.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.argument("registry_path", metavar="REGISTRY.json")
def check(authority: str, offline: bool, as_json: bool, registry_path: str) -> None:
    """Verify the chain of REGISTRY.json and print each record's standing.

    Exit 0 when every record counts, 1 when some are refused, 2 when the registry itself is
    unusable (unreadable, malformed, or not signed by the authority).
    """
    document = read_json_document(registry_path)
    fetch = None
    if not offline:
        from verifier.fetch.client import GuardedFetcher

        fetch = GuardedFetcher()
    loaded = load_registry(document, authority=authority, resolver=DidResolver(fetch=fetch))
    if loaded.problem is not None:
        fail(f"{registry_path}: registry invalid ({loaded.problem.code}): {loaded.problem.message}")
    standing: list[dict[str, Any]] = [
        {"index": r.index, "status": "ok", **r.to_dict()} for r in loaded.records
    ] + [{"status": "refused", **r.to_dict()} for r in loaded.refused]
    standing.sort(key=lambda entry: entry["index"])
    if as_json:
        data = {
            "authority": authority,
            "agencies": [a.to_dict() for a in loaded.agencies.values()],
            "records": standing,
        }
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        count = len(loaded.agencies)
        click.echo(f"authority {authority}: {count} recognised agenc{'y' if count == 1 else 'ies'}")
        for agency in loaded.agencies.values():
            click.echo(f"  agency  {agency.id} {agency.name or ''}".rstrip())
        for entry in standing:
            if entry["status"] == "ok":
                click.echo(
                    f"  ok       record {entry['index']} {entry['id']}: "
                    f"{entry['organisation']} accredited by {entry['agency']}"
                )
            else:
                click.echo(
                    f"  REFUSED  record {entry['index']} {entry['id']}: {entry['message']} "
                    f"[{entry['code']}]"
                )
    sys.exit(EXIT_REFUSED if loaded.refused else 0)
