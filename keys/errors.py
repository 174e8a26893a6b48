"""Errors raised by the keys package.

Every error carries a stable ``code`` (snake_case) that callers turn into JSON or a report line;
the message is for people and may change. Verification code catches these and reports them;
it never lets them escape as tracebacks.
"""

from __future__ import annotations


class KeysError(Exception):
    """Base of every error in ``keys``; ``code`` is stable, the message is for people."""

    code = "keys_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        """The human-readable message."""
        return str(self.args[0]) if self.args else self.code


class InvalidKey(KeysError):
    """A key's bytes, multibase or multicodec header cannot be used."""

    code = "invalid_key"


class UnsupportedKeyType(KeysError):
    """A key of an algorithm or curve this project does not handle."""

    code = "unsupported_key_type"


class KeyDecryptionError(KeysError):
    """An encrypted secret key could not be opened (wrong or missing passphrase)."""

    code = "key_decryption_failed"


class InvalidDid(KeysError):
    """A DID or DID URL that is malformed or of an unsupported method."""

    code = "invalid_did"


class DidResolutionError(KeysError):
    """A DID could not be resolved (did:web document unreachable, wrong id, no such key)."""

    code = "did_unresolved"


class UnsupportedCryptosuite(KeysError):
    """A proof names a cryptosuite this project does not implement."""

    code = "unsupported_cryptosuite"


class UnsupportedProofType(KeysError):
    """A proof of a type other than ``DataIntegrityProof``."""

    code = "unsupported_proof_type"


class MalformedProof(KeysError):
    """A proof that lacks a required member or whose members have the wrong shape."""

    code = "malformed_proof"


class MalformedProofValue(KeysError):
    """A ``proofValue`` that is not base58btc multibase or has the wrong length."""

    code = "malformed_proof_value"


class InvalidSignature(KeysError):
    """The signature does not verify over the canonical document and proof configuration."""

    code = "invalid_signature"


class KeyNotAuthorized(KeysError):
    """The verification method is not the issuer's, or is not listed for the proof's purpose."""

    code = "key_not_authorized"


class ProofPurposeMismatch(KeysError):
    """The proof's ``proofPurpose`` is not the one the verifier expects."""

    code = "proof_purpose_mismatch"


class ProofCreatedInFuture(KeysError):
    """The proof's ``created`` lies in the future (beyond the allowed clock skew)."""

    code = "proof_created_in_future"


class ProofExpired(KeysError):
    """The proof's ``expires`` lies in the past."""

    code = "proof_expired"


class ProofChallengeMismatch(KeysError):
    """A presentation's proof has no ``challenge``, or not the one the verifier asked for."""

    code = "challenge_mismatch"


class ProofDomainMismatch(KeysError):
    """A presentation's proof has no ``domain``, or not the one the verifier expects."""

    code = "domain_mismatch"


class PreviousProofMissing(KeysError):
    """A ``previousProof`` names a proof id that is not in the document."""

    code = "previous_proof_missing"


class KeyExpired(KeysError):
    """The proof was made with a key its controller retired (``expires``) at or before the
    proof's ``created`` time, or ``created`` is missing or unreadable."""

    code = "key_expired"


class KeyRevoked(KeysError):
    """The proof was made with a key its controller withdrew as compromised (``revoked``)."""

    code = "key_revoked"
