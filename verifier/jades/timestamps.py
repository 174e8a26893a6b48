"""The RFC 3161 time-stamp tokens of a seal (``adoTst``, ``sigTst``, ``arcTst``, ...): each
token's CMS signature with the TSA certificate it carries, and its message imprint against the
data JAdES says it covers (TS 119 182-1, as the EU's DSS library reads it):

- ``adoTst`` (§5.2.8.3, no ``sigD``): the JWS Payload as signed — the raw payload bytes when
  ``b64`` is false, the base64url payload otherwise;
- ``sigTst`` (§5.3.4): the base64url-encoded JWS Signature Value (ASCII);
- ``arcTst`` (§5.3.6.3.1.1, base64url ``etsiU``): payload (as for ``adoTst``) ``"."``
  base64url protected header ``"."`` base64url signature ``"."`` then every ``etsiU`` element
  that precedes the ``arcTst``, as the base64url strings they are, with no separator.

Any other kind (``sigRTst``, ``rfsTst``, or an ``arcTst`` in an ``etsiU`` of clear JSON) is
reported with ``imprint_ok: None`` ("unverified"). Whether a TSA is trusted is the chain's
business (:mod:`verifier.jades.chain`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from asn1crypto import cms, tsp
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from verifier.jades.encoding import HASHES, READ_ERRORS, b64_decode, der, load_certificate
from verifier.jades.errors import MALFORMED, TIMESTAMP_INVALID, Failure
from verifier.jades.serialization import EtsiU

_DER_ENCODING = "http://uri.etsi.org/19182/Encoding/DER"


class SigTst(NamedTuple):
    """A ``sigTst`` token as checked: its report entry (later given ``tsa_chain_trusted``), its
    TSA certificate (DER, None when not found) and every certificate the token carries (DER)."""

    entry: dict[str, Any]
    tsa_der: bytes | None
    certs: list[bytes]


class Timestamps:
    """The time-stamp tokens of one signature (number ``index``), as they are checked: every
    token's report entry in ``entries``, the ``sigTst`` ones also in ``sig_tsts``. Entries are
    kept even when a later token stops the check."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.entries: list[dict[str, Any]] = []
        self.sig_tsts: list[SigTst] = []

    def check(
        self,
        protected: Mapping[str, Any],
        protected_b64: str,
        signature_b64: str,
        signed_data: bytes,
        etsi_u: list[EtsiU],
    ) -> None:
        """Check every token of the signature: ``adoTst`` in ``protected``, the ``*Tst`` of
        ``etsi_u``; ``signed_data`` is the JWS Payload as signed (see the module notes). A
        token whose imprint or signature is wrong raises ``TIMESTAMP_INVALID``; a token
        container that is not as it should be, ``MALFORMED``."""
        if "adoTst" in protected:
            self._tokens("adoTst", protected["adoTst"], signed_data)
        for position, (name, value, encoded) in enumerate(etsi_u):
            if name == "sigTst":
                self._tokens(name, value, signature_b64.encode("ascii"))
            elif name == "arcTst":
                data: bytes | None = None
                earlier = [e for _, _, e in etsi_u[:position]]
                if encoded is not None and all(e is not None for e in earlier):
                    data = b".".join(
                        (signed_data, protected_b64.encode(), signature_b64.encode(), b"")
                    ) + "".join(e for e in earlier if e is not None).encode("ascii")
                self._tokens(name, value, data)
            elif name.endswith("Tst"):
                self._tokens(name, value, None)
        problems = [
            t for t in self.entries if t["imprint_ok"] is False or t["signature_ok"] is False
        ]
        if problems:
            bad = problems[0]
            raise Failure(TIMESTAMP_INVALID, f"The {bad['kind']} time-stamp: {bad['problem']}")

    def _tokens(self, kind: str, container: Any, data: bytes | None) -> None:
        if not isinstance(container, Mapping) or not isinstance(container.get("tstTokens"), list):
            raise Failure(MALFORMED, f"{kind!r} has no 'tstTokens' array.")
        if not container["tstTokens"]:
            raise Failure(MALFORMED, f"{kind!r} has an empty 'tstTokens' array.")
        for token in container["tstTokens"]:
            checked, tsa_der, certs = check_token(kind, token, data)
            entry = {"signature": self.index, **checked}
            self.entries.append(entry)
            if kind == "sigTst":
                self.sig_tsts.append(SigTst(entry, tsa_der, certs))


