"""The values an accreditation's limits are written in, and how to read them.

EQF levels (``http://data.europa.eu/snb/eqf/6``), ISCED-F fields
(``http://data.europa.eu/snb/isced-f/06``; a tree: ``06`` covers ``061`` and ``0688``, ``061``
does not cover ``0688``), countries
(``http://publications.europa.eu/resource/authority/country/DNK``) and NUTS regions
(``http://data.europa.eu/nuts/code/DK01``; a tree too: ``DK0`` covers ``DK01``). Also the error
for input that does not describe an agency, a record or a registry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Final

from schemas.elm.vocab import COUNTRY, EQF, ISCED_F

NUTS: Final = "http://data.europa.eu/nuts/code/"


# NUTS country prefixes (NUTS uses EL for Greece and UK for the United Kingdom) → ISO alpha-3.
NUTS_COUNTRIES: Final = {
    "AL": "ALB", "AT": "AUT", "BE": "BEL", "BG": "BGR", "CH": "CHE", "CY": "CYP", "CZ": "CZE",
    "DE": "DEU", "DK": "DNK", "EE": "EST", "EL": "GRC", "ES": "ESP", "FI": "FIN", "FR": "FRA",
    "HR": "HRV", "HU": "HUN", "IE": "IRL", "IS": "ISL", "IT": "ITA", "LI": "LIE", "LT": "LTU",
    "LU": "LUX", "LV": "LVA", "ME": "MNE", "MK": "MKD", "MT": "MLT", "NL": "NLD", "NO": "NOR",
    "PL": "POL", "PT": "PRT", "RO": "ROU", "RS": "SRB", "SE": "SWE", "SI": "SVN", "SK": "SVK",
    "TR": "TUR", "UK": "GBR",
}  # fmt: skip
_COUNTRY_CODE: Final = re.compile(r"[A-Z]{3}")
_NUTS_CODE: Final = re.compile(r"[A-Z]{2}[0-9A-Z]{0,3}")
_ISCED_CODE: Final = re.compile(r"[0-9]{2,4}")


class RegistryFormatError(ValueError):
    """Input that does not describe an agency, a record or a registry (the message says why)."""


def eqf_level(value: Any) -> int | None:
    """The EQF level 1..8 of an int, a digit string or an EQF IRI; None if it is none of those."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.removeprefix(EQF)
        if not value.isdigit():
            return None
        value = int(value)
    return value if isinstance(value, int) and 1 <= value <= 8 else None


def isced_field(value: Any) -> str | None:
    """The ISCED-F code (2 to 4 digits) of a code or an ISCED-F IRI; None otherwise."""
    if not isinstance(value, str):
        return None
    code = value.removeprefix(ISCED_F)
    return code if _ISCED_CODE.fullmatch(code) else None


def field_covers(limits: Iterable[str], code: str) -> bool:
    """True when ``code`` is one of ``limits`` or below one in the tree (``06`` covers ``0688``)."""
    return any(code.startswith(limit) for limit in limits)


def country_code(value: Any) -> str | None:
    """The ISO 3166 alpha-3 code of a country IRI (EU authority table) or a bare code."""
    if not isinstance(value, str):
        return None
    code = value.removeprefix(COUNTRY)
    return code if _COUNTRY_CODE.fullmatch(code) else None


def region_code(value: Any) -> str | None:
    """The NUTS code of a NUTS IRI, or of a bare code that is not three letters (those are
    countries: write a three-letter NUTS region such as ``DEA`` as its IRI)."""
    if not isinstance(value, str):
        return None
    if value.startswith(NUTS):
        code = value[len(NUTS) :]
    elif _COUNTRY_CODE.fullmatch(value):
        return None
    else:
        code = value
    return code if _NUTS_CODE.fullmatch(code) and code[:2] in NUTS_COUNTRIES else None


def region_country(region: str) -> str:
    """The alpha-3 country of a NUTS region code."""
    return NUTS_COUNTRIES[region[:2]]


def jurisdiction_iri(value: Any) -> str:
    """The IRI of a jurisdiction given as an alpha-3 country, a NUTS code or an IRI."""
    country = country_code(value)
    if country is not None:
        return COUNTRY + country
    region = region_code(value)
    if region is not None:
        return NUTS + region
    raise RegistryFormatError(f"{value!r} is not a country (alpha-3) or NUTS region")
