"""The credential's individual display: a page image the European Learning Model requires.

The EDC shapes require every credential's ``displayParameter`` to carry an ``individualDisplay``
(its language and at least one ``displayDetail``: a page number and an image as a
``MediaObject`` with content, content type and encoding). The image made here is a plain SVG
page naming the credential's title, the learner, the issuer and the date of award, written
deterministically from the same data (the same award gives the same bytes), base64-encoded.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape

from schemas.elm.vocab import (
    BASE64_ENCODING,
    ENCODING_SCHEME,
    FILE_TYPE_SCHEME,
    LANGUAGE,
    LANGUAGE_SCHEME,
    SVG_FILE_TYPE,
)

_WIDTH, _HEIGHT = 842, 595  # A4 landscape, in points

_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}">'
    '<rect width="{w}" height="{h}" fill="#ffffff" stroke="#003399" stroke-width="12"/>'
    '<g font-family="sans-serif" text-anchor="middle" fill="#1a1a1a">'
    '<text x="{cx}" y="150" font-size="34" font-weight="bold">{title}</text>'
    '<text x="{cx}" y="230" font-size="18">awarded to</text>'
    '<text x="{cx}" y="280" font-size="30">{learner}</text>'
    '<text x="{cx}" y="360" font-size="18">by {issuer}</text>'
    '<text x="{cx}" y="400" font-size="16">{date}</text>'
    "</g></svg>"
)


def text_of(value: str | Mapping[str, str]) -> str:
    """One text of a plain string or language map: the map's first value (empty if none)."""
    if isinstance(value, str):
        return value
    return next(iter(value.values()), "")


def page_svg(*, title: str, learner: str, issuer: str, date: str) -> str:
    """The SVG page showing the credential's title, learner, issuer and date (escaped)."""
    return _SVG.format(
        w=_WIDTH,
        h=_HEIGHT,
        cx=_WIDTH // 2,
        title=escape(title),
        learner=escape(learner),
        issuer=escape(issuer),
        date=escape(date),
    )


def individual_display(
    node_id: str, language: str, *, title: str, learner: str, issuer: str, date: str
) -> dict[str, Any]:
    """The ``IndividualDisplay`` node ``node_id`` in ``language`` (an ELM language code such as
    ``ENG``): one page whose image is :func:`page_svg`, base64-encoded, as an SVG file."""
    svg = page_svg(title=title, learner=learner, issuer=issuer, date=date)
    return {
        "id": node_id,
        "type": "IndividualDisplay",
        "language": {
            "id": LANGUAGE + language,
            "type": "Concept",
            "inScheme": {"id": LANGUAGE_SCHEME, "type": "ConceptScheme"},
            "prefLabel": {"en": language},
        },
        "displayDetail": {
            "id": f"{node_id}-page-1",
            "type": "DisplayDetail",
            "page": 1,
            "image": {
                "id": f"{node_id}-page-1-image",
                "type": "MediaObject",
                "contentType": {
                    "id": SVG_FILE_TYPE,
                    "type": "Concept",
                    "inScheme": {"id": FILE_TYPE_SCHEME, "type": "ConceptScheme"},
                    "prefLabel": {"en": "SVG"},
                },
                "contentEncoding": {
                    "id": BASE64_ENCODING,
                    "type": "Concept",
                    "inScheme": {"id": ENCODING_SCHEME, "type": "ConceptScheme"},
                    "prefLabel": {"en": "base64"},
                },
                "content": base64.b64encode(svg.encode("utf-8")).decode("ascii"),
            },
        },
    }
