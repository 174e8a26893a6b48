"""verifier.limits: structural limits, the canonicalization guard and the time budget, as a
verification reports them."""

from __future__ import annotations

import copy
import importlib
import json
import time
from datetime import UTC, datetime
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keys.proof import add_proof
from keys.proof_set import BUDGET_EXCEEDED, verify_proofs
from keys.resolver import DidResolver
from schemas.bitstring import encode_list
from tests.json_walk import values_and_longest
from verifier import limits
from verifier.checks.revocation import check_revocation
from verifier.limits import LIMITS, Budget, HeavyLane, Limits, check_structure
from verifier.report import CHECK_NAMES, Verdict
from verifier.settings import SettingsError, verify_budget_from
from verifier.verify import VerifierOptions, verify_credential

NOW = datetime(2026, 11, 1, tzinfo=UTC)
SIGNED_AT = datetime(2026, 7, 1, tzinfo=UTC)


def outcomes(report: Any) -> dict[str, tuple[str, str]]:
    return {c.check: (c.outcome.value, c.code) for c in report.checks}


def refused_with(report: Any, code: str) -> None:
    """A format error with ``code``, every other check unchecked with it, not verified."""
    found = outcomes(report)
    assert found["format"] == ("error", code)
    assert all(found[name] == ("unchecked", code) for name in CHECK_NAMES[1:])
    assert report.verdict is Verdict.NOT_VERIFIED
    assert "internal_error" not in json.dumps(report.to_dict())


class TestStructure:
    def test_a_fifty_megabyte_image_is_a_clear_refusal(self, signed: dict) -> None:
        """main: MemoryError from the canonicalizer, reported as internal_error."""
        signed["credentialSubject"]["image"] = "data:image/png;base64," + "A" * 50_000_000
        refused_with(verify_credential(signed, VerifierOptions(now=NOW)), "string_too_long")

    def test_a_hundred_thousand_properties_are_refused_before_json_ld(self, signed: dict) -> None:
        signed["credentialSubject"]["extra"] = {f"p{n}": n for n in range(100_000)}
        refused_with(verify_credential(signed, VerifierOptions(now=NOW)), "too_many_nodes")

    def test_too_many_proofs(self, signed: dict) -> None:
        signed["proof"] = [signed["proof"]] * (LIMITS.max_proofs + 1)
        refused_with(verify_credential(signed, VerifierOptions(now=NOW)), "too_many_proofs")

    def test_too_many_status_entries(self, signed: dict) -> None:
        entry = {"type": "BitstringStatusListEntry", "statusListCredential": "https://x/1"}
        signed["credentialStatus"] = [entry] * (LIMITS.max_status_entries + 1)
        report = verify_credential(signed, VerifierOptions(now=NOW))
        refused_with(report, "too_many_status_entries")

    def test_a_long_member_name(self) -> None:
        with pytest.raises(limits.LimitExceeded) as refused:
            check_structure({"x" * (LIMITS.max_string + 1): 1})
        assert refused.value.code == "string_too_long"

    def test_at_the_limits_is_accepted(self) -> None:
        small = Limits(max_nodes=6, max_string=5, max_proofs=1)
        check_structure({"a": "abcde", "b": [1, 2], "proof": {}}, small)  # 6 values
        for beyond in (
            {"a": "abcde", "b": [1, 2, 3], "proof": {}},
            {"a": "abcdef", "b": [1, 2], "proof": {}},
            {"proof": [{}, {}]},
        ):
            with pytest.raises(limits.LimitExceeded):
                check_structure(beyond, small)

    @settings(max_examples=300, deadline=None)
    @given(
        document=st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
            lambda inner: st.lists(inner, max_size=5)
            | st.tuples(inner, inner)
            | st.dictionaries(st.text(max_size=8), inner, max_size=5),
            max_leaves=30,
        ),
        max_nodes=st.integers(1, 40),
        max_string=st.integers(0, 8),
    )
    def test_refused_exactly_beyond_a_limit(
        self, document: Any, max_nodes: int, max_string: int
    ) -> None:
        """Against the rule counted the slow way: every value once, every string and member
        name measured (tuples read as arrays, as the general way reads them)."""
        if isinstance(document, dict):
            document.pop("proof", None)
            document.pop("credentialStatus", None)
        values, longest = values_and_longest(document)
        beyond = {
            code
            for code, over in (
                ("too_many_nodes", values > max_nodes),
                ("string_too_long", longest > max_string),
            )
            if over
        }
        small = Limits(max_nodes=max_nodes, max_string=max_string)
        if not beyond:
            check_structure(document, small)
            return
        with pytest.raises(limits.LimitExceeded) as refused:
            check_structure(document, small)
        assert refused.value.code in beyond

    def test_a_jades_payload_is_read_within_the_limits(self) -> None:
        payload = json.dumps({"@context": [], "values": list(range(LIMITS.max_nodes + 1))})
        document = {"payload": payload, "signatures": [{"protected": "e30", "signature": ""}]}
        refused_with(verify_credential(document, VerifierOptions(now=NOW)), "too_many_nodes")


