"""Getting bulk-issued credentials to their learners: the links export, and e-mail.

* :func:`links_csv` — every row of a job with its learner's management link and share link,
  for a mail merge (the management token is kept sealed on the row, :mod:`issuer.bulk.sealing`;
  a row whose learner was given a new management link since shows that it was replaced).
* E-mail, when ``MICROCRED_SMTP_URL`` is set (``smtp://[user:password@]host[:port]``;
  ``smtps://`` for TLS, ``?starttls=1`` to upgrade; ``MICROCRED_MAIL_FROM`` the sender): when a
  job is done, one :class:`~issuer.bulk.models.Delivery` per issued row that has an e-mail
  address, each sent by the queue (:func:`send`), in the row's ``language`` (en, da), tried
  again on temporary failures; a permanent refusal (5xx) is a bounce. :func:`report` tells.
"""

from __future__ import annotations

import contextlib
import csv
import io
import smtplib
import ssl
from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from flask import Flask
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, aliased

from issuer import config
from issuer.bulk.models import Delivery, DeliveryState
from issuer.bulk.sealing import Sealer
from issuer.db import transaction
from issuer.models import BulkJob, BulkJobRow, IssuedCredential, RowState, ShareLink, utcnow
from issuer.sharing.links import hash_manage_token, share_url

#: A delivery is given up after this many attempts.
MAX_ATTEMPTS = 5
#: A delivery still pending this long after its last try is queued again (its task was lost).
STALE_DELIVERY = timedelta(minutes=10)
SMTP_TIMEOUT = 20.0

SUBJECT = {
    "en": "Your micro-credential: {title}",
    "da": "Dit mikrobevis: {title}",
}
BODY = {
    "en": (
        "Dear {given_name} {family_name},\n\n"
        "{issuer} has issued you the micro-credential \u201c{title}\u201d.\n\n"
        "Share it with anyone (an employer, another school) with this link:\n{share}\n\n"
        "Manage your credential (make new share links, withdraw them) with your own link.\n"
        "Keep it to yourself:\n{manage}\n"
    ),
    "da": (
        "K\u00e6re {given_name} {family_name},\n\n"
        "{issuer} har udstedt mikrobeviset \u201c{title}\u201d til dig.\n\n"
        "Del det med hvem som helst (en arbejdsgiver, en anden skole) med dette link:\n"
        "{share}\n\n"
        "Administr\u00e9r dit bevis (lav nye delingslinks, tilbagekald dem) med dit eget link.\n"
        "Hold det for dig selv:\n{manage}\n"
    ),
}


def manage_url(base_url: str, token: str) -> str:
    """The learner's management page for ``token``."""
    return f"{base_url.rstrip('/')}/learner/{token}"


