"""LinkedIn's "Add licence or certification" link for an issued credential.

LinkedIn documents a profile link that opens its "add certification" form filled in
(``https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&…``). Built from the
stored, signed credential: its title, its issuing organisation's name, the year and month it was
issued, its credential id, and a public URL where it can be seen (a share link), plus the
expiry year and month when the credential has a validity end.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from schemas.elm import read

LINKEDIN_ADD = "https://www.linkedin.com/profile/add"
ENGLISH_FIRST = ("en",)


def linkedin_add_url(document: Mapping[str, Any], *, cert_url: str, cert_id: str) -> str:
    """The LinkedIn "add certification" URL for ``document`` (a signed credential), pointing
    at ``cert_url`` (where it can be seen) with ``cert_id`` as its credential id. Fields the
    credential does not state are left out, never guessed."""
    params: dict[str, str] = {"startTask": "CERTIFICATION_NAME"}
    title = read.title(document, ENGLISH_FIRST)
    if title is not None:
        params["name"] = title.value.strip()
    issuer = read.first(document.get("issuer"))
    organisation = read.text(issuer.get("legalName"), ENGLISH_FIRST)
    if organisation:
        params["organizationName"] = organisation.strip()
    issued = read.parse_date(read.issued(document))
    if issued is not None:
        params["issueYear"] = str(issued.year)
        params["issueMonth"] = str(issued.month)
    ends = read.parse_date(read.valid_until(document))
    if ends is not None:
        params["expirationYear"] = str(ends.year)
        params["expirationMonth"] = str(ends.month)
    params["certUrl"] = cert_url
    params["certId"] = cert_id
    return f"{LINKEDIN_ADD}?{urlencode(params)}"
