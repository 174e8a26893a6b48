"""The learner record's JSON API, reached with a record key (a management or sign-in token, as
``/record/<key>``; no account, no API token), beside the share-link routes of one credential
(``/api/v1/learner/<manage-token>/share-links``):

- ``GET /api/v1/learner/<key>/record``: the learner's credentials and set links;
- ``POST /api/v1/learner/<key>/set-links``: ``{"credentials": [...], "label", "expiresAt"}`` →
  201 a set link; ``GET …/set-links/<token>``: one, with its opens; ``DELETE …/<token>``:
  withdraw (idempotent, 204);
- ``GET /api/v1/learner/<key>/credentials/<uuid>/ob3``: the signed Open Badges 3.0
  ``AchievementCredential``;
- ``POST /api/v1/learner/<key>/credentials/<uuid>/linkedin``: LinkedIn's "add certification"
  URL and the lasting share link it points at.

Writes are the record page's (``issuer.sharing.record_views``), with the actor ``learner``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, jsonify
from flask.typing import ResponseReturnValue

from issuer import config
from issuer.api import learner_schemas as models
from issuer.api import schemas
from issuer.api.spec import operation
from issuer.credentials.display import credential_summary
from issuer.credentials.issuance import SigningKeys
from issuer.credentials.linkedin import linkedin_add_url
from issuer.credentials.ob3 import achievement_credential
from issuer.db import get_session
from issuer.edge import json_body
from issuer.errors import InvalidInput
from issuer.learner_models import SetLink
from issuer.models import IssuedCredential
from issuer.sharing.links import (
    iso_moment,
    link_state,
    parse_expiry,
    share_url,
    stored_document,
    verify_url,
)
from issuer.sharing.record import (
    lasting_share_link,
    learner_by_key,
    learner_credential_by_uuid,
    learner_credentials,
)
from issuer.sharing.set_links import (
    chosen_credentials,
    clean_label,
    learner_set_link,
    learner_set_links,
    new_set_link,
    recent_opens,
    set_url,
    withdraw_set_link,
)

bp = Blueprint("record_api", __name__, url_prefix="/api/v1/learner/<key>")
E = schemas.ErrorResponse


def set_link_json(link: SetLink, opens: list[Any] | None = None) -> dict[str, Any]:
    """The API JSON of a set link (``models.SetLink``)."""
    url = set_url(config.base_url(), link.token)
    return {
        "token": link.token,
        "url": url,
        "qr": {"png": f"{url}/qr.png", "svg": f"{url}/qr.svg"},
        "verifyUrl": verify_url(config.verifier_url(), url),
        "label": link.label,
        "credentials": [c.credential_uri for c in link.credentials],
        "createdAt": iso_moment(link.created_at),
        "expiresAt": iso_moment(link.expires_at),
        "withdrawnAt": iso_moment(link.withdrawn_at),
        "live": link_state(link) == "live",
        "openCount": link.open_count,
        "opens": [iso_moment(moment) for moment in opens or []],
    }


def _credential_json(key: str, credential: IssuedCredential) -> dict[str, Any]:
    summary = credential_summary(stored_document(credential))
    base = config.base_url().rstrip("/")
    return {
        "id": credential.credential_uri,
        "title": None if summary.title is None else summary.title.value,
        "awardingBodies": [body.value for body in summary.awarding_bodies],
        "issued": summary.issued,
        "state": credential.state.value,
        "ob3Url": f"{base}/api/v1/learner/{key}/credentials/{credential.uuid}/ob3",
    }


@bp.get("/record")
@operation("getLearnerRecord", "learner record", {200: models.LearnerRecord, 404: E}, role=None)
def record(key: str) -> ResponseReturnValue:
    """Every credential of the learner from this issuer, and their set links."""
    session = get_session()
    learner = learner_by_key(session, key)
    return jsonify(
        {
            "learner": f"{learner.given_name} {learner.family_name}",
            "credentials": [
                _credential_json(key, c) for c in learner_credentials(session, learner)
            ],
            "setLinks": [set_link_json(link) for link in learner_set_links(session, learner)],
        }
    )


def _set_request(data: Mapping[str, Any]) -> dict[str, Any]:
    references = data.get("credentials")
    if not isinstance(references, list):
        raise InvalidInput(
            "credentials must be a list of credential ids",
            details={"fields": {"credentials": "must be a list of credential ids"}},
        )
    expires = data.get("expiresAt")
    return {
        "references": references,
        "label": clean_label(data.get("label")),
        "expires_at": None if expires is None else parse_expiry(expires),
    }


@bp.post("/set-links")
@operation(
    "createSetLink",
    "learner record",
    {201: models.SetLink, 404: E, 409: E, 422: E},
    role=None,
    json=models.SetLinkRequest,
)
def create_set_link(key: str) -> ResponseReturnValue:
    """A new link to the chosen credentials of the learner → 201."""
    session = get_session()
    learner = learner_by_key(session, key)
    given = _set_request(json_body())
    credentials = chosen_credentials(session, learner, given["references"])
    link = new_set_link(
        session, learner, credentials, label=given["label"], expires_at=given["expires_at"]
    )
    session.commit()
    body = set_link_json(link)
    return jsonify(body), 201, {"Location": body["url"]}


@bp.get("/set-links/<token>")
@operation("getSetLink", "learner record", {200: models.SetLink, 404: E}, role=None)
def get_set_link(key: str, token: str) -> ResponseReturnValue:
    """One set link of the learner, with the latest moments it was opened."""
    session = get_session()
    link = learner_set_link(session, learner_by_key(session, key), token)
    return jsonify(set_link_json(link, recent_opens(session, link)))


@bp.delete("/set-links/<token>")
@operation(
    "withdrawSetLink",
    "learner record",
    {204: (None, "Withdrawn (again: still 204)."), 404: E},
    role=None,
)
def delete_set_link(key: str, token: str) -> ResponseReturnValue:
    """Withdraw a set link → 204 (again → 204); it answers 410 from then on."""
    session = get_session()
    link = learner_set_link(session, learner_by_key(session, key), token)
    withdraw_set_link(session, link)
    session.commit()
    return Response(status=204)


@bp.get("/credentials/<credential_uuid>/ob3")
@operation(
    "getLearnerOpenBadge",
    "learner record",
    {200: (None, "The signed Open Badges 3.0 AchievementCredential."), 404: E, 409: E},
    role=None,
)
def ob3(key: str, credential_uuid: str) -> ResponseReturnValue:
    """The credential's achievement as a signed OB 3.0 ``AchievementCredential``; 409
    ``credential_revoked`` for a revoked credential."""
    session = get_session()
    credential = learner_credential_by_uuid(session, learner_by_key(session, key), credential_uuid)
    badge = achievement_credential(credential, keys=SigningKeys(config.key_passphrase()))
    response = jsonify(badge)
    response.mimetype = "application/ld+json"
    return response


@bp.post("/credentials/<credential_uuid>/linkedin")
@operation(
    "getLinkedInLink",
    "learner record",
    {200: models.LinkedInLink, 404: E, 409: E},
    role=None,
)
def linkedin(key: str, credential_uuid: str) -> ResponseReturnValue:
    """LinkedIn's "add certification" URL of the credential, pointing at a lasting share
    link of it (made when there is none)."""
    session = get_session()
    credential = learner_credential_by_uuid(session, learner_by_key(session, key), credential_uuid)
    link = lasting_share_link(session, credential)
    session.commit()
    url = share_url(config.base_url(), link.token)
    target = linkedin_add_url(
        stored_document(credential), cert_url=url, cert_id=credential.credential_uri
    )
    return jsonify({"linkedinUrl": target, "shareUrl": url})