def _cell(value: Any) -> str:
    """A cell safe to open in a spreadsheet: text starting like a formula gets a leading ``'``."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _issued_rows(session: Session, job: BulkJob) -> Any:
    earliest = aliased(ShareLink)
    first_link = (
        select(func.min(earliest.id))
        .where(earliest.credential_id == IssuedCredential.id)
        .correlate(IssuedCredential)
        .scalar_subquery()
    )
    return session.execute(
        select(
            BulkJobRow.id,
            BulkJobRow.line,
            BulkJobRow.data,
            BulkJobRow.manage_token_sealed,
            IssuedCredential.credential_uri,
            IssuedCredential.manage_token_hash,
            ShareLink.token,
        )
        .join(IssuedCredential, IssuedCredential.id == BulkJobRow.credential_id)
        .outerjoin(ShareLink, ShareLink.id == first_link)
        .where(BulkJobRow.job_id == job.id, BulkJobRow.state == RowState.ISSUED)
        .order_by(BulkJobRow.line)
        .execution_options(yield_per=1000)
    )


def links_csv(session: Session, job: BulkJob, *, base_url: str, passphrase: bytes) -> str:
    """The job's issued rows as CSV (``line, reference, given_name, family_name, email,
    language, credential, share_url, manage_url``), in file order. ``manage_url`` is
    ``replaced`` when the learner was given a new management link since the job."""
    sealer = Sealer(passphrase)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            "line",
            "reference",
            "given_name",
            "family_name",
            "email",
            "language",
            "credential",
            "share_url",
            "manage_url",
        ]
    )
    for row_id, line, data, sealed, uri, token_hash, share in _issued_rows(session, job):
        token = sealer.unseal(sealed, row_id=row_id)
        manage = "replaced"
        if token is not None and hash_manage_token(token) == token_hash:
            manage = manage_url(base_url, token)
        writer.writerow(
            [
                line,
                _cell(data.get("reference")),
                _cell(data.get("given_name")),
                _cell(data.get("family_name")),
                _cell(data.get("email")),
                (data.get("language") or "en").lower(),
                uri,
                share_url(base_url, share) if share else "",
                manage,
            ]
        )
    return out.getvalue()


# --- e-mail -----------------------------------------------------------------------------------


def smtp_configured(app: Flask) -> bool:
    """True when ``MICROCRED_SMTP_URL`` is set: jobs then mail their learners."""
    return bool(app.config.get("SMTP_URL"))


def queue_job_mail(app: Flask, job_id: int, *, enqueue: Callable[[int], Any]) -> int:
    """When SMTP is configured, make a pending delivery for every issued row of the job with an
    e-mail address that has none yet, and ``enqueue`` each; how many were made."""
    if not smtp_configured(app):
        return 0
    now = utcnow()
    with transaction(app) as session:
        have = select(Delivery.id).where(Delivery.row_id == BulkJobRow.id).exists()
        rows = session.execute(
            select(BulkJobRow.id, BulkJobRow.data).where(
                BulkJobRow.job_id == job_id, BulkJobRow.state == RowState.ISSUED, ~have
            )
        ).all()
        values = [
            {
                "job_id": job_id,
                "row_id": row_id,
                "email": data["email"],
                "language": (data.get("language") or "en").lower(),
                "state": DeliveryState.PENDING,
                "attempts": 0,
                "updated_at": now,
            }
            for row_id, data in rows
            if data.get("email")
        ]
        if values:
            session.execute(insert(Delivery), values)
        ids = list(
            session.scalars(
                select(Delivery.id).where(
                    Delivery.job_id == job_id,
                    Delivery.state == DeliveryState.PENDING,
                    Delivery.row_id.in_([v["row_id"] for v in values]),
                )
            )
        )
    for delivery_id in ids:
        enqueue(delivery_id)
    return len(ids)


class TemporaryFailure(Exception):
    """A send failed in a way that may pass (the server is away, a 4xx answer): try again."""


def _smtp(url: str) -> smtplib.SMTP:
    parts = urlsplit(url)
    options = parse_qs(parts.query)
    host = parts.hostname or "localhost"
    if parts.scheme == "smtps":
        server: smtplib.SMTP = smtplib.SMTP_SSL(
            host, parts.port or 465, timeout=SMTP_TIMEOUT, context=ssl.create_default_context()
        )
    elif parts.scheme == "smtp":
        server = smtplib.SMTP(host, parts.port or 25, timeout=SMTP_TIMEOUT)
        if options.get("starttls", ["0"])[0] in ("1", "true"):
            server.starttls(context=ssl.create_default_context())
    else:
        raise ValueError("MICROCRED_SMTP_URL must be smtp://… or smtps://…")
    if parts.username:
        server.login(unquote(parts.username), unquote(parts.password or ""))
    return server


def message(app: Flask, session: Session, delivery: Delivery) -> EmailMessage:
    """The e-mail of ``delivery``, in its language, with the learner's two links."""
    row = session.get_one(BulkJobRow, delivery.row_id)
    credential = session.get_one(IssuedCredential, row.credential_id)
    token = Sealer(config.key_passphrase(app)).unseal(row.manage_token_sealed, row_id=row.id)
    if token is None or hash_manage_token(token) != credential.manage_token_hash:
        raise LookupError("the learner's management link was replaced; not sent")
    share = session.scalar(
        select(ShareLink.token)
        .where(ShareLink.credential_id == credential.id)
        .order_by(ShareLink.id)
        .limit(1)
    )
    base = config.base_url(app)
    language = delivery.language if delivery.language in SUBJECT else "en"
    titles = credential.specification.title or {}
    title = str(titles.get(language) or titles.get("en") or next(iter(titles.values()), ""))
    fields = {
        "given_name": row.data.get("given_name", ""),
        "family_name": row.data.get("family_name", ""),
        "issuer": credential.issuer.legal_name,
        "title": title,
        "share": share_url(base, share or ""),
        "manage": manage_url(base, token),
    }
    mail = EmailMessage()
    mail["Subject"] = SUBJECT[language].format(title=title)
    mail["From"] = str(app.config.get("MAIL_FROM") or "microcred@localhost")
    mail["To"] = delivery.email
    mail.set_content(BODY[language].format(**fields))
    mail["Content-Language"] = language
    return mail


