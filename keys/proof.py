"""Data Integrity proofs (W3C vc-data-integrity): create, add to a proof set, verify one.

The algorithm is the same for every RDFC cryptosuite: the proof configuration (the proof
without ``proofValue``, carrying the document's ``@context``) and the unsecured document are
canonicalized and hashed separately, and the signature covers ``hash(config) || hash(document)``.
A proof naming ``previousProof`` (a proof chain) also signs the proofs it names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from keys.cryptosuites import Cryptosuite, get_cryptosuite
from keys.cryptosuites.ecdsa_rdfc_2019 import NAME as ECDSA_RDFC_2019
from keys.cryptosuites.eddsa_rdfc_2022 import NAME as EDDSA_RDFC_2022
from keys.errors import (
    InvalidKey,
    KeyNotAuthorized,
    MalformedProof,
    MalformedProofValue,
    PreviousProofMissing,
    UnsupportedProofType,
)
from keys.keypairs import Algorithm, KeyPair
from keys.lifecycle import check_lifecycle
from keys.multikey import decode_multibase, encode_multibase
from keys.purposes import AssertionProofPurpose, ProofPurpose
from keys.resolver import DidResolver
from schemas.jsonld import PreparedDocument
from schemas.loader import StaticDocumentLoader, document_loader

PROOF_TYPE = "DataIntegrityProof"
SIGNATURE_LENGTHS = {Algorithm.ED25519: 64, Algorithm.P256: 64, Algorithm.P384: 96}
SUITE_FOR_ALGORITHM = {
    Algorithm.ED25519: EDDSA_RDFC_2022,
    Algorithm.P256: ECDSA_RDFC_2019,
    Algorithm.P384: ECDSA_RDFC_2019,
}


def format_datetime(moment: datetime) -> str:
    """``moment`` as an XML Schema dateTimeStamp in UTC to the second (``2024-01-31T12:00:00Z``)."""
    if moment.tzinfo is None:
        raise ValueError("a proof timestamp needs a timezone")
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def proofs_of(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The document's proofs as a list (``proof`` may be absent, one object, or a list)."""
    proof = document.get("proof")
    if proof is None:
        return []
    proofs = proof if isinstance(proof, list) else [proof]
    for item in proofs:
        if not isinstance(item, dict):
            raise MalformedProof("every proof must be a JSON object")
    return list(proofs)


