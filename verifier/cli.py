"""``microcred verify``: check a credential file and say whether it can be trusted.

Exit status: 0 verified, 1 not verified, 2 unusable input or settings (one line, no
traceback), 3 unconfirmed (the seal is genuine, but trust could not be confirmed).

FILE is read as the web verifier reads a body (``verifier.limits``): a file over the size limit
(2 MB) is refused after reading one byte past it, and so is JSON that is not an object, nested
too deeply or holding too many values — exit 2, one line naming the limit.

It reads the same settings as the web verifier (``verifier.settings``: the environment
variables ``MICROCRED_REGISTRY``, ``MICROCRED_REGISTRY_AUTHORITY``, ``MICROCRED_TRUSTED_ISSUERS``,
``MICROCRED_TRUST_ANCHORS``, ``MICROCRED_SEAL_CRLS``, ``MICROCRED_FETCH_ALLOW_PRIVATE``,
``MICROCRED_FETCH_REWRITES``); its flags override them.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from keys.cli import fail
from verifier.fetch.client import GuardedFetcher
from verifier.limits import LIMITS, LimitExceeded, read_document
from verifier.report import Outcome, Report, Verdict
from verifier.settings import (
    SettingsError,
    TrustSettings,
    fetch_cache_from,
    fetch_policy_from,
    verify_budget_from,
)
from verifier.verify import VerifierOptions, verify_credential

MARKS = {
    Outcome.OK: "ok",
    Outcome.ERROR: "ERROR",
    Outcome.WARNING: "warning",
    Outcome.UNCHECKED: "unchecked",
}
EXIT_CODES = {Verdict.VERIFIED: 0, Verdict.NOT_VERIFIED: 1, Verdict.UNCONFIRMED: 3}
HEADLINES = {
    Verdict.VERIFIED: "VERIFIED",
    Verdict.UNCONFIRMED: "UNCONFIRMED: the seal is genuine, but not everything that decides "
    "trust could be confirmed",
    Verdict.NOT_VERIFIED: "NOT VERIFIED",
}


def read_credential_file(path: str) -> Any:
    """The JSON document in the file at ``path`` (``-``: stdin), read within the verifier's
    limits: at most one byte past the size limit is read. Exits 2 with one line when the file
    cannot be read or is refused."""
    try:
        if path == "-":
            data = sys.stdin.buffer.read(LIMITS.max_bytes + 1)
        else:
            with Path(path).open("rb") as handle:
                data = handle.read(LIMITS.max_bytes + 1)
    except OSError as error:
        fail(f"cannot read {path}: {error.strerror or error}")
    try:
        return read_document(data)
    except LimitExceeded as error:
        if error.code == "too_large":
            size = _size_of(path)
            found = f" ({size:,} bytes)" if size is not None else ""
            fail(
                f"{path} is larger than the {LIMITS.max_bytes:,} bytes a credential may have"
                f"{found} [too_large]"
            )
        if error.code == "not_json":
            fail(f"{path} is not JSON: {error.message} [not_json]")
        fail(f"{path}: {error.message} [{error.code}]")


def _size_of(path: str) -> int | None:
    try:
        return None if path == "-" else Path(path).stat().st_size
    except OSError:
        return None


def render_text(report: Report) -> str:
    """The report as lines a person reads in a terminal: the verdict (with what could not be
    confirmed), then one line per check."""
    lines = [HEADLINES[report.verdict]]
    lines += [f"  - {c.check}: {c.message}" for c in report.unconfirmed]
    for check in report.checks:
        lines.append(
            f"  {MARKS[check.outcome]:<9} {check.check:<13} {check.message} [{check.code}]"
        )
    return "\n".join(lines)


TrustFlags = dict[str, Any]


def trust_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The trust flags of ``microcred verify`` (``--offline``, ``--registry``,
    ``--registry-authority``, ``--trusted-issuers``, ``--trust-anchors``, ``--seal-crls``), for
    every command that verifies credentials; :func:`verifier_options` turns them into options."""
    for option in reversed(
        (
            click.option(
                "--offline",
                is_flag=True,
                help="Fetch nothing: did:web keys and status lists are then reported unchecked.",
            ),
            click.option(
                "--registry",
                "registry_path",
                type=click.Path(dir_okay=False),
                help="Accreditation registry file [env MICROCRED_REGISTRY].",
            ),
            click.option(
                "--registry-authority",
                help="DID of the authority that signs the registry "
                "[env MICROCRED_REGISTRY_AUTHORITY].",
            ),
            click.option(
                "--trusted-issuers",
                "trusted_issuers_path",
                type=click.Path(dir_okay=False),
                help="Trusted-issuers file [env MICROCRED_TRUSTED_ISSUERS].",
            ),
            click.option(
                "--trust-anchors",
                "trust_anchors_path",
                type=click.Path(dir_okay=False),
                help="PEM certificates EU (JAdES) seals must chain to "
                "[env MICROCRED_TRUST_ANCHORS].",
            ),
            click.option(
                "--seal-crls",
                "crls_path",
                type=click.Path(dir_okay=False),
                help="CRLs (PEM or DER) for those certificate chains [env MICROCRED_SEAL_CRLS].",
            ),
        )
    ):
        command = option(command)
    return command


def verifier_options(
    offline: bool,
    registry_path: str | None = None,
    registry_authority: str | None = None,
    trusted_issuers_path: str | None = None,
    trust_anchors_path: str | None = None,
    crls_path: str | None = None,
) -> VerifierOptions:
    """The verification options the trust flags and the environment (``verifier.settings``)
    give; exits 2 with one line when a setting cannot be used."""
    try:
        settings = TrustSettings.load(
            registry_path=registry_path,
            registry_authority=registry_authority,
            trusted_issuers_path=trusted_issuers_path,
            trust_anchors_path=trust_anchors_path,
            crls_path=crls_path,
        )
        policy = fetch_policy_from(os.environ)
        cache = None if offline else fetch_cache_from(os.environ)  # in memory unless set
        budget = verify_budget_from(os.environ)
    except SettingsError as error:
        fail(str(error))
    fetch = None if cache is None else GuardedFetcher(policy, cache=cache)
    return VerifierOptions(
        fetch=fetch,
        registry=settings.registry(fetch),
        trusted=settings.trusted_issuers(),
        trust_anchors=settings.trust_anchors,
        crls=settings.crls,
        budget=budget,
    )


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@trust_options
@click.argument("document_path", metavar="FILE")
def verify(as_json: bool, document_path: str, **trust: Any) -> None:
    """Verify the credential in FILE (``-`` for stdin) and print a per-check report.

    Exit 0 verified, 1 not verified, 2 unusable input, 3 unconfirmed. Only did:web documents,
    status lists and registry keys are fetched, through the guarded client (https, public
    addresses only, time and size limits).
    """
    options = verifier_options(**trust)
    document = read_credential_file(document_path)
    if not isinstance(document, dict):
        fail(f"{document_path} is not a JSON object")
    report = verify_credential(document, options)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(render_text(report))
    raise SystemExit(EXIT_CODES[report.verdict])
