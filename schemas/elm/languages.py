"""Which of a credential's languages a reader sees: the languages its texts are given in, the
one to show first, and each language's name in itself.

Both apps' pages use this (the issuer's learner and share pages, the verifier's result page),
so a reader asking for a language gets the same texts from either. Nothing here trusts the
document: it only reads language-map keys.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from schemas.elm.read import as_list, claim, first, objects, specification
from schemas.elm.vocab import ENGLISH, EU_LANGUAGE_TAGS, EU_LANGUAGES

#: At most this many languages are offered (a credential may carry all 24 EU languages).
MAX_LANGUAGES: Final = 24


def _keys(value: Any) -> list[str]:
    keys: list[str] = []
    for item in as_list(value):
        if isinstance(item, Mapping):
            keys += [k for k in item if isinstance(k, str) and k and not k.startswith("@")]
    return keys


def _texts(credential: Mapping[str, Any]) -> list[Any]:
    """The human-language values of a micro-credential a reader reads: titles, description,
    learning outcomes, assessment, prerequisites and quality assurance."""
    achievement = claim(credential)
    spec = specification(achievement)
    proof = first(achievement.get("provenBy"))
    values = [
        achievement.get("title"),
        spec.get("title"),
        spec.get("description"),
        achievement.get("description"),
        proof.get("title"),
        first(proof.get("specifiedBy")).get("title"),
        first(spec.get("entryRequirement")).get("noteLiteral"),
    ]
    values += [o.get("title") for o in objects(spec.get("learningOutcome"))]
    values += [a.get("title") for a in objects(spec.get("accreditation"))]
    return values


def languages_of(credential: Mapping[str, Any]) -> list[str]:
    """The language tags the credential's texts (see :func:`_texts`) are given in, in the order
    first met (at most :data:`MAX_LANGUAGES`); empty when it has no language map."""
    found: list[str] = []
    for value in _texts(credential):
        for key in _keys(value):
            if key not in found:
                found.append(key)
    return found[:MAX_LANGUAGES]


def shown_language(available: Iterable[str], *wanted: str | None) -> str | None:
    """The language to show first: the first of ``wanted`` (the reader's choice, then the
    page's language …) that is ``available``, else English, else the first available; None
    when nothing is available."""
    have = list(available)
    for language in (*wanted, ENGLISH):
        if language and language in have:
            return language
    return have[0] if have else None


def reading_order(language: str | None) -> tuple[str, ...]:
    """The language-map keys to read texts in: ``language``, then English (then, as
    :func:`schemas.elm.read.tagged` does, any language the value has)."""
    return (language, ENGLISH) if language and language != ENGLISH else (ENGLISH,)


def language_name(tag: str) -> str:
    """An EU language's name in itself, capitalised ("Dansk" for ``da``); the tag itself for
    any other language."""
    code = EU_LANGUAGE_TAGS.get(tag.lower())
    name = EU_LANGUAGES.get(code, "") if code else ""
    return name[:1].upper() + name[1:] if name else tag
