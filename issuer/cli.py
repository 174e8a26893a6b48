"""``microcred issuer …``: set up and run the issuer from the command line.

Every command builds the app with :func:`issuer.app.create_app` (settings from the environment:
``DATABASE_URL``, ``MICROCRED_ISSUER_URL``, ``MICROCRED_KEY_PASSPHRASE``, …) and writes in one
transaction (``bulk``: one per row, so an interrupted job resumes where it stopped): a command
that fails leaves nothing half-written. Commands that open or create signing keys need
``MICROCRED_KEY_PASSPHRASE``.

Exit codes: 0 success, 2 failure — always ``error: <message>`` on stderr (plus one indented line
per bad field where there are several), never a traceback. ``MICROCRED_DEBUG=1`` re-raises
unexpected exceptions for debugging.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import click
from flask import Flask
from sqlalchemy import Engine, inspect, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from issuer import config
from issuer.app import create_app
from issuer.audit.cli import audit
from issuer.auth.tokens import create_token
from issuer.bootstrap import (
    DEMO_ORGANISATIONS,
    DEMO_PARTNERSHIP,
    add_demo_staff,
    create_demo,
    demo_password,
    demo_staff_email,
)
from issuer.bulk import jobs as bulk
from issuer.credentials import issuance
from issuer.db import session_factory, transaction, upgrade
from issuer.errors import ApiError, NotFound
from issuer.models import (
    BulkJob,
    JobState,
    Organisation,
    Partnership,
    Role,
    SigningKey,
    TokenScope,
    utcnow,
)
from issuer.partnerships import keyring, reseal
from issuer.partnerships.services import (
    add_organisation,
    create_partnership,
    current_key,
    get_organisation,
    organisation_did,
)
from issuer.sharing.links import share_url
from issuer.specifications.services import create_specification, get_specification
from keys.cli import SUITE_ALGORITHMS, read_json_document
from keys.errors import KeyDecryptionError, KeysError
from keys.keypairs import Algorithm
from keys.keystore import PASSPHRASE_ENV, open_keypair
from schemas.errors import SchemaError

ACTOR = "cli"
EXIT_FAILURE = 2
DEBUG_ENV = "MICROCRED_DEBUG"
PROGRESS_POLL = 0.25  # seconds between progress-bar updates of a bulk job


def fail(message: str, *lines: str) -> NoReturn:
    """Print ``error: message`` (and any detail lines, indented) and exit with status 2."""
    click.echo(f"error: {message}", err=True)
    for line in lines:
        click.echo(f"  {line}", err=True)
    sys.exit(EXIT_FAILURE)


def api_error_lines(error: ApiError) -> list[str]:
    """The detail lines of an API error: one per bad field, where it names fields."""
    details = error.details
    if not isinstance(details, dict):
        return []
    fields = details.get("fields")
    if isinstance(fields, dict):
        return [f"{name}: {problem}" for name, problem in fields.items()]
    if isinstance(fields, list):
        return [str(item) for item in fields]
    return []


class IssuerGroup(click.Group):
    """A group whose commands report every failure as ``error: …`` with exit status 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.Abort):
            raise
        except click.UsageError as error:
            command = error.ctx.command_path if error.ctx else "microcred issuer"
            fail(error.format_message(), f"(see `{command} --help`)")
        except click.ClickException as error:
            fail(error.format_message())
        except ApiError as error:
            fail(f"{error.message} [{error.code}]", *api_error_lines(error))
        except KeysError as error:
            fail(f"{error.message} [{error.code}]")
        except SchemaError as error:
            fail(f"{error.args[0] if error.args else error} [{error.code}]")
        except SQLAlchemyError as error:
            fail(f"database: {getattr(error, 'orig', None) or error}")
        except OSError as error:
            where = f"{error.filename}: " if error.filename else ""
            fail(f"{where}{error.strerror or error}")
        except Exception as error:
            if os.environ.get(DEBUG_ENV):
                raise
            fail(
                f"unexpected {type(error).__name__}: {error}",
                f"(set {DEBUG_ENV}=1 to see the traceback)",
            )


