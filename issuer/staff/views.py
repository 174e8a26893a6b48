"""The partnership staff pages under ``/staff``: sign in, specifications, issuing one credential
or a CSV of them, searching issued credentials, suspending, reinstating and revoking them, and
the audit log.

Staff sign in with a session kept by the server (``issuer.auth.staff``) and may change their
password; every form carries a CSRF token. The viewer role looks, the issuer role also issues and
changes credentials' status, the admin role also creates specifications. Every page shows only the
signed-in user's partnership: another partnership's credential, job or specification is "not found".
Staff act for their organisation (``issuer.auth.scope``): they see every credential of the
partnership, but suspend, reinstate and revoke only those their organisation issued or co-awards,
and resume only its bulk jobs (403 otherwise). The pages call the same services as the JSON API
(``issuer.partnerships.services``, ``issuer.credentials.issuance``, ``issuer.bulk.jobs``) through
their forms (``issuer.staff.forms``, ``issuer.staff.specification_form``), and commit only after
the service call succeeded. Every string from a credential, a learner or a specification is
autoescaped by the templates.

This module puts the pages together: one blueprint, ``bp`` (``issuer.staff.blueprint``), on which
each module below registers its views, so every endpoint is ``staff.<view>``.
"""

from __future__ import annotations

from issuer.staff import (  # noqa: F401  (each registers its views on bp)
    account,
    audit,
    bulk,
    corrections,
    credentials,
    dashboard,
    issuing,
    learner_links,
    organisation,
    specifications,
    stacking,
)
from issuer.staff.blueprint import bp

__all__ = ["bp"]
