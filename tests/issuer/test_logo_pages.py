"""Logos from the staff pages (issue 17): an organisation's administrator uploads or removes its
logo; the public ``/orgs/<partnership>/<organisation>/logo`` route serves it with caching
headers, and the learner's credential page shows it."""

from __future__ import annotations

import io
import re

from sqlalchemy import select

from issuer.db import transaction
from issuer.models import AuditEvent
from tests.issuer.test_logos import _image
from tests.issuer.test_staff import csrf, staff, text  # noqa: F401

PARTNERSHIP = "green-skills-alliance"
LOGO = f"/orgs/{PARTNERSHIP}/aarhus-demo-university/logo"


def _upload(client, data: bytes, name: str = "logo.png"):  # type: ignore[no-untyped-def]
    token = csrf(client, "/staff/organisation")
    return client.post(
        "/staff/organisation/logo",
        data={"csrf_token": token, "logo": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_an_admin_uploads_and_removes_the_logo(app, client, auth, staff):  # noqa: F811
    admin = staff("admin")
    assert client.get(LOGO).status_code == 404
    page = text(admin.get("/staff/organisation"))
    assert 'id="no-logo"' in page and 'type="file"' in page
    assert _upload(admin, _image("PNG")).status_code == 302
    page = text(admin.get("/staff/organisation"))
    assert f'src="{LOGO}"' in page

    served = client.get(LOGO)
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert (
        "public" in served.headers["Cache-Control"] and "max-age" in served.headers["Cache-Control"]
    )
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    etag = served.headers["ETag"]
    assert client.get(LOGO, headers={"If-None-Match": etag}).status_code == 304

    body = {
        "specification": "green-data-analytics",
        "learner": {"reference": "l-1", "givenName": "Ada", "familyName": "Lovelace"},
    }
    share = client.post("/api/v1/credentials", json=body, headers=auth("issuer")).get_json()
    share_path = re.sub(r"^https?://[^/]+", "", share["shareUrl"])
    assert f'src="{LOGO}"' in text(
        client.get(share_path, headers={"Accept": "text/html"})
    )  # the learner's page shows it

    remove = admin.post(
        "/staff/organisation/logo/remove", data={"csrf_token": csrf(admin, "/staff/organisation")}
    )
    assert remove.status_code == 302
    assert client.get(LOGO).status_code == 404
    assert f'src="{LOGO}"' not in text(client.get(share_path, headers={"Accept": "text/html"}))
    with transaction(app) as session:
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.action == "set_logo"))
        assert len(list(actions)) == 2


def test_a_refused_file_shows_the_problem_at_the_field(staff):  # noqa: F811
    admin = staff("admin")
    answer = _upload(admin, b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "logo.svg")
    assert answer.status_code == 422 and 'id="logo-error"' in text(answer)


def test_only_admins_change_it(client, staff):  # noqa: F811
    issuer = staff("issuer")
    page = text(issuer.get("/staff/organisation"))
    assert 'type="file"' not in page
    token = csrf(issuer, "/staff/organisation")
    answer = issuer.post(
        "/staff/organisation/logo",
        data={"csrf_token": token, "logo": (io.BytesIO(_image("PNG")), "l.png")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 403
    assert client.get(LOGO).status_code == 404
