"""Staff give a learner a new management link from the credential's page (issue 14, delivery
(c)): the old link stops working, the new one is shown once, the change is audited."""

from __future__ import annotations

import re

from sqlalchemy import select

from issuer.db import transaction
from issuer.models import AuditEvent
from tests.issuer.test_staff import LYON, SPEC, csrf, staff, text  # noqa: F401


def _issue(client, auth) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    body = {
        "specification": SPEC,
        "learner": {"reference": "m-1", "givenName": "Ada", "familyName": "Lovelace"},
    }
    answer = client.post("/api/v1/credentials", json=body, headers=auth("issuer")).get_json()
    uuid = str(answer["credential"]["id"]).removeprefix("urn:uuid:")
    return uuid, answer["learnerManageUrl"]


def test_a_new_management_link_from_the_credential_page(app, client, auth, staff):  # noqa: F811
    uuid, old_url = _issue(client, auth)
    old_path = old_url.removeprefix("https://issuer.example")
    assert client.get(old_path).status_code == 200
    signed_in = staff("issuer")
    page = f"/staff/credentials/{uuid}/learner-link"
    assert page in text(signed_in.get(f"/staff/credentials/{uuid}"))
    token = csrf(signed_in, page)
    answer = signed_in.post(page, data={"csrf_token": token})
    assert answer.status_code == 201 and answer.headers["Cache-Control"] == "no-store"
    new_url = re.search(r'value="(https://issuer\.example/learner/[^"]+)"', text(answer))
    assert new_url and new_url.group(1) != old_url
    assert client.get(old_path).status_code == 404  # the old link stops working
    assert client.get(new_url.group(1).removeprefix("https://issuer.example")).status_code == 200
    assert new_url.group(1) not in text(signed_in.get(page))  # shown once
    with transaction(app) as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "learner_link_renewed")
        ).one()
        assert event.actor.startswith("user:issuer@")


def test_viewers_and_other_members_cannot(client, auth, staff):  # noqa: F811
    uuid, _ = _issue(client, auth)
    page = f"/staff/credentials/{uuid}/learner-link"
    assert staff("viewer").get(page).status_code == 403
    client.post("/staff/logout", data={"csrf_token": csrf(client, "/staff/")})
    lyon = staff("issuer", LYON)
    assert lyon.get(page).status_code == 403
    assert page not in text(lyon.get(f"/staff/credentials/{uuid}"))
