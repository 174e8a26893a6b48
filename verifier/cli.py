"""``microcred verify``: check a credential file and say whether it can be trusted.

Exit status: 0 verified, 1 not verified, 2 unusable input (a message, no traceback).
"""

from __future__ import annotations

import json

import click

from keys.cli import read_json_document
from verifier.http import GuardedFetcher
from verifier.report import Outcome, Report
from verifier.verify import VerifierOptions, verify_credential

MARKS = {
    Outcome.OK: "ok",
    Outcome.ERROR: "ERROR",
    Outcome.WARNING: "warning",
    Outcome.UNCHECKED: "unchecked",
}


def render_text(report: Report) -> str:
    """The report as lines a person reads in a terminal: verdict, then one line per check."""
    lines = ["VERIFIED" if report.verified else "NOT VERIFIED"]
    for check in report.checks:
        lines.append(
            f"  {MARKS[check.outcome]:<9} {check.check:<13} {check.message} [{check.code}]"
        )
    return "\n".join(lines)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--offline",
    is_flag=True,
    help="Fetch nothing: did:web keys and status lists are then reported unchecked.",
)
@click.argument("document_path", metavar="FILE")
def verify(as_json: bool, offline: bool, document_path: str) -> None:
    """Verify the credential in FILE (``-`` for stdin) and print a per-check report.

    Only did:web documents and status lists are fetched, through the guarded client (https,
    public addresses only, time and size limits).
    """
    document = read_json_document(document_path)
    if not isinstance(document, dict):
        click.echo(f"error: {document_path} is not a JSON object", err=True)
        raise SystemExit(2)
    fetch = None if offline else GuardedFetcher()
    report = verify_credential(document, VerifierOptions(fetch=fetch))
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(render_text(report))
    raise SystemExit(0 if report.verified else 1)
