"""verifier.json_response: the JSON answers orjson writes are the JSON Flask's provider wrote."""

from __future__ import annotations

import dataclasses
import decimal
import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import Flask
from flask.json.provider import DefaultJSONProvider
from hypothesis import given, settings
from hypothesis import strategies as st

from verifier.app import create_app
from verifier.json_response import OrjsonProvider


@pytest.fixture(scope="module")
def apps() -> tuple[Flask, Flask]:
    """(an app with Flask's default provider, the same with ours)."""
    flask_app, ours = Flask("flask_default"), Flask("orjson")
    ours.json = OrjsonProvider(ours)
    assert type(flask_app.json) is DefaultJSONProvider
    return flask_app, ours


def answers(apps: tuple[Flask, Flask], *args: Any, **kwargs: Any) -> tuple[Any, Any]:
    """(Flask's response, ours) for ``jsonify(*args, **kwargs)``."""
    found = []
    for app in apps:
        with app.app_context():
            found.append(app.json.response(*args, **kwargs))
    return found[0], found[1]


def same_json(flask_answer: Any, our_answer: Any) -> None:
    """The same JSON value, members in the same order, the same headers that matter."""
    assert our_answer.mimetype == flask_answer.mimetype == "application/json"
    assert our_answer.status_code == flask_answer.status_code
    theirs, ours = flask_answer.get_data(), our_answer.get_data()
    assert ours.endswith(b"\n") and theirs.endswith(b"\n")
    assert json.loads(ours) == json.loads(theirs)
    assert json.dumps(json.loads(ours)) == json.dumps(json.loads(theirs))  # order too


_KEYS = st.text(max_size=6)
_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(_KEYS, inner, max_size=5),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(value=_VALUES)
def test_any_json_value_is_written_as_flask_writes_it(apps, value) -> None:
    same_json(*answers(apps, value))


@pytest.mark.parametrize(
    "value",
    [
        {"big": 2**70},  # beyond orjson's 64 bits: Flask's provider writes it
        {"text": "x\ud800"},  # a lone surrogate: orjson refuses, Flask escapes it
        {"when": datetime(2026, 7, 1, 12, 30, tzinfo=UTC), "day": date(2026, 7, 1)},
        {"amount": decimal.Decimal("1.50"), "id": uuid.UUID(int=7)},
        {"b": 1, "a": {"d": [1, 2], "c": None}},
    ],
)
def test_what_orjson_cannot_write_or_flask_writes_its_own_way(apps, value) -> None:
    flask_answer, our_answer = answers(apps, value)
    same_json(flask_answer, our_answer)
    if "big" in value or "text" in value:
        assert our_answer.get_data() == flask_answer.get_data()


def test_a_dataclass_and_positional_arguments(apps) -> None:
    @dataclasses.dataclass
    class Point:
        x: int
        y: str

    same_json(*answers(apps, Point(1, "ø")))
    same_json(*answers(apps, 1, "two", [3]))
    same_json(*answers(apps, a=1, b="ø"))
    same_json(*answers(apps))


def test_unknown_types_still_fail(apps) -> None:
    for app in apps:
        with app.app_context(), pytest.raises(TypeError):
            app.json.response({"x": object()})


def test_the_verifier_answers_with_it(signed: dict) -> None:
    """The report of ``POST /api/verify``: UTF-8 text, the same report as Flask would write."""
    app = create_app({"TESTING": True, "SECRET_KEY": "test"})
    assert isinstance(app.json, OrjsonProvider)
    answer = app.test_client().post("/api/verify", json=signed)
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    report = json.loads(answer.get_data())
    assert report["checks"][1]["outcome"] == "ok"
    assert list(report) == sorted(report)
    with app.app_context():
        flask_written = DefaultJSONProvider(app).response(report).get_data()
    assert json.loads(flask_written) == report
