"""Folding text for search: one form in which ``Østergaard``, ``østergaard`` and ``Ostergaard``
are the same, and so are ``ÉMILE`` / ``Émile`` / ``emile`` and ``Åsa`` / ``asa``.

SQLite's ``lower()`` folds ASCII letters only, and PostgreSQL's depends on the database's
collation, so neither database is asked to fold: the issuer stores the folded text beside what
it folds (``learners.search_text``, filled on every write) and folds the search words the same
way. Both databases then compare plain lower-case ASCII-ish text with ``LIKE``.

The fold: Unicode NFKD, combining marks removed, ``str.casefold`` (``ß`` → ``ss``), then the
letters NFKD does not take apart written as their usual Latin spelling: ``ø`` → ``o``,
``æ`` → ``ae``, ``œ`` → ``oe``, ``ð`` → ``d``, ``þ`` → ``th``, ``ł`` → ``l``, ``đ`` → ``d``,
``ħ`` → ``h``, the dotless i → ``i``. ``å`` folds to ``a`` (NFKD takes off its ring), so
``Åsa`` matches ``Asa``; the old Danish spelling ``Aa`` is *not* made equal to ``Å``
(``Aarhus`` does not find ``Århus``): that would make every ``aa`` in every language match a
single ``a``.
See ``docs/decisions.md``.
"""

from __future__ import annotations

import unicodedata

_LETTERS = str.maketrans(
    {
        "ø": "o",
        "æ": "ae",
        "œ": "oe",
        "ð": "d",
        "þ": "th",
        "ł": "l",
        "đ": "d",
        "ħ": "h",
        "\u0131": "i",  # dotless i
    }
)


def fold(text: str) -> str:
    """``text`` folded for search (see the module's docstring); whitespace runs become one
    space and the ends are trimmed. The same input always folds to the same output."""
    if text.isascii():  # NFKD leaves ASCII as it is, and it has no combining marks
        plain = text
    else:
        decomposed = unicodedata.normalize("NFKD", text)
        plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().translate(_LETTERS).split())


def learner_search_text(given_name: str, family_name: str, reference: str) -> str:
    """What a learner is found by: their names and reference, folded (``learners.search_text``)."""
    return fold(f"{given_name} {family_name} {reference}")
