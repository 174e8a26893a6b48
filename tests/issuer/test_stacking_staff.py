"""Stacked awards on the staff pages: the list, a learner's qualifying credentials (which count
and why not), claiming the award with the parts ticked, refusals shown on the page, roles, and
the Danish words."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from issuer.db import transaction
from issuer.models import AuditEvent, IssuedCredential
from tests.issuer.test_staff import add_user, post, sign_in, text

from .issuing import ANA, NOW
from .stacking import AWARD, PARTS, add_stack, issue_part

PAGE = f"/staff/stacks/{AWARD}?learner={ANA.reference}"
CLAIM = f"/staff/stacks/{AWARD}/claim"


@pytest.fixture
def staff(app, client, demo):
    """``staff(role)`` → the client signed in as a new user of Aarhus with ``role``."""

    def signed_in(role: str):
        assert sign_in(client, add_user(app, role)).status_code == 302
        return client

    return signed_in


def test_the_list_and_the_learners_page(app, demo, staff):
    add_stack(app, demo)
    uris = [issue_part(app, demo, slug)[1] for slug in PARTS[:3]]
    expired = issue_part(app, demo, PARTS[3], valid_until=NOW + timedelta(days=1))[1]
    client = staff("viewer")
    listed = text(client.get("/staff/stacks"))
    assert "Certificate in Green Data" in listed and "any 3 of 4, at least 15 ECTS" in listed
    page = text(client.get(PAGE))
    for uri in uris:
        assert f'data-credential="{uri}" data-counts="true"' in page
        assert f'value="{uri}" id="part-' in page
    assert f'data-credential="{expired}" data-counts="false"' in page
    assert "no: expired" in page
    assert "That is enough for the award." in page
    assert "Claim the award for this learner" not in page  # a viewer only looks
    unknown = client.get(f"/staff/stacks/{AWARD}?learner=nobody")
    assert unknown.status_code == 404
    assert "No learner of that reference" in text(unknown)
    assert client.get(f"/staff/stacks/{PARTS[0]}").status_code == 422  # not stackable


def test_claiming_with_the_parts_ticked(app, demo, client, staff):
    add_stack(app, demo)
    uris = [issue_part(app, demo, slug)[1] for slug in PARTS]
    staff("issuer")
    too_few = post(client, CLAIM, {"learner": ANA.reference, "part": uris[:2]}, form=PAGE)
    assert too_few.status_code == 409
    assert "Not enough for this award: 2 of 3 credentials, 10 of 15 ECTS." in text(too_few)
    claimed = post(
        client, CLAIM, {"learner": ANA.reference, "part": [uris[0], uris[2], uris[3]]}, form=PAGE
    )
    assert claimed.status_code == 302, text(claimed)
    issued = text(client.get(claimed.headers["Location"]))
    assert "Certificate in Green Data" in issued and "/learner/" in issued  # the manage link
    with transaction(app) as session:
        award = session.scalars(
            select(IssuedCredential).order_by(IssuedCredential.id.desc())
        ).first()
        notations = [
            node["identifier"]["notation"]
            for node in json.loads(award.document)["credentialSubject"]["hasClaim"]["hasPart"]
        ]
        event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert (event.action, event.actor) == ("issue", "user:issuer@aarhus-demo-university.test")
        assert event.details["parts"] == notations
    assert notations == [uris[0], uris[2], uris[3]]
    again = text(client.get(PAGE))
    assert "The learner holds this award already." in again
    held = post(client, CLAIM, {"learner": ANA.reference, "part": uris[:3]}, form=PAGE)
    assert held.status_code == 409


def test_a_part_that_stopped_counting_is_refused_on_the_page(app, demo, client, staff):
    add_stack(app, demo)
    uris = [issue_part(app, demo, slug)[1] for slug in PARTS[:3]]
    staff("issuer")
    token = re.search(r'name="csrf_token" value="([^"]+)"', text(client.get(PAGE))).group(1)
    with transaction(app) as session:
        row = session.scalar(
            select(IssuedCredential).where(IssuedCredential.credential_uri == uris[0])
        )
        row.state = row.state.REVOKED  # as if revoked meanwhile
    refused = client.post(CLAIM, data={"learner": ANA.reference, "part": uris, "csrf_token": token})
    assert refused.status_code == 422
    assert "cannot be parts of this award" in text(refused)


def test_danish(app, demo, staff):
    add_stack(app, demo)
    issue_part(app, demo, PARTS[0])
    client = staff("issuer")
    page = text(client.get(PAGE, headers={"Accept-Language": "da"}))
    assert "Sammensatte beviser" in page
    assert "Gør krav på beviset for denne lærende" in page