# --- the app, its database and the passphrase -------------------------------------------------


def engine_of(app: Flask) -> Engine:
    """The app's database engine."""
    engine: Engine = session_factory(app).kw["bind"]
    return engine


def sqlite_file(engine: Engine) -> Path | None:
    """The file of a file-based SQLite database, else None."""
    database = engine.url.database
    if engine.url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    return None if database.startswith("file:") else Path(database).expanduser()


def ensure_sqlite_folder(engine: Engine) -> None:
    """Create the folder of a SQLite database file, so a fresh path works."""
    path = sqlite_file(engine)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)


def require_schema(app: Flask) -> None:
    """Fail clearly when there is no database, or it has no issuer tables yet."""
    engine = engine_of(app)
    where = engine.url.render_as_string(hide_password=True)
    hint = "run `microcred issuer init-db` (or `microcred issuer demo`) first"
    path = sqlite_file(engine)
    if path is not None and not path.exists():
        fail(f"there is no database at {path}: {hint}")
    try:
        present = inspect(engine).has_table("partnerships")
    except SQLAlchemyError as error:
        fail(f"cannot open the database {where}: {getattr(error, 'orig', None) or error}")
    if not present:
        fail(f"the database {where} has no issuer tables: {hint}")


@contextmanager
def issuer_app(*, schema: bool = True) -> Iterator[Flask]:
    """The issuer app from the environment, inside its app context (``schema``: failing
    clearly when the database is not set up); the engine is disposed afterwards. Bulk jobs
    never start threads of their own here: the CLI runs them and shows their progress."""
    # The command line serves no pages and signs no cookies: it needs no secret key.
    app = create_app({"BULK_WORKER": "inline", "CHECK_SECRETS": False})
    try:
        with app.app_context():
            if schema:
                require_schema(app)
            yield app
    finally:
        engine_of(app).dispose()


def passphrase_of(app: Flask) -> bytes:
    """The key passphrase (``MICROCRED_KEY_PASSPHRASE``); fail clearly when it is not set."""
    value = app.config.get("KEY_PASSPHRASE")
    if not value:
        fail(
            f"set {PASSPHRASE_ENV} to the passphrase that seals the organisations' signing keys "
            "(this command opens or creates keys)"
        )
    return str(value).encode("utf-8")


def check_passphrase_opens_keys(session: Session, passphrase: bytes) -> None:
    """Fail unless ``passphrase`` opens a signing key already in the database (if there is
    one): a key sealed with a mistyped passphrase could never be opened by the service."""
    sealed = session.scalar(select(SigningKey.sealed_secret).order_by(SigningKey.id).limit(1))
    if sealed is None:
        return
    try:
        open_keypair(sealed, passphrase)
    except KeyDecryptionError:
        fail(
            f"{PASSPHRASE_ENV} does not open the signing keys already in this database; "
            "new keys must be sealed with the same passphrase"
        )


def get_partnership(session: Session, slug: str) -> Partnership:
    """The partnership ``slug``; ``NotFound`` otherwise."""
    partnership = session.scalar(select(Partnership).where(Partnership.slug == slug))
    if partnership is None:
        raise NotFound(f"no partnership {slug!r}", code="unknown_partnership")
    return partnership


def organisations_of(
    session: Session, partnership: Partnership, slugs: Sequence[str]
) -> list[Organisation]:
    """The partnership's organisations ``slugs``, in order."""
    return [get_organisation(session, partnership.id, slug) for slug in slugs]


# --- the group --------------------------------------------------------------------------------


@click.group(cls=IssuerGroup)
def issuer() -> None:
    """Run the issuer: database, partnerships, organisations, specifications, tokens, issuing.

    Settings come from the environment: DATABASE_URL, MICROCRED_ISSUER_URL (the public base
    URL; organisations' did:web derive from it) and MICROCRED_KEY_PASSPHRASE (seals the signing
    keys; needed by commands that open or create keys).
    """


issuer.add_command(audit)


