"""``POST /api/v1/credentials/<id>/reissue``: correction by re-issue
(:mod:`issuer.credentials.reissue`)."""

from __future__ import annotations

import json

from flask import url_for
from flask.typing import ResponseReturnValue
from pydantic import ValidationError
from sqlalchemy import select

from issuer import config
from issuer.api import correction_schemas, schemas
from issuer.api.common import bp, created, partnership_credential
from issuer.api.spec import operation
from issuer.auth.tokens import current_caller, ensure_caller_may_act_on, require
from issuer.credentials import issuance, reissue
from issuer.db import get_session
from issuer.edge import json_body
from issuer.errors import InvalidInput
from issuer.models import Role, ShareLink


@bp.post("/credentials/<ref>/reissue")
@operation(
    "reissueCredential",
    "credentials",
    {
        201: correction_schemas.ReissueResponse,
        404: schemas.ErrorResponse,
        409: schemas.ErrorResponse,
        422: schemas.ErrorResponse,
    },
    role="issuer",
    json=correction_schemas.ReissueRequest,
)
@require(Role.ISSUER)
def reissue_credential(ref: str) -> ResponseReturnValue:
    """Correct a credential by re-issue: a new credential with the corrected learner details,
    the old one revoked with the reason ``superseded``, the two linked both ways; the learner's
    management link and live share links move to the new one. 409 ``credential_revoked``,
    ``already_corrected`` or ``stackable_award``; 422 for a malformed or empty correction."""
    data = json_body()
    try:
        request_model = correction_schemas.ReissueRequest.model_validate(data)
    except ValidationError as error:
        fields = {".".join(map(str, e["loc"])): e["msg"] for e in error.errors()}
        raise InvalidInput("the correction is malformed", details={"fields": fields}) from None
    caller = current_caller()
    session = get_session()
    old = partnership_credential(ref)
    ensure_caller_may_act_on(old)  # 403 on another member's credential
    done = reissue.reissue(
        session,
        old,
        request_model.learner.model_dump(exclude_unset=True),
        actor=caller.actor,
        organisation_id=caller.organisation_id,
        base_url=config.base_url(),
        passphrase=config.key_passphrase(),
    )
    base = config.base_url()
    newest = select(ShareLink.token).where(ShareLink.credential_id == done.new.id)
    token = session.scalar(newest.order_by(ShareLink.id.desc()).limit(1))  # its own first link
    body = {
        "credential": issuance.credential_json(done.new, base_url=base),
        "document": json.loads(done.new.document),
        "replaces": done.old.credential_uri,
        "changes": done.changes,
        "shareUrl": f"{base}/c/{token}",
    }
    session.commit()
    return created(body, url_for("api.get_credential_view", ref=done.new.uuid))
