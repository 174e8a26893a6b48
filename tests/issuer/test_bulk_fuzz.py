"""The bulk CSV entry point (``issuer.bulk.jobs.read_rows``) under arbitrary input: any bytes give
rows, each issuable or refused with a per-row code, or a refusal of the whole file with a
per-file code; never another exception. And an upload of such a file through the API is never a
server error (SQLite, and PostgreSQL through the ``app`` fixture)."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from issuer.bulk.jobs import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, read_rows
from issuer.errors import InvalidInput
from tests.issuer.test_edge import SPEC, error_code

FILE_CODES = {
    "bad_encoding",
    "empty_file",
    "missing_columns",
    "unknown_columns",
    "duplicate_columns",
    "malformed_csv",
    "too_many_rows",
}
ROW_CODES = {"invalid_learner", "invalid_grade", "extra_cells", "duplicate_learner"}
CONTROL = {chr(c) for c in range(32)} | {"\x7f"}

# Cells that are plausible, empty, quoted, control characters, NUL, delimiters, non-ASCII.
cell = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", " ", '"', '""', "a,b", "x;y", "\x00", "\t", "\r\n", "é", "\ufeff"]),
    st.from_regex(r"[A-Za-z0-9 .@-]{1,20}", fullmatch=True),
)
header = st.lists(
    st.sampled_from([*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS, "Given Name", "x", ""]),
    min_size=0,
    max_size=8,
)
delimiter = st.sampled_from([",", ";", "\t"])


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    """A CSV-ish file: a header of (mostly) known columns, rows of awkward cells, sometimes a
    byte-order mark, sometimes bytes that are not UTF-8."""
    sep = draw(delimiter)
    lines = [sep.join(draw(header))]
    lines += [sep.join(draw(st.lists(cell, max_size=8))) for _ in range(draw(st.integers(0, 6)))]
    data = "\n".join(lines).encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    if draw(st.integers(0, 9)) == 0:
        data += draw(st.binary(min_size=1, max_size=8))
    return data


def _check(content: bytes) -> None:
    try:
        columns, rows = read_rows(content)
    except InvalidInput as error:
        assert error.code in FILE_CODES, error.code
        assert error.message
        return
    assert set(columns) <= {*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS}
    assert rows
    lines = [row.line for row in rows]
    assert lines == sorted(lines) and len(set(lines)) == len(lines)
    for row in rows:
        if row.code is None:
            # an issuable row holds its learner as text a database takes
            assert all(row.data.get(c) for c in REQUIRED_COLUMNS)
            assert not any(ch in CONTROL for value in row.data.values() for ch in value)
        else:
            assert row.code in ROW_CODES and row.message


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(st.binary(max_size=400))
def test_read_rows_on_arbitrary_bytes(content: bytes) -> None:
    _check(content)


@settings(
    max_examples=400,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(csv_files())
def test_read_rows_on_csv_like_files(content: bytes) -> None:
    _check(content)


@pytest.mark.parametrize(
    "content",
    [
        b"reference,given_name,family_name\nr1,A\x00da,Lovelace\nr2,Bo,B\n",
        b"reference,given_name,family_name,grade\nr1,Ada,Lovelace,\x00\n",
        b"reference,given_name,family_name\n\x00,\x00,\x00\n",
        b'reference,given_name,family_name\n"r1,Ada,Lovelace\n',
        b"\xff\xfe",
    ],
)
def test_uploads_with_nul_cells_are_refused_by_row_or_file(client, auth, content):
    response = client.post(
        "/api/v1/bulk-jobs",
        data={"specification": SPEC, "file": (io.BytesIO(content), "learners.csv")},
        content_type="multipart/form-data",
        headers=auth(),
    )
    assert response.status_code in (202, 422), response.get_data(as_text=True)
    if response.status_code == 422:
        assert error_code(response) in FILE_CODES
        return
    job = response.get_json()
    assert job["errorRows"] >= 1
    report = client.get(f"/api/v1/bulk-jobs/{job['id']}/errors.csv", headers=auth())
    assert report.status_code == 200
    assert "\x00" not in report.get_data(as_text=True)