@issuer.command("init-db")
def init_db() -> None:
    """Create the database or upgrade it to the newest schema (alembic upgrade head)."""
    with issuer_app(schema=False) as app:
        ensure_sqlite_folder(engine_of(app))
        upgrade(engine_of(app))
    click.echo("database is at the newest migration")


@issuer.command("create-partnership")
@click.argument("slug")
@click.argument("name")
def create_partnership_command(slug: str, name: str) -> None:
    """Create the partnership SLUG called NAME."""
    with issuer_app() as app, transaction(app) as session:
        create_partnership(session, slug, name)
    click.echo(f"partnership {slug} created")


@issuer.command("add-organisation")
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


@issuer.command("create-specification")
@click.argument("partnership_slug", metavar="PARTNERSHIP")
@click.argument("path", metavar="FILE.json")
def create_specification_command(partnership_slug: str, path: str) -> None:
    """Add the micro-credential specification in FILE.json (the API's JSON) to PARTNERSHIP."""
    data = read_json_document(path)
    with issuer_app() as app, transaction(app) as session:
        specification = create_specification(
            session, get_partnership(session, partnership_slug), data, base_url=config.base_url(app)
        )
        created = f"specification {specification.slug} created: {specification.uri}"
    click.echo(created)


@issuer.command("create-token")
@click.argument("partnership_slug", metavar="PARTNERSHIP")
@click.argument("organisation_slug", metavar="ORGANISATION")
@click.option(
    "--role", type=click.Choice([role.value for role in Role]), required=True, help="Its role."
)
@click.option("--name", required=True, help="A name for the token (shown in the audit log).")
@click.option(
    "--scope",
    type=click.Choice([scope.value for scope in TokenScope]),
    default=TokenScope.ORGANISATION.value,
    show_default=True,
    help="organisation: changes only credentials ORGANISATION issued or co-awards; "
    "partnership: may change every credential of the partnership (issuer or admin role).",
)
def create_token_command(
    partnership_slug: str, organisation_slug: str, role: str, name: str, scope: str
) -> None:
    """Create an API token for ORGANISATION and print its secret (shown only this once).

    Every token reads the whole partnership and issues as ORGANISATION. With the default
    organisation scope it suspends, reinstates and revokes only credentials ORGANISATION
    issued or is an awarding body of; grant --scope partnership deliberately, to a token that
    must act for the whole partnership."""
    with issuer_app() as app, transaction(app) as session:
        partnership = get_partnership(session, partnership_slug)
        organisation = get_organisation(session, partnership.id, organisation_slug)
        _, secret = create_token(session, organisation, Role(role), name, scope=TokenScope(scope))
    click.echo(secret)
    if scope == TokenScope.PARTNERSHIP.value:
        click.echo(
            f"(partnership scope: this token may change every credential of {partnership_slug})",
            err=True,
        )
    click.echo("(shown only once: the issuer stores only its hash)", err=True)


# --- issuing ----------------------------------------------------------------------------------

awarding_body_option = click.option(
    "--awarding-body",
    "awarding_bodies",
    multiple=True,
    metavar="ORG",
    help="A joint awarding body besides the issuing organisation (repeatable); each signs.",
)


def awarding_bodies_for(
    session: Session, partnership: Partnership, issuing: Organisation, slugs: Sequence[str]
) -> list[Organisation]:
    """The awarding bodies: the issuing organisation first, then the others named."""
    others = [slug for slug in dict.fromkeys(slugs) if slug != issuing.slug]
    return [issuing, *organisations_of(session, partnership, others)]


