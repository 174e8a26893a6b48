"""The verifier's summary of a credential: what a recognition officer reads first, in the shape
of the report's ``summary`` (JSON and pages), read through :mod:`schemas.elm.read`.

Nothing here trusts the document: callers decide what may be shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schemas.elm.read import (
    as_list,
    awarding_bodies,
    claim,
    first,
    issued,
    issuer_id,
    node_id,
    outcomes,
    specification,
    subject,
    text,
    title,
)
from schemas.elm.stack import parts


def organisation_name(body: Mapping[str, Any]) -> str | None:
    """How the verifier names an organisation: its legal name, else its preferred label (in
    English if it has it, else any language), else its id."""
    return text(body.get("legalName")) or text(body.get("prefLabel")) or node_id(body)


def _last_segment(iri: str | None) -> str | None:
    # The EQF level of an EQF IRI ("…/eqf/6" gives "6"); shown for any IRI, as the report
    # always has (the recognition check says when it is no EQF level).
    return iri.rsplit("/", 1)[-1] if iri else None


def summary(credential: Mapping[str, Any]) -> dict[str, Any]:
    """What a recognition officer reads first: title, learner, awarding bodies, ECTS, EQF level,
    workload and learning outcomes (plain strings, English first; absent parts are None or
    empty). ``ects`` and ``volumeOfLearning`` are the first credit point's ``point`` and the
    specification's ``volumeOfLearning`` as stated, whatever their JSON type. A stacked award
    adds ``parts``: each part it claims (:func:`schemas.elm.stack.parts`: achievement id,
    credential id, title, ECTS) — the award's word: the verifier has not seen the parts."""
    specified = specification(claim(credential))
    name = title(credential)
    found = {
        "title": name.value if name is not None else None,
        "learner": text(subject(credential).get("fullName")),
        "issuer": issuer_id(credential),
        "awardingBodies": [organisation_name(b) for b in awarding_bodies(credential)],
        "ects": first(specified.get("creditPoint")).get("point"),
        "eqfLevel": _last_segment(node_id(next(iter(as_list(specified.get("eqfLevel"))), None))),
        "volumeOfLearning": specified.get("volumeOfLearning"),
        "learningOutcomes": [outcome.value for outcome in outcomes(specified)],
        "issued": issued(credential),
    }
    stacked = parts(credential)
    if stacked:
        found["parts"] = stacked
    return found