def _settle(app: Flask, delivery_id: int, state: DeliveryState, reason: str | None) -> None:
    with transaction(app) as session:
        delivery = session.get_one(Delivery, delivery_id)
        delivery.state = state
        delivery.reason = reason[:2000] if reason else None
        delivery.updated_at = utcnow()


def send(app: Flask, delivery_id: int) -> DeliveryState:
    """Send one delivery unless it was sent or given up already. A permanent refusal (5xx,
    every recipient refused, a replaced link) fails it with the reason; a temporary one
    raises :class:`TemporaryFailure` (the queue tries again) until ``MAX_ATTEMPTS``."""
    with transaction(app) as session:
        delivery = session.get(Delivery, delivery_id)
        if delivery is None or delivery.state is not DeliveryState.PENDING:
            return delivery.state if delivery else DeliveryState.FAILED
        delivery.attempts += 1
        delivery.updated_at = utcnow()
        attempts = delivery.attempts
        try:
            mail = message(app, session, delivery)
        except LookupError as error:
            mail, reason = None, str(error)
    if mail is None:
        _settle(app, delivery_id, DeliveryState.FAILED, reason)
        return DeliveryState.FAILED
    try:
        with _smtp(str(app.config["SMTP_URL"])) as server:
            server.send_message(mail)
    except smtplib.SMTPRecipientsRefused as error:
        _settle(app, delivery_id, DeliveryState.FAILED, f"bounced: {error.recipients}")
        return DeliveryState.FAILED
    except smtplib.SMTPResponseException as error:
        reason = f"{error.smtp_code} {error.smtp_error!r}"
        if error.smtp_code >= 500 or attempts >= MAX_ATTEMPTS:
            _settle(app, delivery_id, DeliveryState.FAILED, reason)
            return DeliveryState.FAILED
        _settle(app, delivery_id, DeliveryState.PENDING, reason)
        raise TemporaryFailure(reason) from error
    except (OSError, smtplib.SMTPException) as error:
        reason = f"{type(error).__name__}: {error}"
        if attempts >= MAX_ATTEMPTS:
            _settle(app, delivery_id, DeliveryState.FAILED, reason)
            return DeliveryState.FAILED
        _settle(app, delivery_id, DeliveryState.PENDING, reason)
        raise TemporaryFailure(reason) from error
    _settle(app, delivery_id, DeliveryState.SENT, None)
    return DeliveryState.SENT


def send_pending(app: Flask, job_id: int) -> None:
    """Send the job's pending deliveries now, once each (the inline worker: no retries)."""
    with transaction(app) as session:
        ids = list(
            session.scalars(
                select(Delivery.id).where(
                    Delivery.job_id == job_id, Delivery.state == DeliveryState.PENDING
                )
            )
        )
    for delivery_id in ids:
        with contextlib.suppress(TemporaryFailure):
            send(app, delivery_id)


def requeue_stale(app: Flask, *, enqueue: Callable[[int], Any]) -> int:
    """Queue again the deliveries pending for ``STALE_DELIVERY`` since their last try."""
    cutoff = utcnow() - STALE_DELIVERY
    with transaction(app) as session:
        stale = list(
            session.scalars(
                select(Delivery.id).where(
                    Delivery.state == DeliveryState.PENDING, Delivery.updated_at <= cutoff
                )
            )
        )
        for delivery_id in stale:
            session.get_one(Delivery, delivery_id).updated_at = utcnow()
    for delivery_id in stale:
        enqueue(delivery_id)
    return len(stale)


def report(session: Session, job: BulkJob) -> dict[str, Any]:
    """The job's delivery report: counts by state and each failure with its reason."""
    counts = dict(
        session.execute(
            select(Delivery.state, func.count())
            .where(Delivery.job_id == job.id)
            .group_by(Delivery.state)
        ).all()
    )
    failures = session.execute(
        select(BulkJobRow.line, Delivery.email, Delivery.reason, Delivery.attempts)
        .join(BulkJobRow, BulkJobRow.id == Delivery.row_id)
        .where(Delivery.job_id == job.id, Delivery.state == DeliveryState.FAILED)
        .order_by(BulkJobRow.line)
    ).all()
    return {
        "pending": counts.get(DeliveryState.PENDING, 0),
        "sent": counts.get(DeliveryState.SENT, 0),
        "failed": counts.get(DeliveryState.FAILED, 0),
        "failures": [
            {"line": line, "email": email, "reason": reason, "attempts": attempts}
            for line, email, reason, attempts in failures
        ],
    }
