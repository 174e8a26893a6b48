"""Finding learners' credentials by words of the learner's name or reference, in any case and
with or without accents (``Østergaard``, ``østergaard`` and ``Ostergaard`` find the same
learners): each word is folded as the stored ``learners.search_text`` is
(:mod:`issuer.folding`), and every word must occur in it. The staff pages and the API's
``q=`` both search through :func:`learner_words`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, true

from issuer.folding import fold
from issuer.models import Learner

MAX_SEARCH_WORDS = 10


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
    return f"%{escaped}%"


def learner_words(text: str) -> Any:
    """A condition on ``Learner`` (join it) that holds when each of the first
    ``MAX_SEARCH_WORDS`` words of ``text`` occurs, folded and taken literally, in the learner's
    folded names or reference; always true for a text without words."""
    words = fold(text).split()[:MAX_SEARCH_WORDS]
    if not words:
        return true()
    return and_(*(Learner.search_text.like(_like(word), escape="\\") for word in words))
