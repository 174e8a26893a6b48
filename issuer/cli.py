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

import importlib
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click
from flask import Flask
from sqlalchemy import Engine, inspect, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from issuer.app import create_app
from issuer.db import session_factory, upgrade
from issuer.errors import ApiError, NotFound
from issuer.models import (
    Organisation,
    Partnership,
    SigningKey,
)
from issuer.partnerships.services import (
    get_organisation,
)
from keys.errors import KeyDecryptionError, KeysError
from keys.keystore import PASSPHRASE_ENV, open_keypair
from schemas.errors import SchemaError

ACTOR = "cli"
EXIT_FAILURE = 2
DEBUG_ENV = "MICROCRED_DEBUG"


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
    """A group whose commands report every failure as ``error: …`` with exit status 2.

    ``lazy_commands`` names commands by ``"module:attribute"``, imported when first used (or
    listed): each domain keeps its commands in its own ``cli`` module, which imports the helpers
    below, so this module cannot import those modules at its top."""

    def __init__(
        self, *args: Any, lazy_commands: Mapping[str, str] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = dict(lazy_commands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command, the lazy ones included, sorted."""
        return sorted(set(super().list_commands(ctx)) | set(self.lazy_commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command ``cmd_name``, importing it on first use when it is a lazy one."""
        if cmd_name not in self.commands and cmd_name in self.lazy_commands:
            module, _, attribute = self.lazy_commands[cmd_name].partition(":")
            command = getattr(importlib.import_module(module), attribute)
            if not isinstance(command, click.Command):
                raise TypeError(f"{self.lazy_commands[cmd_name]} is not a click command")
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; any failure becomes ``error: …`` and exit status 2."""
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
    hint = "run `microcred issuer init-db` (or `microcred demo setup`) first"
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


# --- shared by issue and bulk -------------------------------------------------------------------

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


# --- the group --------------------------------------------------------------------------------


#: Each domain's commands, in its own package (``issuer/<domain>/cli.py``).
DOMAIN_COMMANDS = {
    "create-partnership": "issuer.partnerships.cli:create_partnership_command",
    "add-organisation": "issuer.partnerships.cli:add_organisation_command",
    "create-specification": "issuer.specifications.cli:create_specification_command",
    "rotate-key": "issuer.partnerships.cli:rotate_key_command",
    "compromise-key": "issuer.partnerships.cli:compromise_key_command",
    "set-logo": "issuer.partnerships.cli:set_logo_command",
    "create-token": "issuer.auth.cli:create_token_command",
    "issue": "issuer.credentials.cli:issue_command",
    "bulk": "issuer.bulk.cli:bulk_command",
    "resume": "issuer.bulk.cli:resume_command",
    "follow": "issuer.bulk.cli:follow_command",
    "suspend": "issuer.status.cli:suspend",
    "reinstate": "issuer.status.cli:reinstate",
    "revoke": "issuer.status.cli:revoke",
    "audit": "issuer.audit.cli:audit",
    "learners": "issuer.sharing.cli:learners",
}


@click.group(cls=IssuerGroup, lazy_commands=DOMAIN_COMMANDS)
def issuer() -> None:
    """Run the issuer: database, partnerships, organisations, specifications, tokens, issuing.

    Settings come from the environment: DATABASE_URL, MICROCRED_ISSUER_URL (the public base
    URL; organisations' did:web derive from it) and MICROCRED_KEY_PASSPHRASE (seals the signing
    keys; needed by commands that open or create keys).
    """


@issuer.command("init-db")
def init_db() -> None:
    """Create the database or upgrade it to the newest schema (alembic upgrade head)."""
    with issuer_app(schema=False) as app:
        ensure_sqlite_folder(engine_of(app))
        upgrade(engine_of(app))
    click.echo("database is at the newest migration")