@issuer.command("issue")
@click.argument("partnership_slug", metavar="PARTNERSHIP")
@click.option("--organisation", "organisation_slug", required=True, help="The issuing org.")
@click.option("--specification", "specification_slug", required=True, help="What is awarded.")
@click.option("--reference", required=True, help="The learner's reference (student number).")
@click.option("--given-name", required=True)
@click.option("--family-name", required=True)
@click.option("--email")
@click.option("--date-of-birth", help="YYYY-MM-DD.")
@click.option("--grade")
@awarding_body_option
@click.option(
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Write the signed credential JSON to this file (- for stdout).",
)
def issue_command(
    partnership_slug: str,
    organisation_slug: str,
    specification_slug: str,
    reference: str,
    given_name: str,
    family_name: str,
    email: str | None,
    date_of_birth: str | None,
    grade: str | None,
    awarding_bodies: tuple[str, ...],
    output: str | None,
) -> None:
    """Issue one credential; print its id, share URL and the learner's management URL."""
    learner = learner_input(reference, given_name, family_name, email, date_of_birth)
    with issuer_app() as app:
        passphrase = passphrase_of(app)
        base_url = config.base_url(app)
        written: Path | None = None
        try:
            with transaction(app) as session:
                partnership = get_partnership(session, partnership_slug)
                organisation = get_organisation(session, partnership.id, organisation_slug)
                issued = issuance.issue_credential(
                    session,
                    issuer=organisation,
                    specification=get_specification(session, partnership.id, specification_slug),
                    learner=learner,
                    awarding_bodies=awarding_bodies_for(
                        session, partnership, organisation, awarding_bodies
                    ),
                    actor=ACTOR,
                    base_url=base_url,
                    passphrase=passphrase,
                    grade=grade,
                )
                shown = issued_lines(issued, base_url)
                document = issued.credential.document
                if output and output != "-":
                    # inside the transaction: a file that cannot be written undoes the issuance
                    written = write_issued(Path(output), document)
        except BaseException:
            if written is not None:  # the issuance did not commit: neither does the file
                written.unlink(missing_ok=True)
            raise
    if output == "-":
        click.echo(document)
    for line in shown:
        click.echo(line, err=output == "-")


def write_issued(path: Path, document: str) -> Path:
    """Write the signed credential exactly as stored (plus a final newline)."""
    path.write_text(document + "\n", encoding="utf-8")
    return path


def learner_input(
    reference: str,
    given_name: str,
    family_name: str,
    email: str | None,
    date_of_birth: str | None,
) -> Any:
    """The learner as ``issuance.LearnerInput`` (validated by it)."""
    data: dict[str, Any] = {
        "reference": reference,
        "givenName": given_name,
        "familyName": family_name,
    }
    if email:
        data["email"] = email
    if date_of_birth:
        data["dateOfBirth"] = date_of_birth
    return issuance.LearnerInput.from_json(data)


def issued_lines(issued: Any, base_url: str) -> list[str]:
    """What ``issue`` prints: the credential's id and the learner's two URLs."""
    return [
        f"credential: {issued.credential.credential_uri}",
        f"share: {share_url(base_url, issued.share_link.token)}",
        f"manage: {manage_url(base_url, issued.manage_token)}",
    ]


def manage_url(base_url: str, token: str) -> str:
    """The learner's management URL: their share links (list, create, expire, withdraw)."""
    return f"{base_url}/api/v1/learner/{token}/share-links"


# --- bulk -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobProgress:
    """A bulk job's counters as last read."""

    state: JobState
    total: int
    issued: int
    errors: int
    failure: str | None

    @property
    def done(self) -> int:
        return self.issued + self.errors


def job_progress(app: Flask, job_id: int) -> JobProgress:
    """Read the job's counters in a fresh transaction."""
    with transaction(app) as session:
        job = session.get(BulkJob, job_id)
        if job is None:
            raise NotFound(f"no bulk job {job_id}", code="unknown_job")
        return JobProgress(job.state, job.total_rows, job.issued_rows, job.error_rows, job.failure)


