"""Every IRI and constant of the European Learning Model and W3C Verifiable Credentials we use.

The contexts a credential names, its types and profiles, and the concepts of the EU's controlled
vocabularies (EQF, ISCED-F, ECTS, countries, languages, learning modes and settings), defined
once here: the builder, the readers, the Annex I checks, the issuer and the verifier import them.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

# --- contexts ---------------------------------------------------------------------------------

VC_V1: Final = "https://www.w3.org/2018/credentials/v1"
VC_V2: Final = "https://www.w3.org/ns/credentials/v2"
EDC_AP: Final = "http://data.europa.eu/snb/model/context/edc-ap"
DATA_INTEGRITY_V1: Final = "https://w3id.org/security/data-integrity/v1"
DATA_INTEGRITY_V2: Final = "https://w3id.org/security/data-integrity/v2"
STATUS_LIST_V1: Final = "https://www.w3.org/ns/credentials/status/v1"

#: The W3C Verifiable Credentials base contexts (one of them comes first in every credential).
VC_CONTEXTS: Final = (VC_V1, VC_V2)
#: A micro-credential's contexts, in order: VC v1, the EDC profile, Data Integrity v2 (which
#: defines the proof terms). The Bitstring Status List context goes before the last when the
#: credential has a status entry.
CREDENTIAL_CONTEXT: Final = (VC_V1, EDC_AP, DATA_INTEGRITY_V2)

#: The EDC SHACL shapes a credential names as its ``credentialSchema``.
EDC_GENERIC_FULL: Final = "http://data.europa.eu/snb/model/ap/edc-generic-full"

# --- types ------------------------------------------------------------------------------------

VERIFIABLE_CREDENTIAL: Final = "VerifiableCredential"
EDC_TYPE: Final = "EuropeanDigitalCredential"
#: The types of a micro-credential.
CREDENTIAL_TYPES: Final = (VERIFIABLE_CREDENTIAL, EDC_TYPE)
ACHIEVEMENT_TYPE: Final = "LearningAchievement"
ACTIVITY_TYPE: Final = "LearningActivity"
#: ELM's classes for what was achieved (a claim's ``specifiedBy``).
SPECIFICATION_TYPES: Final = frozenset({"Qualification", "LearningAchievementSpecification"})

# --- credential profiles (EU vocabulary ``http://data.europa.eu/snb/credential/25831c2``) ----

GENERIC_PROFILE: Final = "http://data.europa.eu/snb/credential/e34929035b"
DIPLOMA_SUPPLEMENT: Final = "http://data.europa.eu/snb/credential/6dff8a0f87"
ACCREDITATION_PROFILE: Final = "http://data.europa.eu/snb/credential/c_ae121a00"
ISSUED_MANDATE_PROFILE: Final = "http://data.europa.eu/snb/credential/c_9a31f32a"

# --- controlled vocabularies ------------------------------------------------------------------

#: The European Qualifications Framework: a level's IRI is this prefix and its number.
EQF: Final = "http://data.europa.eu/snb/eqf/"
#: The IRI of each EQF level and its number (1 to 8).
EQF_LEVELS: Final[Mapping[str, int]] = MappingProxyType({f"{EQF}{n}": n for n in range(1, 9)})
#: ISCED-F 2013 fields of education and training: prefix of a field's IRI.
ISCED_F: Final = "http://data.europa.eu/snb/isced-f/"
#: The ECTS credit framework (EU vocabulary ``education-credit``).
ECTS: Final = "http://data.europa.eu/snb/education-credit/6fcec5c5af"
#: The Publications Office's authority tables: prefix of a country's IRI (ISO 3166 alpha-3).
COUNTRY: Final = "http://publications.europa.eu/resource/authority/country/"
#: ESCO skills (a learning outcome's ``relatedESCOSkill``).
ESCO_SKILL: Final = "http://data.europa.eu/esco/skill/"
#: The Publications Office's authority tables: prefix of a language's IRI (``ENG``, ``DAN``).
LANGUAGE: Final = "http://publications.europa.eu/resource/authority/language/"

#: Participation modes offered (Annex I: online, onsite or blended), by our name: the concept's
#: IRI and label in the EU vocabulary "Mode of learning and assessment" (``learning-assessment``).
#: Online and blended as the EU's own samples use them; onsite is the vocabulary's "Presential"
#: (``9191af2ed9``, valid since 2020-06-24), not in the samples.
PARTICIPATION_MODES: Final[Mapping[str, tuple[str, str]]] = MappingProxyType(
    {
        "online": ("http://data.europa.eu/snb/learning-assessment/920fbb3cbe", "Online"),
        "onsite": ("http://data.europa.eu/snb/learning-assessment/9191af2ed9", "Presential"),
        "blended": ("http://data.europa.eu/snb/learning-assessment/e92d221e4d", "Blended"),
    }
)
#: Learning settings offered, by our name: the concept's IRI and label in the EU vocabulary
#: "Learning setting type" (``learning-setting``), which has exactly these two concepts.
LEARNING_SETTINGS: Final[Mapping[str, tuple[str, str]]] = MappingProxyType(
    {
        "formal": ("http://data.europa.eu/snb/learning-setting/6fd4685715", "formal learning"),
        "non-formal": (
            "http://data.europa.eu/snb/learning-setting/e207a81fc7",
            "non-formal learning",
        ),
    }
)

# --- concept schemes (a concept's ``inScheme``; the EDC-generic-full shapes check them) -------

COUNTRY_SCHEME: Final = "http://publications.europa.eu/resource/authority/country"
LANGUAGE_SCHEME: Final = "http://publications.europa.eu/resource/authority/language"
FILE_TYPE_SCHEME: Final = "http://publications.europa.eu/resource/authority/file-type"
EQF_SCHEME: Final = "http://data.europa.eu/snb/eqf/25831c2"
ISCED_F_SCHEME: Final = "http://data.europa.eu/snb/isced-f/25831c2"
LEARNING_SETTING_SCHEME: Final = "http://data.europa.eu/snb/learning-setting/25831c2"
LEARNING_ASSESSMENT_SCHEME: Final = "http://data.europa.eu/snb/learning-assessment/25831c2"
EDUCATION_CREDIT_SCHEME: Final = "http://data.europa.eu/snb/education-credit/25831c2"
CREDENTIAL_SCHEME: Final = "http://data.europa.eu/snb/credential/25831c2"
ENCODING_SCHEME: Final = "http://data.europa.eu/snb/encoding/25831c2"
ESCO_SKILL_SCHEME: Final = "http://data.europa.eu/esco/concept-scheme/skills"
#: The EU accreditation types: prefix of a type's IRI, and their scheme.
ACCREDITATION: Final = "http://data.europa.eu/snb/accreditation/"
ACCREDITATION_SCHEME: Final = "http://data.europa.eu/snb/accreditation/25831c2"
#: A display image's encoding (base64) and file type (SVG).
BASE64_ENCODING: Final = "http://data.europa.eu/snb/encoding/6146cde7dd"
SVG_FILE_TYPE: Final = FILE_TYPE_SCHEME + "/SVG"

#: The EU's 24 official languages, as the European Learning Model codes them (the last part of
#: a :data:`LANGUAGE` IRI), with their own names.
EU_LANGUAGES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "BUL": "български",
        "CES": "čeština",
        "DAN": "dansk",
        "DEU": "Deutsch",
        "ELL": "ελληνικά",
        "ENG": "English",
        "EST": "eesti",
        "FIN": "suomi",
        "FRA": "français",
        "GLE": "Gaeilge",
        "HRV": "hrvatski",
        "HUN": "magyar",
        "ITA": "italiano",
        "LAV": "latviešu",
        "LIT": "lietuvių",
        "MLT": "Malti",
        "NLD": "Nederlands",
        "POL": "polski",
        "POR": "português",
        "RON": "română",
        "SLK": "slovenčina",
        "SLV": "slovenščina",
        "SPA": "español",
        "SWE": "svenska",
    }
)

#: The language-map key a credential's text is read in when the reader states no other.
ENGLISH: Final = "en"

#: The language-map key (ISO 639-1 tag) of each of the EU's 24 official languages, and its
#: European Learning Model code (a key of :data:`EU_LANGUAGES`).
EU_LANGUAGE_TAGS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "bg": "BUL",
        "cs": "CES",
        "da": "DAN",
        "de": "DEU",
        "el": "ELL",
        "en": "ENG",
        "et": "EST",
        "fi": "FIN",
        "fr": "FRA",
        "ga": "GLE",
        "hr": "HRV",
        "hu": "HUN",
        "it": "ITA",
        "lv": "LAV",
        "lt": "LIT",
        "mt": "MLT",
        "nl": "NLD",
        "pl": "POL",
        "pt": "POR",
        "ro": "RON",
        "sk": "SLK",
        "sl": "SLV",
        "es": "SPA",
        "sv": "SWE",
    }
)