def check_token(
    kind: str, token: Any, data: bytes | None
) -> tuple[dict[str, Any], bytes | None, list[bytes]]:
    """One RFC 3161 token: its time, whether its imprint covers ``data`` (None: unverified),
    whether its CMS signature verifies with the TSA certificate it carries; and that TSA
    certificate and every certificate in the token (DER), for validating the TSA's chain."""
    entry: dict[str, Any] = {
        "kind": kind,
        "time": None,
        "imprint_ok": None,
        "signature_ok": None,
        "tsa": None,
    }
    if not isinstance(token, Mapping) or not isinstance(token.get("val"), str):
        raise Failure(MALFORMED, f"A {kind!r} token has no 'val'.")
    if token.get("encoding", _DER_ENCODING) != _DER_ENCODING:
        entry["note"] = f"token encoding {token.get('encoding')!r} is not supported (unverified)"
        return entry, None, []
    try:
        token_der = b64_decode(token["val"])
        content = cms.ContentInfo.load(token_der, strict=True)
        if content["content_type"].native != "signed_data":
            raise ValueError("not CMS SignedData")
        signed_data = content["content"]
        encapsulated = signed_data["encap_content_info"]
        if encapsulated["content_type"].native != "tst_info":
            raise ValueError("not a TSTInfo")
        tst_der = encapsulated["content"].contents
        tst_info = tsp.TSTInfo.load(tst_der, strict=True)
        entry["time"] = tst_info["gen_time"].native
        imprint = tst_info["message_imprint"]
        imprint_alg = imprint["hash_algorithm"]["algorithm"].native
        hashed = imprint["hashed_message"].native
    except READ_ERRORS as exc:
        entry["imprint_ok"] = False
        entry["signature_ok"] = False
        entry["problem"] = f"the token cannot be read ({exc})"
        return entry, None, []

    entry["signature_ok"], tsa, note = _token_signature(signed_data, tst_der)
    entry["tsa"] = tsa.subject.rfc4514_string() if tsa else None
    if data is not None and imprint_alg in HASHES:
        digest = hashes.Hash(HASHES[imprint_alg]())
        digest.update(data)
        entry["imprint_ok"] = digest.finalize() == hashed
        if not entry["imprint_ok"]:
            note = "its message imprint does not match the data it covers"
    elif data is None:
        note = note or "the message imprint of this kind is not checked (unverified)"
    else:
        note = note or f"imprint hash {imprint_alg!r} is not supported (unverified)"
    if note:
        failed = entry["imprint_ok"] is False or entry["signature_ok"] is False
        entry["problem" if failed else "note"] = note
    certs = [c.chosen.dump() for c in signed_data["certificates"] or [] if c.name == "certificate"]
    return entry, der(tsa) if tsa else None, certs


def _token_signature(
    signed_data: cms.SignedData, tst_der: bytes
) -> tuple[bool | None, x509.Certificate | None, str | None]:
    """``(signature_ok, TSA certificate, problem)`` for a token's CMS signature."""
    try:
        infos = signed_data["signer_infos"]
        if len(infos) != 1:
            return False, None, "a time-stamp token has exactly one signer"
        info = infos[0]
        digest_name = info["digest_algorithm"]["algorithm"].native
        if digest_name not in HASHES:
            return None, None, f"token digest {digest_name!r} is not supported (unverified)"
        digest_cls = HASHES[digest_name]
        attrs = {a["type"].native: a["values"] for a in info["signed_attrs"]}
        if "message_digest" not in attrs or attrs.get("content_type") is None:
            return False, None, "the token lacks signed content-type or message-digest attributes"
        if attrs["content_type"][0].native != "tst_info":
            return False, None, "the token's signed content type is not TSTInfo"
        expected = hashes.Hash(digest_cls())
        expected.update(tst_der)
        if attrs["message_digest"][0].native != expected.finalize():
            return False, None, "the token's content was changed (message digest mismatch)"
        certificate = _tsa_certificate(signed_data, info)
        if certificate is None:
            return None, None, "the TSA certificate is not in the token (signature unverified)"
        key = certificate.public_key()
        to_sign = info["signed_attrs"].untag().dump()
        signature = info["signature"].native
        algorithm = info["signature_algorithm"]
        algo = algorithm.signature_algo
        if algo == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, to_sign, padding.PKCS1v15(), _hash_of(algorithm, digest_cls)())
        elif algo == "rsassa_pss" and isinstance(key, rsa.RSAPublicKey):
            params = algorithm["parameters"]
            pss_hash = HASHES[params["hash_algorithm"]["algorithm"].native]()
            key.verify(
                signature,
                to_sign,
                padding.PSS(mgf=padding.MGF1(pss_hash), salt_length=params["salt_length"].native),
                pss_hash,
            )
        elif algo == "ecdsa" and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, to_sign, ec.ECDSA(_hash_of(algorithm, digest_cls)()))
        else:
            problem = f"token signature algorithm {algo!r} is not supported (unverified)"
            return None, certificate, problem
    except InvalidSignature:
        return False, None, "the TSA's signature on the token does not verify"
    except (*READ_ERRORS, UnsupportedAlgorithm) as exc:
        return False, None, f"the token's signature cannot be checked ({exc})"
    return True, certificate, None


def _hash_of(
    algorithm: cms.SignedDigestAlgorithm, fallback: type[hashes.HashAlgorithm]
) -> type[hashes.HashAlgorithm]:
    try:
        name = algorithm.hash_algo
    except ValueError:
        return fallback
    if name not in HASHES:
        raise ValueError(f"hash {name!r} is not supported")
    return HASHES[name]


def _tsa_certificate(signed_data: cms.SignedData, info: cms.SignerInfo) -> x509.Certificate | None:
    sid = info["sid"]
    for choice in signed_data["certificates"] or []:
        if choice.name != "certificate":
            continue
        candidate = choice.chosen
        if sid.name == "issuer_and_serial_number":
            wanted = sid.chosen
            if (
                candidate.issuer == wanted["issuer"]
                and candidate.serial_number == wanted["serial_number"].native
            ):
                return load_certificate(candidate.dump())
        elif candidate.key_identifier == sid.chosen.native:
            return load_certificate(candidate.dump())
    return None