def run_with_progress(app: Flask, job_id: int) -> JobProgress:
    """Run the job's pending rows (``bulk.run_job`` in a worker thread, one transaction per
    row) while a progress bar on stderr follows the job's counters. A done job is left alone;
    a failed one is tried again."""
    progress = job_progress(app, job_id)
    if progress.state is JobState.DONE:
        return progress
    crashed: list[BaseException] = []

    def work() -> None:
        try:
            bulk.run_job(app, job_id)
        except BaseException as error:  # reported by the main thread
            crashed.append(error)

    worker = threading.Thread(target=work, name=f"bulk-job-{job_id}", daemon=True)
    with click.progressbar(
        length=max(progress.total, 1), label=f"job {job_id}", show_pos=True, file=sys.stderr
    ) as bar:
        shown = progress.done
        bar.update(shown)
        worker.start()
        while worker.is_alive():
            worker.join(PROGRESS_POLL)
            progress = job_progress(app, job_id)
            bar.update(progress.done - shown)
            shown = progress.done
    if crashed:
        raise crashed[0]
    return progress


def finish_job(app: Flask, job_id: int, progress: JobProgress, errors_out: str | None) -> None:
    """Print the job's outcome and say where its error report is (written to ``errors_out``
    when given); a failed job is a failure (exit status 2)."""
    click.echo(f"job {job_id}: {progress.state.value}")
    click.echo(f"issued: {progress.issued}")
    click.echo(f"errors: {progress.errors}")
    if errors_out:
        with transaction(app) as session:
            report = bulk.job_errors_csv(session, session.get_one(BulkJob, job_id))
        Path(errors_out).write_text(report, encoding="utf-8", newline="")
        click.echo(f"error report: {errors_out}")
    elif progress.errors:
        click.echo(
            f"error report: `microcred issuer resume {job_id} --errors-out FILE`, or "
            f"GET {config.base_url(app)}/api/v1/bulk-jobs/{job_id}/errors.csv"
        )
    if progress.state is JobState.FAILED:
        fail(
            f"bulk job {job_id} failed: {progress.failure}",
            f"what was issued stays; run the rest with `microcred issuer resume {job_id}`",
        )


errors_out_option = click.option(
    "--errors-out",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the error report (CSV: line,reference,code,message) to this file.",
)


@issuer.command("bulk")
@click.argument("partnership_slug", metavar="PARTNERSHIP")
@click.option("--organisation", "organisation_slug", required=True, help="The issuing org.")
@click.option("--specification", "specification_slug", required=True, help="What is awarded.")
@click.argument("csv_path", metavar="FILE.csv", type=click.Path(dir_okay=False, exists=True))
@awarding_body_option
@errors_out_option
def bulk_command(
    partnership_slug: str,
    organisation_slug: str,
    specification_slug: str,
    csv_path: str,
    awarding_bodies: tuple[str, ...],
    errors_out: str | None,
) -> None:
    """Issue a credential for every row of FILE.csv (columns reference, given_name,
    family_name; optional email, date_of_birth, grade), with a progress bar."""
    content = Path(csv_path).read_bytes()
    with issuer_app() as app:
        passphrase_of(app)
        with transaction(app) as session:
            partnership = get_partnership(session, partnership_slug)
            organisation = get_organisation(session, partnership.id, organisation_slug)
            job = bulk.create_job(
                session,
                issuer=organisation,
                specification=get_specification(session, partnership.id, specification_slug),
                awarding_bodies=awarding_bodies_for(
                    session, partnership, organisation, awarding_bodies
                ),
                filename=Path(csv_path).name,
                content=content,
                actor=ACTOR,
            )
            job_id = job.id
        click.echo(f"job: {job_id}")
        finish_job(app, job_id, run_job_interruptibly(app, job_id), errors_out)


@issuer.command("resume")
@click.argument("job_id", type=int)
@errors_out_option
def resume_command(job_id: int, errors_out: str | None) -> None:
    """Run the remaining rows of bulk job JOB_ID (e.g. after an interruption)."""
    with issuer_app() as app:
        passphrase_of(app)
        finish_job(app, job_id, run_job_interruptibly(app, job_id), errors_out)


def run_job_interruptibly(app: Flask, job_id: int) -> JobProgress:
    """Run the job; on Ctrl-C say how to resume it."""
    try:
        return run_with_progress(app, job_id)
    except KeyboardInterrupt:
        fail(f"interrupted: resume with `microcred issuer resume {job_id}`")


