"""Bulk refusal reasons in words (issue 17): the job page and errors.csv say why a row was
refused in the reader's language, and keep the stable code (its own CSV column)."""

from __future__ import annotations

import csv
import io

from flask_babel import force_locale

from issuer.bulk.wording import reason
from tests.issuer.test_staff import staff, text, upload  # noqa: F401

CSV = b"reference,given_name,family_name\nb-1,Ada,\nb-2,Bo,Bell\n"


def test_each_code_in_words(app):
    with app.test_request_context():
        assert reason("invalid_learner", "family_name: required") == "Family name is missing."
        assert reason("invalid_learner", "reference: must be at most 200 characters") == (
            "Learner reference is too long: at most 200 characters."
        )
        assert reason("already_holds_credential", "'x' holds …").startswith(
            "This learner holds this credential already."
        )
        assert reason("something_new", "as it is") == "as it is"  # never hidden
        with force_locale("da"):
            assert reason("invalid_learner", "family_name: required") == "Efternavn mangler."


def test_the_job_page_and_the_report(app, staff):  # noqa: F811
    client = staff("issuer")
    response = upload(client, CSV)
    assert response.status_code == 302
    job_page = response.headers["Location"]
    page = text(client.get(job_page))
    assert "Family name is missing." in page and "<code>invalid_learner</code>" in page
    assert "family_name: required" not in page
    report = client.get(f"{job_page}/errors.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(report)))
    assert rows[0] == ["line", "reference", "code", "reason", "message"]
    assert rows[1] == [
        "2",
        "b-1",
        "invalid_learner",
        "Family name is missing.",
        "family_name: required",
    ]
    danish = client.get(f"{job_page}/errors.csv?lang=da").get_data(as_text=True)
    assert "Efternavn mangler." in danish and "invalid_learner" in danish
    assert "Efternavn mangler." in text(client.get(f"{job_page}?lang=da"))
