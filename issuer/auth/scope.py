"""Who may act on a credential within a partnership: the rule shared by API tokens and staff.

Reading is partnership-wide: every member sees the partnership's credentials. *Acting* on one
(suspending, reinstating or revoking it, creating share links to it, renewing its learner's
link) and resuming a bulk job are for the organisations that award it: the acting
organisation must be the credential's issuer or one of its awarding bodies (for a job: its
issuer or one of the bodies it awards with). A member therefore acts on its own credentials and
on the joint awards it is a body of, never on another member's. Only an API token created with
the partnership scope (``TokenScope.PARTNERSHIP``, granted deliberately by whoever creates
tokens) may act on every credential of its partnership. Staff users always act for their
organisation.
"""

from __future__ import annotations

from collections.abc import Iterable

from issuer.errors import Forbidden
from issuer.models import BulkJob, IssuedCredential, Organisation


def awarding_organisations(credential: IssuedCredential) -> set[int]:
    """The ids of the organisations that award ``credential``: its issuer and every
    awarding body."""
    return {credential.issuer_id, *(body.id for body in credential.awarding_bodies)}


def job_organisations(job: BulkJob) -> set[int]:
    """The ids of the organisations a bulk job awards with: its issuer and its bodies."""
    return {job.issuer_id, *(int(i) for i in job.awarding_body_ids or [])}


def may_act(organisation_id: int, awarding: Iterable[int], *, partnership_wide: bool) -> bool:
    """Whether an organisation (or a partnership-wide caller) may act on what ``awarding``
    (organisation ids) awards."""
    return partnership_wide or organisation_id in set(awarding)


def ensure_may_act(
    organisation: Organisation,
    awarding: Iterable[int],
    *,
    partnership_wide: bool,
    what: str = "credential",
) -> None:
    """Raise ``Forbidden`` (``forbidden``) unless a token of ``organisation`` may act on what
    ``awarding`` awards: its organisation is among them, or it is partnership-wide. The
    message says whose it is and what would allow it."""
    if may_act(organisation.id, awarding, partnership_wide=partnership_wide):
        return
    raise Forbidden(
        f"this token acts for {organisation.slug}, which neither issued nor awards this "
        f"{what}: only its awarding bodies may change it, or a token with the partnership "
        "scope",
        details={"organisation": organisation.slug, "scope": "organisation"},
    )