# --- status and keys --------------------------------------------------------------------------


def status_command(action: str, past: str, reason_required: bool) -> click.Command:
    @click.argument("partnership_slug", metavar="PARTNERSHIP")
    @click.argument("credential_ref", metavar="CREDENTIAL_ID")
    @click.option("--reason", required=reason_required, help="Why (kept in the audit log).")
    def command(partnership_slug: str, credential_ref: str, reason: str | None) -> None:
        with issuer_app() as app, transaction(app) as session:
            partnership = get_partnership(session, partnership_slug)
            credential = issuance.get_credential(session, partnership.id, credential_ref)
            credential = issuance.change_status(
                session, credential, action, actor=ACTOR, reason=reason
            )
            click.echo(f"{credential.credential_uri}: {credential.state.value}")

    command.__doc__ = f"{action.capitalize()} credential CREDENTIAL_ID of PARTNERSHIP ({past})."
    return issuer.command(action)(command)


status_command("suspend", "temporarily invalid until reinstated", reason_required=True)
status_command("reinstate", "lifts a suspension", reason_required=False)
status_command("revoke", "permanently", reason_required=True)


@issuer.command("rotate-key")
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


@issuer.command("compromise-key")
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


# --- the demo ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoSetup:
    """What ``demo`` did: whether it created the partnership, and a fresh issuer token."""

    created: bool
    token: str
    partnership: str
    organisation: str
    did: str
    expected_did: str


def ensure_demo(app: Flask) -> DemoSetup:
    """Bring the database to the newest schema and make sure the demo partnership exists;
    return a fresh issuer token of its first organisation (only token hashes are stored, so
    an existing demo gets a new token, named ``demo-<timestamp>``)."""
    engine = engine_of(app)
    ensure_sqlite_folder(engine)
    upgrade(engine)
    base_url = config.base_url(app)
    slug, organisation_slug = DEMO_PARTNERSHIP[0], DEMO_ORGANISATIONS[0][0]
    with transaction(app) as session:
        partnership = session.scalar(select(Partnership).where(Partnership.slug == slug))
        if partnership is None:
            passphrase = passphrase_of(app)
            check_passphrase_opens_keys(session, passphrase)
            demo = create_demo(session, base_url=base_url, passphrase=passphrase)
            organisation = demo.organisations[0]
            token = demo.tokens[f"{organisation.slug}:{Role.ISSUER.value}"]
            created = True
        else:
            organisation = get_organisation(session, partnership.id, organisation_slug)
            add_demo_staff(session, list(partnership.organisations))
            name = f"demo-{utcnow().strftime('%Y%m%dT%H%M%S%fZ')}"
            _, token = create_token(session, organisation, Role.ISSUER, name)
            created = False
        return DemoSetup(
            created=created,
            token=token,
            partnership=slug,
            organisation=organisation.slug,
            did=organisation.did,
            expected_did=organisation_did(base_url, slug, organisation.slug),
        )


def describe_demo(setup: DemoSetup) -> list[str]:
    """Notes for stderr about the demo partnership."""
    lines = [
        f"demo partnership {setup.partnership} "
        + ("created" if setup.created else "exists already: made a new token"),
        f"the token issues as {setup.organisation} ({setup.did})",
        f"staff pages: /staff — sign in as {demo_staff_email(setup.organisation)} with "
        f"password {demo_password()!r} (MICROCRED_DEMO_PASSWORD)",
    ]
    if setup.did != setup.expected_did:
        lines.append(
            f"warning: the demo was created for another base URL than {setup.expected_did}; "
            "its DIDs will not resolve here (remove the database to start afresh)"
        )
    return lines


@issuer.command("demo")
def demo_command() -> None:
    """Create the database and the demo partnership if absent (idempotent); print an issuer
    token of its first organisation as ``token: …``."""
    with issuer_app(schema=False) as app:
        setup = ensure_demo(app)
    for line in describe_demo(setup):
        click.echo(line, err=True)
    click.echo(f"token: {setup.token}")
