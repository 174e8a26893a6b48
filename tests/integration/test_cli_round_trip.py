"""``microcred issuer …`` round trips: what the command line issues — one credential, a bulk
job's, before and after a key rotation — verifies with the project's verifier, against the DID
documents the issuer publishes and a trust list naming the test partnership.

The commands run as in tests/issuer/test_cli.py (the ``cli`` and ``partnership`` fixtures, the
helpers of tests/issuer/shell.py) against the test's database, SQLite or PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from issuer.db import transaction
from issuer.models import (
    AuditEvent,
    BulkJob,
    IssuedCredential,
    JobState,
    KeyState,
    Organisation,
    SigningKey,
)
from issuer.partnerships.services import public_keypairs
from keys.did_web import build_did_document, did_web_to_url
from keys.resolver import DidResolver
from tests.issuer.conftest import BASE_URL
from tests.issuer.shell import BAD_ROWS, SPEC, bulk_csv, issue, lines
from verifier.trust import parse_trusted_issuers, trusted_issuers_document
from verifier.verify import VerifierOptions, verify_credential


def did_documents(app: Any) -> dict[str, bytes]:
    """Every organisation's DID document, by URL, built from the database."""
    with transaction(app) as session:
        return {
            did_web_to_url(org.did): json.dumps(
                build_did_document(org.did, public_keypairs(org))
            ).encode()
            for org in session.scalars(select(Organisation))
        }


def verify(app: Any, document: dict[str, Any]) -> Any:
    """Verify ``document`` with a resolver that serves the organisations' DID documents."""
    served = did_documents(app)

    def fetch(url: str) -> bytes:
        if url not in served:
            raise OSError(f"not served in this test: {url}")
        return served[url]

    # The verifier trusts every organisation of the test partnership.
    trusted = parse_trusted_issuers(
        trusted_issuers_document(
            [(json.loads(raw)["id"], "test organisation") for raw in served.values()],
            name="test partnership",
        )
    )
    return verify_credential(
        document, VerifierOptions(resolver=DidResolver(fetch), trusted=trusted)
    )


def check(report: Any, name: str) -> Any:
    return next(c for c in report.checks if c.check == name)


def genuine_and_trusted(report: Any) -> bool:
    """Everything held, the status list aside: ``verify`` fetches DID documents only, so the
    verdict is unconfirmed for exactly that one reason."""
    return [(c.check, c.code) for c in report.unconfirmed] == [("revocation", "status_not_fetched")]


# --- issuing, bulk, key rotation ------------------------------------------------------------------


def test_issue_writes_a_credential_that_verifies(cli, app, client, partnership, tmp_path):
    out = tmp_path / "credential.json"
    shown = issue(
        cli,
        "s-1",
        "--email",
        "ana@example.org",
        "--awarding-body",
        "firm",
        "--grade",
        "Pass",
        "--output",
        str(out),
    )
    document = json.loads(out.read_text())
    assert shown["credential"] == document["id"]
    assert shown["share"].startswith(f"{BASE_URL}/c/")
    assert shown["manage"].startswith(f"{BASE_URL}/api/v1/learner/")

    assert [p["verificationMethod"] for p in document["proof"]] == [
        "did:web:issuer.example:orgs:p:uni#key-1",
        "did:web:issuer.example:orgs:p:firm#key-1",
    ]
    report = verify(app, document)
    assert genuine_and_trusted(report), report.to_dict()
    assert check(report, "seal").outcome.value == "ok"

    with transaction(app) as session:
        stored = session.scalar(select(IssuedCredential))
        assert stored.credential_uri == document["id"]
        assert out.read_text() == stored.document + "\n"  # exactly as signed
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "issue"))
        assert event.actor == "cli"

    # the printed share URL serves the same signed credential
    answer = client.get(urlsplit(shown["share"]).path, headers={"Accept": "application/ld+json"})
    assert answer.status_code == 200
    assert answer.get_json() == document


def test_bulk_issues_every_good_row_and_reports_the_bad_ones(cli, app, partnership, tmp_path):
    source = tmp_path / "learners.csv"
    source.write_text(bulk_csv(30))
    errors = tmp_path / "errors.csv"
    result = cli(
        "bulk",
        "p",
        "--organisation",
        "uni",
        "--specification",
        SPEC,
        "--awarding-body",
        "firm",
        str(source),
        "--errors-out",
        str(errors),
    )
    shown = lines(result)
    job_id = int(shown["job"])
    assert (shown["issued"], shown["errors"]) == ("25", "5")
    assert shown["error report"] == str(errors)
    assert f"job {job_id}" in result.stderr  # the progress bar's label

    report = list(csv.DictReader(io.StringIO(errors.read_text())))
    assert [(int(r["line"]), r["code"]) for r in report] == [
        (line, code) for line, (_, code) in sorted(BAD_ROWS.items())
    ]
    assert report[0]["reference"] == "r-5"

    with transaction(app) as session:
        job = session.get_one(BulkJob, job_id)
        assert (job.state, job.issued_rows, job.error_rows) == (JobState.DONE, 25, 5)
        issued = session.scalars(
            select(IssuedCredential).where(IssuedCredential.bulk_job_id == job_id)
        ).all()
        assert len(issued) == 25
        sample = json.loads(issued[0].document)
    assert len(sample["proof"]) == 2
    assert genuine_and_trusted(verify(app, sample))

    again = lines(cli("resume", str(job_id)))  # a done job is left alone
    assert (again["issued"], again["errors"]) == ("25", "5")
    assert "errors.csv" in again["error report"]


def test_rotate_key_keeps_old_credentials_verifiable(cli, app, partnership, tmp_path):
    before, after = tmp_path / "before.json", tmp_path / "after.json"
    issue(cli, "s-1", "--output", str(before))
    refused = cli("rotate-key", "p", "uni", code=2, MICROCRED_KEY_PASSPHRASE="mistyped")
    assert "MICROCRED_KEY_PASSPHRASE" in refused.stderr
    result = cli("rotate-key", "p", "uni")
    assert result.stdout.strip() == "did:web:issuer.example:orgs:p:uni#key-2"
    issue(cli, "s-2", "--output", str(after))

    with transaction(app) as session:
        keys = session.scalars(
            select(SigningKey)
            .join(Organisation)
            .where(Organisation.slug == "uni")
            .order_by(SigningKey.id)
        ).all()
        assert [k.state for k in keys] == [KeyState.RETIRED, KeyState.CURRENT]
        assert (
            session.scalar(select(AuditEvent).where(AuditEvent.action == "rotate_key")).actor
            == "cli"
        )
    old, new = json.loads(before.read_text()), json.loads(after.read_text())
    assert new["proof"]["verificationMethod"].endswith("#key-2")
    assert genuine_and_trusted(verify(app, old))  # the retired key is still in the DID document
    assert genuine_and_trusted(verify(app, new))
