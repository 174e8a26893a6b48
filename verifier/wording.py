"""What the report says to people, in their language: check titles, outcome labels and a
plain-words explanation for each result code. Strings are marked for gettext (Flask-Babel);
the check's own English message is shown beneath as the detail."""

from __future__ import annotations

from flask_babel import lazy_gettext as _

from verifier.report import Verdict

CHECK_TITLES = {
    "format": _("Well-formed credential"),
    "seal": _("Seal (digital signature)"),
    "revocation": _("Not revoked or suspended"),
    "expiry": _("Within its validity dates"),
    "accreditation": _("Issuer confirmed by a trust source"),
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
    "dropped_by_context": _(
        "Some values in the credential cannot be expressed in its vocabulary. They are sealed "
        "all the same, but software that reads the credential as linked data will not see them."
    ),
    "context_redefines_term": _(
        "The credential changes the meaning of a field its vocabularies already define."
    ),
    "not_a_credential": _("This document is not a verifiable credential."),
    "invalid_context": _("The credential does not start with the W3C credentials vocabulary."),
    "invalid_type": _("The credential does not say it is a verifiable credential."),
    "invalid_id": _("An identifier in the credential is not a web address or other URL."),
    "invalid_issuer": _("The credential does not name its issuer with a URL."),
    "invalid_subject": _("The credential makes no claim about its subject."),
    "invalid_date": _("A date in the credential is not a valid date and time."),
    "invalid_validity_period": _("The credential's validity ends before it begins."),
    "invalid_typed_object": _("A status, schema, service, terms or evidence entry has no type."),
    "invalid_related_resource": _("A related resource is not named with an id and a digest."),
    "related_resource_digest_mismatch": _(
        "A related resource's digest is not the one published for that resource, so the "
        "credential does not refer to the resource it names."
    ),
    "invalid_language_value": _("A name or description is not text in a language."),
    "not_an_object": _("This document is not a credential."),
    "seal_valid": _("The digital signature is valid and belongs to the issuer."),
    "invalid_signature": _(
        "The credential was changed after it was signed, or the signature is false."
    ),
    "key_not_authorized": _(
        "The signature was made with a key that does not belong to the issuer."
    ),
    "issuer_not_bound": _(
        "The signature is genuine, but the issuer is not identified by a DID, so it could not "
        "be checked that the signing key belongs to the issuer."
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
    "trusted": _(
        "The issuer and every awarding body are on this verifier's list of trusted issuers."
    ),
    "not_accredited": _("An awarding body is not in the accreditation register."),
    "no_registry": _("No accreditation register is configured."),
    "no_trust_source": _(
        "This verifier has no list of trusted issuers, so it cannot confirm who issued the "
        "credential. The name on it is the issuer's own claim."
    ),
    "not_in_trust_source": _(
        "The issuer is not on any list this verifier trusts. The name on the credential is the "
        "issuer's own claim; anyone can make a credential that says it comes from a university."
    ),
    "out_of_trusted_scope": _(
        "The issuer is trusted, but not for this kind or level of credential."
    ),
    "registry_invalid": _(
        "The accreditation register could not be used, so the issuer was not confirmed."
    ),
    "record_unverified": _("The issuer's accreditation record could not be checked."),
    "accreditation_expired": _(
        "The issuer's accreditation was not in force when the credential was issued."
    ),
    "eqf_out_of_scope": _("The issuer is not accredited for this level (EQF)."),
    "field_out_of_scope": _("The issuer is not accredited for this field of study."),
    "awarding_body_not_sealed": _(
        "The credential names an awarding body that did not sign it. A joint award must be "
        "signed by every institution that awards it."
    ),
    "key_revoked": _(
        "The credential was signed with a key the issuer has withdrawn as compromised."
    ),
    "key_expired": _("The credential was signed with a key the issuer had already retired."),
    "jades_no_trust_anchor": _(
        "The European seal's signature is genuine, but this verifier has no trust anchor to "
        "confirm whose seal it is."
    ),
    "jades_certificate_expired": _(
        "The European seal was made with a certificate that is no longer valid, and nothing "
        "trustworthy proves it was made while the certificate was valid."
    ),
    "jades_certificate_revoked": _(
        "The certificate of the European seal has been revoked by its authority."
    ),
    "jades_untrusted_chain": _(
        "The European seal's certificate does not lead to an authority this verifier trusts."
    ),
    "jades_time_unproven": _(
        "The European seal's signature is genuine, but its certificate has expired. A time-stamp "
        "says the seal was made while the certificate was valid, but it comes from a "
        "time-stamping authority this verifier does not trust, so that time is not proven. "
        "The verifier's operator can add that authority as a trust anchor."
    ),
    "jades_revocation_unknown": _(
        "The European seal's signature is genuine, but whether its certificate was revoked "
        "could not be found out."
    ),
    "no_presentation": _(
        "Nothing to do here: this check applies only when a digital wallet presents the "
        "credential. A link or file can be shown by anyone, so check the holder's identity as "
        "you normally would, for example against their ID."
    ),
    "holder_is_subject": _(
        "The person who presented the credential is the person it was issued to."
    ),
    "holder_not_subject": _(
        "The credential was presented by someone other than the person it was issued to."
    ),
    "annex1_complete": _("All the EU standard elements of a micro-credential are present."),
    "annex1_incomplete": _(
        "Some EU standard elements of a micro-credential are missing or malformed. This does "
        "not make the credential less genuine; it may make recognition harder."
    ),
    "not_applicable": _(
        "This is not a micro-credential, so the EU standard elements of micro-credentials do "
        "not apply."
    ),
    "jades_valid": _("The European seal is valid."),
    "pdf_seal_intact": _("The PDF is exactly as the signer sealed it."),
    "pdf_seal_broken": _(
        "The PDF was changed after it was sealed, or its seal is false. Rely only on the "
        "credential inside it, checked here."
    ),
    "pdf_changed_after_seal": _(
        "Something was added to the PDF after it was sealed. Rely only on the credential "
        "inside it, checked here."
    ),
    "pdf_not_sealed": _("The PDF itself carries no seal; the credential inside it does."),
}

# One sentence for the checks not made because the seal is invalid (said once, not per check).
NOT_MADE = _(
    "The other checks were not made: once the seal is broken, nothing in the credential can "
    "be trusted."
)

# The status of one EU standard element in the recognition table.
ELEMENT_STATUS = {
    "present": _("present"),
    "missing": _("missing"),
    "malformed": _("malformed"),
}

VERDICT = {
    Verdict.VERIFIED: _("Verified"),
    Verdict.UNCONFIRMED: _("Genuine signature — not confirmed"),
    Verdict.NOT_VERIFIED: _("Not verified"),
}

# What the verdict means, and what the reader can do (for "not verified" the page adds the
# reason that failed).
VERDICT_HELP = {
    Verdict.VERIFIED: _(
        "The credential is genuine, comes from an issuer this verifier trusts, has not been "
        "revoked and is valid today. You can rely on what it says."
    ),
    Verdict.UNCONFIRMED: _(
        "The signature is genuine and nothing failed, but something that decides trust could "
        "not be confirmed (listed below). Do not rely on it yet: ask the holder or the issuer, "
        "or check again later."
    ),
    Verdict.NOT_VERIFIED: _("Do not rely on this credential."),
}

# What the reader can do next, after the verdict.
VERDICT_NEXT = {
    Verdict.VERIFIED: _(
        "Check that the name on it is the name of the person you are dealing with. Download "
        "the verification record to keep with your files."
    ),
    Verdict.UNCONFIRMED: _(
        "Ask the learner or the institution named on it, or check again later. The "
        "verification record says what could not be confirmed."
    ),
    Verdict.NOT_VERIFIED: _(
        "Ask the learner for the link from their QR code or the original file, and check "
        "again. If it still fails, contact the institution named on it."
    ),
}
VERDICT_BY_NAME = {verdict.value: words for verdict, words in VERDICT.items()}

# What went wrong with what a person gave the verifier, by the input error's code: a title
# (the page's heading) and what they can do. The technical message is shown folded beneath.
_TRY_FILE = _(
    "Ask the learner for the credential file (it ends in .jsonld or .json), the certificate "
    "PDF, or the link from their QR code."
)
INPUT_PROBLEMS = {
    "empty": (
        _("Nothing was given to check"),
        _("Give a link, a photo of the QR code, the credential file or the certificate PDF."),
    ),
    "link_withdrawn": (
        _("This link has been withdrawn"),
        _(
            "The person who shared the credential has stopped sharing it at this link, so "
            "there is nothing to check here. This says nothing about whether the credential "
            "is genuine. Ask the learner for a new link or for the credential file."
        ),
    ),
    "link_not_found": (
        _("There is no credential at this link"),
        _("Check that the link is complete, or ask the learner for a new link."),
    ),
    "fetch_failed": (
        _("The link could not be reached"),
        _(
            "The website in the link did not answer: the address may be mistyped, or the site "
            "may be down. Check the link, or try again later."
        ),
    ),
    "fetch_timeout": (
        _("The link did not answer in time"),
        _("The website in the link is slow or down. Try again later."),
    ),
    "fetch_bad_status": (
        _("The link gave an error"),
        _(
            "The website in the link answered with an error. Try again later, or ask the "
            "learner for the credential file."
        ),
    ),
    "fetch_bad_scheme": (
        _("This is not a web link"),
        _("Links to credentials start with https://."),
    ),
    "fetch_forbidden_address": (
        _("This link is not checked here"),
        _("The link points to a private network, which this verifier does not visit."),
    ),
    "fetch_too_large": (
        _("What the link gave is too large"),
        _("It is larger than any credential. Ask the learner for the credential file."),
    ),
    "fetch_too_many_redirects": (
        _("The link goes round in circles"),
        _("It sends the verifier on to other addresses too many times. Ask for a new link."),
    ),
    "not_json": (_("This is not a credential"), _TRY_FILE),
    "not_utf8": (_("This is not a credential"), _TRY_FILE),
    "not_an_object": (_("This is not a credential"), _TRY_FILE),
    "not_a_credential": (_("This is not a credential"), _TRY_FILE),
    "unsupported_file": (
        _("This kind of file cannot be checked"),
        _(
            "Give the credential file (JSON-LD) or the certificate PDF. For a photo of a QR "
            "code, use the photo field."
        ),
    ),
    "pdf_without_credential": (
        _("This PDF does not carry the credential"),
        _(
            "Only a certificate PDF with the signed credential inside can be checked; a "
            "printed or scanned certificate proves nothing by itself. Ask the learner for the "
            "link from the QR code, or for the credential file."
        ),
    ),
    "pdf_unreadable": (
        _("The PDF could not be read"),
        _("The file may be damaged. Ask the learner for it again, or for the link."),
    ),
    "pdf_too_large": (
        _("The PDF is too large"),
        _("It is larger than any certificate. Ask the learner for the credential file."),
    ),
    "too_large": (
        _("The file is too large"),
        _("It is larger than any credential this verifier checks."),
    ),
    "too_many_nodes": (
        _("The file is too large"),
        _("It is larger than any credential this verifier checks."),
    ),
    "too_deep": (_("This is not a credential"), _TRY_FILE),
    "invalid_input": (
        _("What was given is not text"),
        _("Copy the link or the credential again; something garbled it."),
    ),
    "qr_not_a_credential_link": (
        _("This QR code does not hold a link to a credential"),
        _("Take a photo of the QR code on the learner's certificate or credential page."),
    ),
    "no_qr_code": (
        _("No QR code was found in the photo"),
        _("Take the photo again, closer and in focus, with the whole QR code in the picture."),
    ),
    "not_an_image": (
        _("The photo could not be read"),
        _("Give a photo (JPEG or PNG) of the QR code."),
    ),
    "image_too_large": (
        _("The photo is too large"),
        _("Take it again at a lower resolution."),
    ),
    "busy": (
        _("The verifier is busy"),
        _("Try again in a moment."),
    ),
    "configuration_error": (
        _("The verifier cannot check credentials right now"),
        _("Its trust settings cannot be used. Tell the operator of this service."),
    ),
}
#: For a code not listed above (a page that does not exist, say).
INPUT_PROBLEM_DEFAULT = (
    _("This could not be checked"),
    _("Go back to the form and try again."),
)
