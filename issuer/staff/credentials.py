"""Issued credentials on the staff pages: searching them, one credential's page (learner,
status, share links, history) and its signed document, and suspending, reinstating or revoking
it with a reason. Staff see every credential of the partnership but change only those their
organisation awards (``issuer.auth.scope``)."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from issuer import config
from issuer.auth.scope import awarding_organisations, may_act
from issuer.auth.staff import staff_required
from issuer.credentials import issuance, reissue
from issuer.credentials.search import learner_words
from issuer.db import get_session
from issuer.errors import Conflict, InvalidInput, NotFound
from issuer.models import AuditEvent, IssuedCredential, Learner, Role, ShareLink
from issuer.sharing.links import link_state, share_url
from issuer.staff.blueprint import (
    actor,
    bp,
    find_credential,
    not_yours,
    own_partnership_id,
    paginate,
    partnership_specifications,
    staff_user,
)
from issuer.staff.display import POSSIBLE_ACTIONS, STATE_LABELS, STATUS_ACTIONS
from issuer.staff.forms import CredentialSearchForm, StatusChangeForm


@bp.get("/credentials")
@staff_required()
def credentials() -> ResponseReturnValue:
    """Search issued credentials by learner name or reference, state and specification."""
    form = CredentialSearchForm(specifications=partnership_specifications())
    search = form.search()
    query = (
        select(IssuedCredential)
        .join(Learner, Learner.id == IssuedCredential.learner_id)
        .where(IssuedCredential.partnership_id == own_partnership_id())
    )
    if search.text:
        query = query.where(learner_words(search.text))
    if search.state is not None:
        query = query.where(IssuedCredential.state == search.state)
    if search.specification is not None:
        query = query.where(IssuedCredential.specification_id == search.specification.id)
    return render_template(
        "staff/credentials.html",
        page=paginate(query.order_by(IssuedCredential.id.desc())),
        form=form,
        uuid_of=lambda credential: credential.uuid,
    )


def _may_change(credential: IssuedCredential) -> bool:
    """Whether the user's organisation awards ``credential`` (issued it or co-awards it)."""
    return may_act(
        staff_user().organisation_id, awarding_organisations(credential), partnership_wide=False
    )


@bp.get("/credentials/<ref>")
@staff_required()
def credential(ref: str) -> ResponseReturnValue:
    """One issued credential: learner, specification, status, share links and its history."""
    found = find_credential(ref)
    db = get_session()
    links = list(
        db.scalars(
            select(ShareLink).where(ShareLink.credential_id == found.id).order_by(ShareLink.id)
        )
    )
    events = list(
        db.scalars(
            select(AuditEvent)
            .where(AuditEvent.credential_id == found.id)
            .order_by(AuditEvent.id.desc())
        )
    )
    may_change = _may_change(found)
    return render_template(
        "staff/credential.html",
        credential=found,
        ref=found.uuid,
        links=[
            (link, link_state(link), share_url(config.base_url(), link.token)) for link in links
        ],
        events=events,
        actions=POSSIBLE_ACTIONS[found.state] if may_change else [],
        may_change=may_change,
        replaces=reissue.replaces(db, found),
        replaced_by=reissue.replaced_by(db, found),
    )


@bp.get("/credentials/<ref>/document.jsonld")
@staff_required()
def credential_document(ref: str) -> ResponseReturnValue:
    """The signed credential exactly as stored, as a download."""
    found = find_credential(ref)
    return Response(
        found.document,
        mimetype="application/ld+json",
        headers={"Content-Disposition": f'attachment; filename="{found.uuid}.jsonld"'},
    )


def verifiers_see_it_within() -> str:
    """When verifiers see a status change, from the ``STATUS_LIST_MAX_AGE`` setting (how long
    they may cache a status list)."""
    seconds = config.status_list_max_age()
    if seconds <= 1:
        return _("Verifiers will see this within a second.")
    return _("Verifiers will see this within %(seconds)d seconds.", seconds=seconds)


@bp.route("/credentials/<ref>/status/<action>", methods=["GET", "POST"])
@staff_required(Role.ISSUER)
def change_status(ref: str, action: str) -> ResponseReturnValue:
    """Suspend, reinstate or revoke a credential: a confirmation page asking for the reason,
    then the change (recorded in the audit log with the reason). A change the credential's
    state does not allow answers 409, a problem with the reason 422, another member's
    credential 403."""
    if action not in STATUS_ACTIONS:
        raise NotFound("no such action")
    found = find_credential(ref)
    if not _may_change(found):
        return not_yours(
            _(
                "Only the organisations that award this credential can suspend, reinstate or "
                "revoke it. Ask one of them."
            )
        )
    uuid = found.uuid
    possible = action in POSSIBLE_ACTIONS[found.state]
    form = StatusChangeForm()
    if form.is_submitted() and possible and form.validate():
        db = get_session()
        try:
            issuance.change_status(db, found, action, actor=actor(), reason=form.reason.data)
        except InvalidInput as error:
            db.rollback()
            found = find_credential(ref)
            possible = form.reason_problem(error)
        except Conflict:
            db.rollback()
            found = find_credential(ref)
            possible = False
        else:
            db.commit()
            state = str(STATE_LABELS[found.state.value]).lower()
            flash(
                f"{_('The credential is now %(state)s.', state=state)} {verifiers_see_it_within()}"
            )
            return redirect(url_for("staff.credential", ref=uuid))
    status = 200 if possible and not form.problems() else (409 if not possible else 422)
    page = render_template(
        "staff/status_change.html",
        credential=found,
        ref=uuid,
        action=action,
        possible=possible,
        form=form,
        delay=verifiers_see_it_within(),
    )
    return page, status
