"""What the report says to people, in their language: check titles, outcome labels and a
plain-words explanation for each result code. Strings are marked for gettext (Flask-Babel);
the check's own English message is shown beneath as the detail."""

from __future__ import annotations

from flask_babel import lazy_gettext as _

CHECK_TITLES = {
    "format": _("Well-formed credential"),
    "seal": _("Seal (digital signature)"),
    "revocation": _("Not revoked or suspended"),
    "expiry": _("Within its validity dates"),
    "accreditation": _("Issuer accredited for this credential"),
    "owner": _("Presented by its owner"),
    "recognition": _("Information needed for recognition"),
}

OUTCOME_LABELS = {
    "ok": _("passed"),
    "error": _("failed"),
    "warning": _("warning"),
    "unchecked": _("not checked"),
}

CODE_TEXT = {
    "well_formed": _("The credential uses only known vocabularies and every field is defined."),
    "unknown_context": _("The credential uses a vocabulary this verifier does not know."),
    "context_not_pinned": _(
        "The credential defines its own vocabulary inline, which is not allowed."
    ),
    "undefined_term": _(
        "The credential contains a field that is not defined, possibly added after signing."
    ),
    "not_a_credential": _("This document is not a verifiable credential."),
    "not_an_object": _("This document is not a credential."),
    "seal_valid": _("The digital signature is valid and belongs to the issuer."),
    "invalid_signature": _(
        "The credential was changed after it was signed, or the signature is false."
    ),
    "key_not_authorized": _(
        "The signature was made with a key that does not belong to the issuer."
    ),
    "unsupported_cryptosuite": _(
        "The credential is signed with a method this verifier does not accept."
    ),
    "no_proof": _("The credential carries no digital signature."),
    "did_unresolved": _(
        "The issuer's public key could not be fetched, so the signature was not checked."
    ),
    "seal_invalid": _("Not checked, because the seal is invalid."),
    "no_status": _("The issuer cannot revoke this credential."),
    "not_revoked": _(
        "The issuer's status list says the credential is neither revoked nor suspended."
    ),
    "revoked": _("The issuer has revoked this credential."),
    "suspended": _("The issuer has suspended this credential."),
    "status_unavailable": _(
        "The issuer's status list could not be fetched; revocation is unknown."
    ),
    "status_not_fetched": _("Status lists are not fetched here; revocation is unknown."),
    "valid": _("The credential is within its validity dates."),
    "expired": _("The credential has expired. It was genuine but is no longer valid."),
    "not_yet_valid": _("The credential is not valid yet."),
    "accredited": _("Every awarding body is accredited for this kind of credential."),
    "not_accredited": _("An awarding body is not in the accreditation register."),
    "no_registry": _("No accreditation register is configured."),
    "no_presentation": _(
        "The credential was not presented by its holder, so ownership is not shown."
    ),
    "annex1_complete": _("All the EU standard elements of a micro-credential are present."),
    "annex1_incomplete": _("Some EU standard elements of a micro-credential are missing."),
    "jades_valid": _("The European seal is valid."),
}

VERDICT = {
    True: _("Verified"),
    False: _("Not verified"),
}
