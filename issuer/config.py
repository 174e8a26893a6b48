"""The issuer's settings: read from the environment once, by the application factory, and read
back by everything else through the accessors here, never from ``app.config`` keys spelt out
in views and services.

Environment variables: ``MICROCRED_SECRET_KEY`` and ``MICROCRED_DEMO`` (see
:mod:`issuer.server_secrets`), ``DATABASE_URL`` (default: a SQLite file in the instance
folder), ``MICROCRED_ISSUER_URL`` (the public base URL: share links, status lists, did:web),
``MICROCRED_VERIFIER_URL`` (what QR codes point to), ``MICROCRED_KEY_PASSPHRASE`` (seals the
signing keys), ``MICROCRED_BULK_WORKER`` (``queue``, the default, or ``inline``),
``MICROCRED_QUEUE_URL`` (or ``REDIS_URL``: the task queue's broker; unset: the embedded SQLite
queue, see
:mod:`issuer.bulk.queue`), ``MICROCRED_QUEUE_NAME``, ``MICROCRED_BULK_LEASE_SECONDS`` and
``MICROCRED_BULK_SWEEP_SECONDS`` (how soon a dead worker's batch is taken over),
``MICROCRED_SMTP_URL`` and ``MICROCRED_MAIL_FROM`` (learner e-mail; unset: none is sent) and
``MICROCRED_STATUS_LIST_MAX_AGE`` (seconds verifiers may cache a status list) and
``MICROCRED_EDC_SHAPES`` (the EU's EDC SHACL shapes files that a new specification's sample
credentials must conform to; unset: no check).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from issuer import server_secrets
from issuer.errors import ApiError
from issuer.status.publication import DEFAULT_MAX_AGE as DEFAULT_STATUS_LIST_MAX_AGE

#: A 10,000-row CSV is ~1 MB; far larger uploads are refused.
DEFAULT_MAX_UPLOAD = 20 * 1024 * 1024


def from_environment(instance_path: str, environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """The issuer's settings as ``app.config`` holds them, read from ``environ``."""
    return {
        "SECRET_KEY": environ.get(server_secrets.SECRET_ENV),
        "DEMO": server_secrets.demo_from_environment(),
        "DATABASE_URL": environ.get(
            "DATABASE_URL", f"sqlite:///{Path(instance_path) / 'issuer.sqlite3'}"
        ),
        "ISSUER_BASE_URL": environ.get("MICROCRED_ISSUER_URL", "http://localhost:5000"),
        "VERIFIER_BASE_URL": environ.get("MICROCRED_VERIFIER_URL", "http://localhost:5001"),
        "KEY_PASSPHRASE": environ.get("MICROCRED_KEY_PASSPHRASE"),
        "MAX_CONTENT_LENGTH": DEFAULT_MAX_UPLOAD,
        "BULK_WORKER": environ.get("MICROCRED_BULK_WORKER", "queue"),
        "QUEUE_URL": environ.get("MICROCRED_QUEUE_URL") or environ.get("REDIS_URL") or None,
        "QUEUE_NAME": environ.get("MICROCRED_QUEUE_NAME") or None,
        "BULK_LEASE_SECONDS": environ.get("MICROCRED_BULK_LEASE_SECONDS") or None,
        "BULK_SWEEP_SECONDS": environ.get("MICROCRED_BULK_SWEEP_SECONDS") or None,
        "SMTP_URL": environ.get("MICROCRED_SMTP_URL") or None,
        "MAIL_FROM": environ.get("MICROCRED_MAIL_FROM") or None,
        "STATUS_LIST_MAX_AGE": int(
            environ.get("MICROCRED_STATUS_LIST_MAX_AGE") or DEFAULT_STATUS_LIST_MAX_AGE
        ),
        "EDC_SHAPES": environ.get("MICROCRED_EDC_SHAPES") or None,
    }


def base_url(app: Flask | None = None) -> str:
    """The issuer's public base URL (of ``app``, else the current app), without a trailing
    slash."""
    return str((app or current_app).config["ISSUER_BASE_URL"]).rstrip("/")


def verifier_url(app: Flask | None = None) -> str:
    """The base URL of the verifier that QR codes and certificates point to, without a
    trailing slash."""
    return str((app or current_app).config["VERIFIER_BASE_URL"]).rstrip("/")


def key_passphrase(app: Flask | None = None) -> bytes:
    """The passphrase that seals the signing keys; :class:`~issuer.errors.ApiError` 503
    ``signing_unavailable`` when none is configured (nothing can be signed)."""
    secret = (app or current_app).config.get("KEY_PASSPHRASE")
    if not secret:
        raise ApiError(
            "the issuer has no key passphrase configured", code="signing_unavailable", status=503
        )
    return secret if isinstance(secret, bytes) else str(secret).encode()


def status_list_max_age(app: Flask | None = None) -> int:
    """Seconds a status list may be cached (``STATUS_LIST_MAX_AGE``): how soon verifiers see
    a revocation or suspension."""
    config = (app or current_app).config
    return int(config.get("STATUS_LIST_MAX_AGE", DEFAULT_STATUS_LIST_MAX_AGE))


def edc_shapes(app: Flask | None = None) -> str | None:
    """The EDC SHACL shapes files (``MICROCRED_EDC_SHAPES``: one path, or several joined by
    ``os.pathsep``) that a new specification's sample credentials are checked against, or
    ``None``: no check."""
    value = (app or current_app).config.get("EDC_SHAPES")
    return str(value) if value else None
