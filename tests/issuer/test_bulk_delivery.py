"""Bulk jobs and their learners: duplicates (a learner holding the credential, the same file
twice), the links export, and e-mail through a local SMTP server (aiosmtpd) the tests start."""

from __future__ import annotations

import csv
import email
import io
from email.message import Message
from email.policy import default

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from issuer.bulk.models import Delivery, DeliveryState
from issuer.db import transaction
from issuer.models import BulkJobRow, IssuedCredential, RowState
from issuer.sharing.links import hash_manage_token
from tests.ports import free_port

SPEC = "green-data-analytics"
COHORT = (
    "reference,given_name,family_name,email,language\n"
    "d-1,Ana,One,ana@example.org,en\n"
    "d-2,Bo,Two,bo@example.org,da\n"
    "d-3,Cy,Three,,\n"
    "d-4,Di,Four,bounce@example.org,en\n"
)


def upload(client, headers, content: str, **form: str):  # type: ignore[no-untyped-def]
    fields = {"specification": SPEC, **form, "file": (io.BytesIO(content.encode()), "c.csv")}
    return client.post(
        "/api/v1/bulk-jobs", data=fields, content_type="multipart/form-data", headers=headers
    )


def test_a_learner_holding_the_credential_is_skipped_unless_the_upload_reissues(app, client, auth):
    first = upload(client, auth(), COHORT)
    assert first.status_code == 202 and first.get_json()["issuedRows"] == 4
    # the very same file again: a warning, nothing stored or issued
    again = upload(client, auth(), COHORT)
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "same_file"
    assert again.get_json()["error"]["details"]["jobs"] == [first.get_json()["id"]]
    # meant: every learner holds the credential already, so every row is reported and skipped
    meant = upload(client, auth(), COHORT, sameFile="true").get_json()
    assert (meant["state"], meant["issuedRows"], meant["errorRows"]) == ("done", 0, 4)
    report = client.get(f"/api/v1/bulk-jobs/{meant['id']}/errors.csv", headers=auth()).text
    assert report.count("already_holds_credential") == 4
    # one new learner in another file: only the new one is issued
    mixed = COHORT + "d-5,Ed,Five,,\n"
    job = upload(client, auth(), mixed).get_json()
    assert (job["issuedRows"], job["errorRows"]) == (1, 4)
    # re-issue, as asked
    job = upload(client, auth(), COHORT, sameFile="true", reissue="true").get_json()
    assert (job["issuedRows"], job["errorRows"], job["reissue"]) == (4, 0, True)
    bad = upload(client, auth(), COHORT, reissue="maybe")
    assert bad.status_code == 422


def test_the_links_export_has_every_issued_row_with_working_links(app, client, auth):
    job = upload(client, auth(), COHORT + "d-9,,,,\n").get_json()
    response = client.get(f"/api/v1/bulk-jobs/{job['id']}/links.csv", headers=auth())
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["reference"] for r in rows] == ["d-1", "d-2", "d-3", "d-4"]  # the refused row: no
    assert rows[1]["language"] == "da"
    with transaction(app) as session:
        stored = {
            c.credential_uri: c
            for c in session.scalars(
                select(IssuedCredential).where(IssuedCredential.bulk_job_id == job["id"])
            )
        }
    for row in rows:
        credential = stored[row["credential"]]
        token = row["manage_url"].rsplit("/learner/", 1)[1]
        assert hash_manage_token(token) == credential.manage_token_hash
        path = row["share_url"].split("://", 1)[1].split("/", 1)[1]
        assert client.get("/" + path).status_code == 200
        assert client.get(f"/learner/{token}").status_code == 200
    # viewers may follow the job, not act for its learners
    assert (
        client.get(f"/api/v1/bulk-jobs/{job['id']}/links.csv", headers=auth("viewer")).status_code
        == 403
    )


class Inbox:
    """An aiosmtpd handler keeping what it is sent; ``bounce@`` is refused for good."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_RCPT(self, server, session, envelope, address, options):
        if address.startswith("bounce@"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=default))
        return "250 Message accepted"


@pytest.fixture
def smtp():  # type: ignore[no-untyped-def]
    port = free_port()
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", inbox
    finally:
        controller.stop()


def test_learners_are_mailed_in_their_language_and_bounces_are_reported(app, client, auth, smtp):
    url, inbox = smtp
    app.config["SMTP_URL"] = url
    app.config["MAIL_FROM"] = "registrar@example.org"
    job = upload(client, auth(), COHORT).get_json()
    assert job["issuedRows"] == 4
    by_address = {m["To"]: m for m in inbox.messages}
    assert sorted(by_address) == ["ana@example.org", "bo@example.org"]
    english, danish = by_address["ana@example.org"], by_address["bo@example.org"]
    assert english["From"] == "registrar@example.org"
    assert english["Subject"].startswith("Your micro-credential")
    assert danish["Subject"].startswith("Dit mikrobevis") and danish["Content-Language"] == "da"
    body = danish.get_content()
    assert "Kære Bo Two" in body
    token = body.split("/learner/", 1)[1].split()[0]
    assert client.get(f"/learner/{token}").status_code == 200
    report = client.get(f"/api/v1/bulk-jobs/{job['id']}/deliveries", headers=auth("viewer"))
    data = report.get_json()
    assert (data["sent"], data["failed"], data["pending"]) == (2, 1, 0)
    [failure] = data["failures"]
    assert failure["email"] == "bounce@example.org" and "bounced" in failure["reason"]
    with transaction(app) as session:  # one delivery per issued row with an address
        deliveries = session.scalars(select(Delivery)).all()
        assert len(deliveries) == 3
        assert {d.state for d in deliveries} == {DeliveryState.SENT, DeliveryState.FAILED}
        rows = session.scalars(select(BulkJobRow).where(BulkJobRow.state == RowState.ISSUED))
        assert all(r.manage_token_sealed and token not in r.manage_token_sealed for r in rows)


def test_a_server_that_is_away_is_a_temporary_failure(app, client, auth):
    port = free_port()  # nothing listens here
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    job = upload(client, auth(), COHORT).get_json()
    data = client.get(f"/api/v1/bulk-jobs/{job['id']}/deliveries", headers=auth()).get_json()
    assert (data["pending"], data["sent"]) == (3, 0)  # the queue tries again later
    with transaction(app) as session:
        reasons = {d.reason for d in session.scalars(select(Delivery))}
        assert all("ConnectionRefusedError" in (r or "") for r in reasons)