class TestCanonicalizationGuard:
    def test_a_long_id_repeated_on_every_quad_is_too_large(self, signed: dict) -> None:
        """A 1 MiB @id on 500 values would be 500 MiB of N-Quads: refused before pyld writes
        (or even checks) them."""
        claim = signed["credentialSubject"]["hasClaim"]
        claim["id"] = "urn:x:" + "i" * (LIMITS.max_string - 10)
        claim["title"] = {"en": [str(n) for n in range(500)]}
        report = verify_credential(signed, VerifierOptions(now=NOW))
        found = outcomes(report)
        assert found["format"] == ("error", "too_large")
        assert found["seal"] == ("error", "too_large")


class TestBudget:
    def test_spent_before_the_seal_is_not_verified(self, signed: dict) -> None:
        report = verify_credential(signed, VerifierOptions(now=NOW, budget=0.0))
        found = outcomes(report)
        assert found["format"] == ("ok", "well_formed")
        assert all(found[n] == ("unchecked", BUDGET_EXCEEDED) for n in CHECK_NAMES[1:])
        assert report.verdict is Verdict.NOT_VERIFIED
        assert "MICROCRED_VERIFY_BUDGET" in report.result("seal").message

    def test_spent_after_a_genuine_seal_is_unconfirmed(
        self, signed: dict, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Format and seal ran; the budget ran out before revocation: unchecked never counts as
        passed, so the verdict names what is open."""
        looks = {"count": 0}

        def spent(self: Budget) -> bool:
            looks["count"] += 1
            return looks["count"] > 1  # after format, before seal: fine; then spent

        monkeypatch.setattr(Budget, "spent", spent)
        report = verify_credential(signed, VerifierOptions(now=NOW))
        found = outcomes(report)
        assert found["seal"] == ("ok", "seal_valid")
        assert found["revocation"] == ("unchecked", BUDGET_EXCEEDED)
        assert report.verdict is Verdict.UNCONFIRMED
        assert ("revocation", BUDGET_EXCEEDED) in {(c.check, c.code) for c in report.unconfirmed}

    def test_proofs_after_the_deadline_are_unchecked(self, signed: dict, issuer_key: Any) -> None:
        twice = add_proof(signed, issuer_key, created=SIGNED_AT)
        result = verify_proofs(
            twice, resolver=DidResolver(), now=NOW, deadline=time.monotonic() - 1
        )
        assert not result.verified
        assert [r.code for r in result.results] == [BUDGET_EXCEEDED, BUDGET_EXCEEDED]
        assert all(r.unchecked for r in result.results)

    def test_no_status_list_is_read_after_the_deadline(self, signed: dict) -> None:
        document = copy.deepcopy(signed)
        document["credentialStatus"] = {
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "1",
            "statusListCredential": "https://issuer.example/status/1",
        }
        asked: list[str] = []

        def fetch(url: str) -> bytes:
            asked.append(url)
            return encode_list([]).encode()

        result = check_revocation(document, fetch=fetch, now=NOW, deadline=time.monotonic() - 1)
        assert (result.outcome.value, result.code) == ("unchecked", BUDGET_EXCEEDED)
        assert asked == []

    @pytest.mark.parametrize(
        ("raw", "seconds"), [(None, 5.0), ("", 5.0), ("2.5", 2.5), (" 30 ", 30.0)]
    )
    def test_the_setting(self, raw: str | None, seconds: float) -> None:
        environ = {} if raw is None else {"MICROCRED_VERIFY_BUDGET": raw}
        assert verify_budget_from(environ) == seconds

    @pytest.mark.parametrize("raw", ["0", "-1", "nan", "inf", "601", "soon"])
    def test_an_unusable_setting_is_refused(self, raw: str) -> None:
        with pytest.raises(SettingsError, match="MICROCRED_VERIFY_BUDGET"):
            verify_budget_from({"MICROCRED_VERIFY_BUDGET": raw})


class TestHeavyLane:
    def test_ordinary_credentials_never_wait(self, signed: dict) -> None:
        lane = HeavyLane(slots=1, wait=0.01)
        with lane.turn({"big": list(range(5000))}, 0), lane.turn(signed, 7000):
            pass  # the reference credential is not heavy: no turn needed

    def test_a_second_heavy_one_is_busy_when_no_turn_comes(self) -> None:
        lane = HeavyLane(slots=1, wait=0.01)
        heavy = {"big": list(range(5000))}
        with lane.turn(heavy, 0), pytest.raises(limits.Busy), lane.turn({}, 10**6):
            pass


# --- the text's bounds: walks skipped only where they would pass -----------------------------

_STRUCTURE_TEXT = st.text(alphabet="ab\u00f8[,", max_size=12)
_STRUCTURE_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | _STRUCTURE_TEXT,
    lambda inner: st.lists(inner, max_size=6)
    | st.dictionaries(_STRUCTURE_TEXT, inner, max_size=5),
    max_leaves=40,
)


def _outcome(run: Any) -> tuple[str, str] | None:
    try:
        run()
    except limits.LimitExceeded as error:
        return error.code, error.message
    return None


class TestTextBounds:
    """``check_structure`` and the heavy lane given the bounds of the text a document was read
    from answer exactly as they do walking the document."""

    @settings(max_examples=400, deadline=None)
    @given(
        document=_STRUCTURE_JSON,
        proofs=st.integers(0, 3),
        entries=st.integers(0, 3),
        duplicate=st.booleans(),
        max_nodes=st.integers(1, 60),
        max_string=st.integers(0, 14),
        max_count=st.integers(0, 2),
    )
    def test_check_structure_answers_as_the_walk(
        self,
        document: Any,
        proofs: int,
        entries: int,
        duplicate: bool,
        max_nodes: int,
        max_string: int,
        max_count: int,
    ) -> None:
        wrapper: dict[str, Any] = {"doc": document}
        if proofs:
            wrapper["proof"] = [{}] * proofs if proofs > 1 else {}
        if entries:
            wrapper["credentialStatus"] = [{"a": 1}] * entries
        text = json.dumps(wrapper)
        if duplicate:  # a member name given twice: its first value is in the text only
            text = '{"doc": ' + json.dumps([document] * 3) + ", " + text[1:]
        parsed, bounds = limits.read_bounded(text)
        assert parsed == wrapper
        small = Limits(
            max_nodes=max_nodes,
            max_string=max_string,
            max_proofs=max_count,
            max_status_entries=max_count,
        )
        walked = _outcome(lambda: check_structure(parsed, small))
        assert _outcome(lambda: check_structure(parsed, small, bounds)) == walked
        assert _outcome(lambda: check_structure(parsed, LIMITS, bounds)) is None

    @settings(max_examples=300, deadline=None)
    @given(
        document=_STRUCTURE_JSON,
        heavy_values=st.integers(0, 60),
        size=st.sampled_from([0, limits.HEAVY_BYTES, limits.HEAVY_BYTES + 1]),
    )
    def test_the_heavy_lane_answers_as_the_count(
        self, document: Any, heavy_values: int, size: int
    ) -> None:
        parsed, bounds = limits.read_bounded(json.dumps(document))
        with mock.patch.object(limits, "HEAVY_VALUES", heavy_values):
            assert HeavyLane.is_heavy(parsed, size, bounds) == HeavyLane.is_heavy(parsed, size)

    def test_no_walk_for_the_reference_credential(
        self, signed: dict, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Read from its text, the reference credential is neither walked by the structure
        check nor counted for the heavy lane; its report is the one the walks give."""
        parsed, bounds = limits.read_bounded(json.dumps(signed).encode())
        expected = verify_credential(parsed, VerifierOptions(now=NOW)).to_dict()

        def never(*args: Any) -> None:
            raise AssertionError("not expected to walk")

        monkeypatch.setattr(limits, "_check_values", never)
        monkeypatch.setattr(limits, "count_values", never)
        assert not HeavyLane.is_heavy(parsed, 20_000, bounds)
        found = verify_credential(parsed, VerifierOptions(now=NOW), bounds=bounds)
        assert found.to_dict() == expected

    def test_exactly_at_the_bound(self, signed: dict) -> None:
        """The reference credential's text counts its values exactly: a limit one below is
        refused, one at it accepted, bounds or not."""
        parsed, bounds = limits.read_bounded(json.dumps(signed))
        assert bounds.values == limits.count_values(parsed)
        for max_nodes, refused in ((bounds.values - 1, True), (bounds.values, False)):
            chosen = Limits(max_nodes=max_nodes)
            walked = _outcome(lambda: check_structure(parsed, chosen))  # noqa: B023
            assert (walked is not None) is refused
            assert _outcome(lambda: check_structure(parsed, chosen, bounds)) == walked  # noqa: B023

    @pytest.mark.parametrize(
        ("change", "chosen", "code"),
        [
            (lambda d: d.update(proof=[d["proof"]] * 33), LIMITS, "too_many_proofs"),
            (lambda d: d.update(extra="x" * 100), Limits(max_string=50), "string_too_long"),
            (lambda d: d.update(extra=list(range(500))), Limits(max_nodes=600), "too_many_nodes"),
        ],
    )
    def test_a_document_beyond_a_limit_is_refused_with_or_without_bounds(
        self, signed: dict, change: Any, chosen: Limits, code: str
    ) -> None:
        change(signed)
        parsed, bounds = limits.read_bounded(json.dumps(signed))
        options = VerifierOptions(now=NOW, limits=chosen)
        walked = verify_credential(parsed, options)
        refused_with(walked, code)
        assert verify_credential(parsed, options, bounds=bounds).to_dict() == walked.to_dict()


def test_the_gunicorn_settings_resist_slow_clients_and_outlast_the_budget() -> None:
    from gunicorn.workers.gthread import ThreadWorker

    from demo.procfile import services
    from verifier import gunicorn_conf

    verifier = next(s for s in services("127.0.0.1", 5000) if s.name == "verifier")
    command = verifier.argv({})  # the Procfile's verifier line, as make run runs it
    assert command[command.index("--config") + 1] == "python:verifier.gunicorn_conf"
    assert command[command.index("--bind") + 1] == "127.0.0.1:5001"
    worker = gunicorn_conf.worker_class
    module, _, name = worker.rpartition(".")
    assert issubclass(getattr(importlib.import_module(module), name), ThreadWorker)
    assert gunicorn_conf.sendfile is False  # every byte sent through TurnSocket's waits
    assert gunicorn_conf.threads > 20  # twenty slow clients cannot take one worker's threads
    assert gunicorn_conf.timeout > 4 * limits.DEFAULT_BUDGET
