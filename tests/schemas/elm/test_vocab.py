"""schemas.elm.vocab: the ELM and VC constants, stated once."""

from __future__ import annotations

from schemas.elm import vocab
from schemas.loader import PINNED_CONTEXT_URLS


def test_every_context_named_is_pinned():
    contexts = {
        vocab.VC_V1,
        vocab.VC_V2,
        vocab.EDC_AP,
        vocab.DATA_INTEGRITY_V1,
        vocab.DATA_INTEGRITY_V2,
        vocab.STATUS_LIST_V1,
    }
    assert contexts <= PINNED_CONTEXT_URLS
    assert set(vocab.CREDENTIAL_CONTEXT) <= contexts


def test_eqf_levels_one_to_eight():
    assert {f"http://data.europa.eu/snb/eqf/{n}": n for n in range(1, 9)} == vocab.EQF_LEVELS


def test_the_eus_24_official_languages():
    assert len(vocab.EU_LANGUAGES) == 24
    assert vocab.EU_LANGUAGES["ENG"] == "English"
    assert all(len(code) == 3 and code.isupper() for code in vocab.EU_LANGUAGES)
