"""The audit log in words (issue 17): actions and details for people, the learner's name and the
credential's title instead of ids, filters by action, actor and dates, and a CSV export, on the
staff page and the API, in English and Danish. The log itself (its hash chain) is unchanged."""

from __future__ import annotations

import csv
import io

from issuer.audit.verify import verify_chain
from issuer.db import transaction
from tests.issuer.test_staff import SPEC, staff, text  # noqa: F401


def _history(client, auth) -> str:  # type: ignore[no-untyped-def]
    """Issue to Ada Lovelace, renew her learner link and revoke the credential; its uuid."""
    body = {
        "specification": SPEC,
        "learner": {"reference": "a-1", "givenName": "Ada", "familyName": "Lovelace"},
    }
    answer = client.post("/api/v1/credentials", json=body, headers=auth("issuer")).get_json()
    uuid = str(answer["credential"]["id"]).removeprefix("urn:uuid:")
    client.post(f"/api/v1/credentials/{uuid}/share-links", json={}, headers=auth("issuer"))
    client.post(f"/api/v1/credentials/{uuid}/learner-link", headers=auth("issuer"))
    revoked = client.post(
        f"/api/v1/credentials/{uuid}/revoke", json={"reason": "wrong name"}, headers=auth("issuer")
    )
    assert revoked.status_code == 200
    return uuid


def test_the_staff_page_reads_in_words(app, client, auth, staff):  # noqa: F811
    uuid = _history(client, auth)
    page = text(staff("viewer").get("/staff/audit"))
    assert "<strong>Learner link renewed</strong>" in page
    assert ">learner_link_renewed" not in page and "learner_link_renewed<" not in page
    assert "Status changed from active to revoked" in page
    assert "from: active" not in page and "shareLinkId" not in page
    assert "Green Data Analytics" in page and "awarded to Ada Lovelace" in page
    assert f">{uuid}<" not in page and f"<code>{uuid}</code>" not in page  # no raw uuid shown
    assert "Specification: Green Data Analytics" in page
    danish = text(client.get("/staff/audit?lang=da"))
    assert "Status ændret fra aktiv til tilbagekaldt" in danish
    assert "Grøn dataanalyse" in danish


def test_the_staff_page_filters(client, auth, staff):  # noqa: F811
    _history(client, auth)
    signed_in = staff("viewer")
    revokes = text(signed_in.get("/staff/audit?action=revoke"))
    assert "Status changed from active to revoked" in revokes
    assert "<strong>Share link created" not in revokes
    by_token = text(signed_in.get("/staff/audit?actor=aarhus"))
    assert "Learner link renewed" in by_token
    assert "No events." in text(signed_in.get("/staff/audit?actor=nobody-at-all"))
    assert "No events." in text(signed_in.get("/staff/audit?since=2999-01-01"))
    assert "Learner link renewed" in text(signed_in.get("/staff/audit?until=2999-01-01"))
    bad = signed_in.get("/staff/audit?since=31-12-2026")
    assert bad.status_code == 422 and 'id="since-error"' in text(bad)
    backwards = signed_in.get("/staff/audit?since=2026-02-01&until=2026-01-01")
    assert backwards.status_code == 422 and 'id="until-error"' in text(backwards)


def test_the_staff_csv_export(client, auth, staff):  # noqa: F811
    uuid = _history(client, auth)
    signed_in = staff("viewer")
    assert "/staff/audit.csv?action=revoke" in text(signed_in.get("/staff/audit?action=revoke"))
    answer = signed_in.get("/staff/audit.csv?action=revoke")
    assert answer.mimetype == "text/csv" and "attachment" in answer.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert len(rows) == 1
    row = rows[0]
    assert (row["action"], row["event"], row["credential"]) == ("revoke", "Revoked", uuid)
    assert (row["title"], row["learner"], row["reason"]) == (
        "Green Data Analytics",
        "Ada Lovelace",
        "wrong name",
    )
    assert row["details"] == "Status changed from active to revoked"
    danish = signed_in.get("/staff/audit.csv?action=revoke&lang=da").get_data(as_text=True)
    assert "Tilbagekaldt" in danish and "Grøn dataanalyse" in danish


def test_the_api_in_words_filtered_and_as_csv(app, client, auth):
    uuid = _history(client, auth)
    answer = client.get("/api/v1/audit?action=learner_link_renewed", headers=auth("viewer"))
    assert answer.status_code == 200
    (event,) = answer.get_json()["events"]
    assert event["action"] == "learner_link_renewed" and event["event"] == "Learner link renewed"
    assert (event["credential"], event["learner"]) == (uuid, "Ada Lovelace")
    assert event["credentialTitle"] == "Green Data Analytics"
    shared = client.get("/api/v1/audit?action=share_link_created", headers=auth("viewer"))
    (event,) = shared.get_json()["events"]
    assert "shareLinkId" in event["details"]  # the stored details, unchanged …
    assert not any("201" in s or "shareLinkId" in s for s in event["summary"])  # … not in words
    headers = auth("viewer") | {"Accept-Language": "da"}
    revoked = client.get("/api/v1/audit?action=revoke", headers=headers).get_json()["events"]
    assert revoked[0]["summary"] == ["Status ændret fra aktiv til tilbagekaldt"]
    assert (
        client.get("/api/v1/audit?since=2999-01-01", headers=auth("viewer")).get_json()["events"]
        == []
    )
    assert client.get("/api/v1/audit?since=nope", headers=auth("viewer")).status_code == 422
    exported = client.get("/api/v1/audit.csv?actor=aarhus", headers=auth("viewer"))
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert {r["action"] for r in rows} >= {"issue", "revoke", "learner_link_renewed"}
    assert client.get("/api/v1/audit.csv").status_code == 401
    with transaction(app) as session:  # presentation only: the chain verifies
        assert verify_chain(session).intact