def unsecured(document: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``document`` without its ``proof``."""
    return {key: value for key, value in document.items() if key != "proof"}


def _previous_proof_ids(proof: Mapping[str, Any]) -> list[str]:
    previous = proof.get("previousProof")
    if previous is None:
        return []
    ids = [previous] if isinstance(previous, str) else previous
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise MalformedProof("previousProof must be a proof id or a non-empty list of them")
    return list(ids)


def document_to_sign(
    document: Mapping[str, Any], proof: Mapping[str, Any], existing: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The document a proof covers: the unsecured document, plus — for a proof chain — the
    earlier proofs its ``previousProof`` names, whole. ``PreviousProofMissing`` if one is absent."""
    base = unsecured(document)
    wanted = _previous_proof_ids(proof)
    if not wanted:
        return base
    matching = [p for p in existing if p.get("id") in wanted]
    found = {p.get("id") for p in matching}
    missing = [i for i in wanted if i not in found]
    if missing:
        raise PreviousProofMissing(f"previousProof names no proof in the document: {missing}")
    base["proof"] = [dict(p) for p in matching]
    return base


@dataclass(frozen=True)
class VerifyData:
    """Every intermediate value of the hashing step, so tests can name the stage that diverged."""

    canonical_document: str
    canonical_proof_configuration: str
    proof_hash: bytes
    document_hash: bytes

    @property
    def combined(self) -> bytes:
        """What is signed: ``proof_hash || document_hash``."""
        return self.proof_hash + self.document_hash


def proof_configuration(document: Mapping[str, Any], proof: Mapping[str, Any]) -> dict[str, Any]:
    """The proof options without ``proofValue``, with the document's ``@context`` (spec §
    "Proof Configuration"). A proof that carries its own ``@context`` must be a prefix of the
    document's; ``MalformedProof`` otherwise."""
    config = {key: value for key, value in proof.items() if key != "proofValue"}
    document_context = document.get("@context")
    if "@context" in proof:
        own = proof["@context"]
        own_list = own if isinstance(own, list) else [own]
        doc_list = document_context if isinstance(document_context, list) else [document_context]
        if doc_list[: len(own_list)] != own_list:
            raise MalformedProof("the proof's @context does not start the document's @context")
    config["@context"] = document_context
    return config


def create_verify_data(
    document: Mapping[str, Any],
    proof_config: Mapping[str, Any],
    suite: Cryptosuite,
    algorithm: Algorithm,
    *,
    loader: StaticDocumentLoader | None = None,
    canonical_document: str | None = None,
    document_hash: bytes | None = None,
) -> VerifyData:
    """Canonicalize and hash the proof configuration and the (unsecured) document.

    ``canonical_document`` may be passed when several proofs cover the same document, so it is
    canonicalized once per proof set; ``document_hash``, with it, is its digest (as
    :meth:`Cryptosuite.digest` makes it), so it is hashed once too.
    """
    canonical_config = suite.canonize(proof_config, algorithm=algorithm, loader=loader)
    if canonical_document is None:
        canonical_document = suite.canonize(document, algorithm=algorithm, loader=loader)
        document_hash = None
    return VerifyData(
        canonical_document=canonical_document,
        canonical_proof_configuration=canonical_config,
        proof_hash=suite.digest(canonical_config, algorithm=algorithm),
        document_hash=document_hash or suite.digest(canonical_document, algorithm=algorithm),
    )


def create_proof(
    document: Mapping[str, Any],
    keypair: KeyPair,
    *,
    prepared: PreparedDocument | None = None,
    cryptosuite: str | None = None,
    verification_method: str | None = None,
    created: datetime | str | None = None,
    proof_purpose: str = "assertionMethod",
    proof_id: str | None = None,
    previous_proof: str | Sequence[str] | None = None,
    challenge: str | None = None,
    domain: str | None = None,
    loader: StaticDocumentLoader | None = None,
) -> dict[str, Any]:
    """Sign ``document`` with ``keypair`` and return the new proof (the document is unchanged).

    The suite defaults to the key's (Ed25519 → eddsa-rdfc-2022, P-256/P-384 → ecdsa-rdfc-2019);
    ``verification_method`` defaults to the key's id; ``created`` to now. Existing proofs are
    not signed over unless ``previous_proof`` names them (a proof chain). ``challenge`` and
    ``domain`` (a presentation's proof, ``proof_purpose="authentication"``) are signed with it.
    ``prepared`` (a :class:`~schemas.jsonld.PreparedDocument` of this very ``document``, over
    the same loader) lends its canonical form of the unsecured document, so a proof set
    canonicalizes it once.
    """
    if not keypair.has_secret:
        raise InvalidKey("signing needs a secret key")
    suite = get_cryptosuite(cryptosuite or SUITE_FOR_ALGORITHM[keypair.algorithm])
    suite.hash_name(keypair.algorithm)  # refuses a key the suite does not take
    method = verification_method or keypair.id
    if not method:
        raise InvalidKey("the key has no id; pass verification_method")
    if created is None:
        created = datetime.now(UTC)
    options: dict[str, Any] = {"type": PROOF_TYPE}
    if proof_id is not None:
        options["id"] = proof_id
    options["cryptosuite"] = suite.name
    options["created"] = created if isinstance(created, str) else format_datetime(created)
    options["verificationMethod"] = method
    options["proofPurpose"] = proof_purpose
    if previous_proof is not None:
        options["previousProof"] = (
            previous_proof if isinstance(previous_proof, str) else list(previous_proof)
        )
    if challenge is not None:
        options["challenge"] = challenge
    if domain is not None:
        options["domain"] = domain
    signed_document = document_to_sign(document, options, proofs_of(document))
    canonical_document = document_hash = None
    if _prepared_for(prepared, document, loader) and previous_proof is None:
        assert prepared is not None
        hash_name = suite.hash_name(keypair.algorithm)
        canonical_document = prepared.canonical_unsecured(hash_name)
        document_hash = prepared.unsecured_digest(hash_name)
    data = create_verify_data(
        signed_document,
        proof_configuration(signed_document, options),
        suite,
        keypair.algorithm,
        loader=loader,
        canonical_document=canonical_document,
        document_hash=document_hash,
    )
    return {**options, "proofValue": encode_multibase(keypair.sign(data.combined))}


def add_proof(document: Mapping[str, Any], keypair: KeyPair, **options: Any) -> dict[str, Any]:
    """A new top-level object: ``document``'s members and one more proof; earlier proofs are
    kept (a proof set). ``document`` is left as it was; its nested values are shared, not
    copied (copying a credential with an embedded image cost more than signing it): copy the
    result before changing anything inside it.

    ``options`` are those of ``create_proof``.
    """
    new_proof = create_proof(document, keypair, **options)
    result = dict(document)
    existing = proofs_of(document)
    result["proof"] = [*existing, new_proof] if existing else new_proof
    return result


def add_proofs(
    document: Mapping[str, Any], keypairs: Sequence[KeyPair], **options: Any
) -> dict[str, Any]:
    """A new top-level object (nested values shared, as :func:`add_proof`): ``document``'s
    members with one more proof per key pair, in order: a proof set, the same
    bytes as calling :func:`add_proof` once per key pair, but the document is canonicalized once
    whatever the number of proofs. ``options`` are those of :func:`create_proof` (the same for
    every proof; ``prepared`` of ``document`` may be given, from the check before signing)."""
    if options.get("previous_proof") is not None or options.get("proof_id") is not None:
        raise ValueError("add_proofs makes a proof set: no proof ids or chains")
    prepared = options.pop("prepared", None)
    if not _prepared_for(prepared, document, options.get("loader")):
        prepared = PreparedDocument(document, loader=options.get("loader"))
    new = [create_proof(document, keypair, prepared=prepared, **options) for keypair in keypairs]
    result = dict(document)
    proofs = [*proofs_of(document), *new]
    if proofs:
        result["proof"] = proofs if len(proofs) > 1 else proofs[0]
    return result


def _prepared_for(
    prepared: PreparedDocument | None,
    document: Mapping[str, Any],
    loader: StaticDocumentLoader | None,
) -> bool:
    """True when ``prepared`` describes ``document`` (the same object) over ``loader``."""
    return (
        prepared is not None
        and prepared.document is document
        and prepared.loader is (loader or document_loader)
    )


@dataclass(frozen=True)
class VerifiedProof:
    """A proof that verified, and the key and controller that made it."""

    proof: Mapping[str, Any]
    method_id: str
    controller: str
    cryptosuite: str


def decode_proof_value(proof: Mapping[str, Any], algorithm: Algorithm | None) -> bytes:
    """The signature bytes of ``proofValue``; ``MalformedProofValue`` unless it is base58btc
    multibase (of the algorithm's signature length, when ``algorithm`` is given)."""
    value = proof.get("proofValue")
    if not isinstance(value, str) or not value.startswith("z"):
        raise MalformedProofValue("proofValue must be a base58btc multibase string ('z…')")
    try:
        signature = decode_multibase(value)
    except InvalidKey:
        raise MalformedProofValue("proofValue is not valid base58btc") from None
    if algorithm is not None:
        check_signature_length(signature, algorithm)
    return signature


def check_signature_length(signature: bytes, algorithm: Algorithm) -> None:
    """``MalformedProofValue`` unless ``signature`` has the length of ``algorithm``'s."""
    if len(signature) != SIGNATURE_LENGTHS[algorithm]:
        raise MalformedProofValue(
            f"proofValue decodes to {len(signature)} bytes; {algorithm} signatures have "
            f"{SIGNATURE_LENGTHS[algorithm]}"
        )


def _check_members(proof: Mapping[str, Any]) -> None:
    if proof.get("type") != PROOF_TYPE:
        raise UnsupportedProofType(f"proof type {proof.get('type')!r} is not {PROOF_TYPE}")
    for member in ("verificationMethod", "proofPurpose", "proofValue"):
        if not isinstance(proof.get(member), str) or not proof[member]:
            raise MalformedProof(f"proof has no {member}")


def verify_proof(
    document: Mapping[str, Any],
    proof: Mapping[str, Any],
    *,
    resolver: DidResolver,
    purpose: ProofPurpose | None = None,
    loader: StaticDocumentLoader | None = None,
    now: datetime | None = None,
    canonical_documents: dict[tuple[str, ...], str] | None = None,
    prepared: PreparedDocument | None = None,
) -> VerifiedProof:
    """Verify one proof of ``document``; return who made it, or raise a ``KeysError``.

    Checks, cheapest first: the proof type and cryptosuite are known, its members are present,
    ``proofValue`` is well-formed, the purpose and timestamps fit (``purpose`` defaults to
    assertionMethod with no controller restriction), the verification method resolves, its
    lifecycle allows the proof (:func:`keys.lifecycle.check_lifecycle`: a ``revoked`` key fails
    with ``key_revoked``, a proof not created before a retired key's ``expires`` with
    ``key_expired``), its controller authorizes it for the purpose, the key suits the
    cryptosuite, and the signature verifies. Canonicalization errors from ``schemas`` (unknown
    context, undefined term) pass through. ``canonical_documents`` is a cache shared by the
    proofs of one document; ``prepared`` (a :class:`~schemas.jsonld.PreparedDocument` of this
    very ``document``) gives the canonical form of the unsecured document.
    """
    now = now or datetime.now(UTC)
    purpose = purpose or AssertionProofPurpose()
    _check_members(proof)
    suite = get_cryptosuite(proof.get("cryptosuite"))
    signature = decode_proof_value(proof, None)
    purpose.check_proof(proof, now=now)
    method_id = proof["verificationMethod"]
    method, controller_document = resolver.resolve_verification_method(method_id)
    # Before the controller check: a compromised key is in no relationship, and the verifier
    # should say it was revoked, not merely "not authorised".
    check_lifecycle(method, proof)
    purpose.check_controller(method, controller_document)
    keypair = resolver.keypair_for_method(method)
    if keypair.algorithm not in suite.algorithms:
        raise KeyNotAuthorized(f"{suite.name} cannot be verified with a {keypair.algorithm} key")
    check_signature_length(signature, keypair.algorithm)

    signed_document = document_to_sign(document, proof, proofs_of(document))
    cache_key = (suite.hash_name(keypair.algorithm), *_previous_proof_ids(proof))
    cached = canonical_documents.get(cache_key) if canonical_documents is not None else None
    document_hash = None
    if _prepared_for(prepared, document, loader) and len(cache_key) == 1:
        # no previousProof: the proof signs the unsecured document
        assert prepared is not None
        cached = prepared.canonical_unsecured(cache_key[0])
        document_hash = prepared.unsecured_digest(cache_key[0])
    data = create_verify_data(
        signed_document,
        proof_configuration(signed_document, proof),
        suite,
        keypair.algorithm,
        loader=loader,
        canonical_document=cached,
        document_hash=document_hash,
    )
    if canonical_documents is not None:
        canonical_documents[cache_key] = data.canonical_document
    keypair.verify(signature, data.combined)
    return VerifiedProof(
        proof=proof,
        method_id=str(method.get("id", method_id)),
        controller=str(controller_document.get("id")),
        cryptosuite=suite.name,
    )
