"""keys.keystore: sealed key files and plain Multikey files."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from keys import keystore
from keys.errors import InvalidKey, KeyDecryptionError, UnsupportedKeyType
from keys.keypairs import Algorithm, KeyPair
from keys.keystore import (
    PASSPHRASE_ENV,
    load_key_file,
    open_keypair,
    save_key_file,
    seal_keypair,
)
from keys.multikey import decode_multibase

PASSPHRASE = b"correct horse battery staple"
DEFAULT_SCRYPT_N = keystore._SCRYPT_N


@pytest.fixture(autouse=True)
def fast_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """Seal with a cheap scrypt cost; the cost is stored in the document, so opening follows."""
    monkeypatch.setattr(keystore, "_SCRYPT_N", 2**10)
    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)


@pytest.fixture(params=list(Algorithm), ids=str)
def keypair(request: pytest.FixtureRequest) -> KeyPair:
    return KeyPair.generate(
        request.param, id="did:web:example.com#k1", controller="did:web:example.com"
    )


def secrets_of(keypair: KeyPair) -> list[str]:
    """Every plain form of the secret key that must never be shown."""
    raw = decode_multibase(keypair.secret_key_multibase)[2:]
    assert keypair.private_key is not None
    plain_pem = keypair.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    body = "".join(plain_pem.splitlines()[1:-1])
    return [keypair.secret_key_multibase, raw.hex(), body[-40:]]


class TestSealOpen:
    def test_round_trip(self, keypair: KeyPair) -> None:
        sealed = seal_keypair(keypair, PASSPHRASE)
        opened = open_keypair(json.loads(json.dumps(sealed)), PASSPHRASE)
        assert opened == keypair
        assert opened.sign(b"x") == keypair.sign(b"x")

    def test_document_shape(self, keypair: KeyPair) -> None:
        sealed = seal_keypair(keypair, PASSPHRASE)
        assert sealed["type"] == "EncryptedMultikey"
        assert sealed["id"] == keypair.id
        assert sealed["controller"] == keypair.controller
        assert sealed["algorithm"] == keypair.algorithm.value
        assert sealed["publicKeyMultibase"] == keypair.public_key_multibase
        assert sealed["encryptedSecretKey"].startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
        assert sealed["kdf"]["name"] == "scrypt"

    def test_sealed_document_holds_no_secret(self, keypair: KeyPair) -> None:
        sealed = seal_keypair(keypair, PASSPHRASE)
        for text in (json.dumps(sealed), repr(sealed), str(sealed)):
            for secret in secrets_of(keypair):
                assert secret not in text
            assert PASSPHRASE.decode() not in text

    def test_salted(self, keypair: KeyPair) -> None:
        first, second = seal_keypair(keypair, PASSPHRASE), seal_keypair(keypair, PASSPHRASE)
        assert first["kdf"]["salt"] != second["kdf"]["salt"]
        assert first["encryptedSecretKey"] != second["encryptedSecretKey"]

    def test_wrong_passphrase(self, keypair: KeyPair) -> None:
        sealed = seal_keypair(keypair, PASSPHRASE)
        with pytest.raises(KeyDecryptionError):
            open_keypair(sealed, b"wrong")

    def test_default_cost(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(keystore, "_SCRYPT_N", DEFAULT_SCRYPT_N)
        keypair = KeyPair.generate(Algorithm.ED25519)
        sealed = seal_keypair(keypair, PASSPHRASE)
        assert sealed["kdf"]["n"] == DEFAULT_SCRYPT_N >= 2**15
        assert open_keypair(sealed, PASSPHRASE) == keypair

    def test_ids_omitted_when_none(self) -> None:
        sealed = seal_keypair(KeyPair.generate(Algorithm.ED25519), PASSPHRASE)
        assert "id" not in sealed
        assert "controller" not in sealed

    def test_public_only_cannot_be_sealed(self, keypair: KeyPair) -> None:
        with pytest.raises(InvalidKey):
            seal_keypair(keypair.public_only(), PASSPHRASE)

    def test_passphrase_must_be_non_empty_bytes(self, keypair: KeyPair) -> None:
        with pytest.raises(TypeError):
            seal_keypair(keypair, "text")  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            seal_keypair(keypair, b"")

    def test_public_key_must_match(self, keypair: KeyPair) -> None:
        sealed = seal_keypair(keypair, PASSPHRASE)
        sealed["publicKeyMultibase"] = KeyPair.generate(keypair.algorithm).public_key_multibase
        with pytest.raises(InvalidKey):
            open_keypair(sealed, PASSPHRASE)

    def test_damaged_ciphertext(self, keypair: KeyPair) -> None:
        sealed = seal_keypair(keypair, PASSPHRASE)
        lines = sealed["encryptedSecretKey"].splitlines()
        middle = lines[-2]
        lines[-2] = middle[:4] + ("A" if middle[4] != "A" else "B") + middle[5:]
        sealed["encryptedSecretKey"] = "\n".join(lines) + "\n"
        with pytest.raises(KeyDecryptionError):
            open_keypair(sealed, PASSPHRASE)

    @pytest.mark.parametrize(
        ("member", "value", "error"),
        [
            ("type", "Multikey", InvalidKey),
            ("algorithm", "secp256k1", UnsupportedKeyType),
            ("algorithm", ["Ed25519"], UnsupportedKeyType),
            ("publicKeyMultibase", None, InvalidKey),
            ("encryptedSecretKey", None, InvalidKey),
            ("kdf", {"name": "pbkdf2"}, InvalidKey),
            ("kdf", {"name": "scrypt", "salt": "AAAA", "n": 1024, "r": 8, "p": 1}, InvalidKey),
            ("kdf", {"name": "scrypt", "salt": "A" * 24, "n": 2**30, "r": 8, "p": 1}, InvalidKey),
            ("kdf", {"name": "scrypt", "salt": "A" * 24, "n": 1000, "r": 8, "p": 1}, InvalidKey),
            ("kdf", {"name": "scrypt", "salt": "A" * 24, "n": True, "r": 8, "p": 1}, InvalidKey),
            ("id", 5, InvalidKey),
        ],
    )
    def test_malformed_documents(self, member: str, value: Any, error: type[Exception]) -> None:
        sealed = seal_keypair(KeyPair.generate(Algorithm.ED25519), PASSPHRASE)
        sealed[member] = value
        with pytest.raises(error):
            open_keypair(sealed, PASSPHRASE)

    def test_algorithm_must_match_the_key(self) -> None:
        sealed = seal_keypair(KeyPair.generate(Algorithm.P256), PASSPHRASE)
        sealed["algorithm"] = "P-384"
        with pytest.raises(InvalidKey):
            open_keypair(sealed, PASSPHRASE)

    def test_pem_without_kdf_uses_the_passphrase(self, keypair: KeyPair) -> None:
        """A PEM sealed by OpenSSL with the passphrase itself opens too."""
        assert keypair.private_key is not None
        sealed = seal_keypair(keypair, PASSPHRASE)
        del sealed["kdf"]
        sealed["encryptedSecretKey"] = keypair.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(PASSPHRASE),
        ).decode()
        assert open_keypair(sealed, PASSPHRASE) == keypair

    def test_unencrypted_pem_is_refused(self, keypair: KeyPair) -> None:
        assert keypair.private_key is not None
        sealed = seal_keypair(keypair, PASSPHRASE)
        del sealed["kdf"]
        sealed["encryptedSecretKey"] = keypair.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        with pytest.raises(InvalidKey):
            open_keypair(sealed, PASSPHRASE)


class TestKeyFiles:
    def test_save_and_load(self, tmp_path: Path, keypair: KeyPair) -> None:
        path = tmp_path / "issuer.key.json"
        save_key_file(path, keypair, passphrase=PASSPHRASE)
        assert load_key_file(path, passphrase=PASSPHRASE) == keypair
        assert json.loads(path.read_text())["type"] == "EncryptedMultikey"

    def test_file_mode_is_0600(self, tmp_path: Path) -> None:
        path = tmp_path / "issuer.key.json"
        save_key_file(str(path), KeyPair.generate(Algorithm.ED25519), passphrase=PASSPHRASE)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600

    def test_replaces_a_readable_file_atomically(self, tmp_path: Path) -> None:
        path = tmp_path / "issuer.key.json"
        path.write_text("old")
        path.chmod(0o644)
        keypair = KeyPair.generate(Algorithm.P256)
        save_key_file(path, keypair, passphrase=PASSPHRASE)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert load_key_file(path, passphrase=PASSPHRASE) == keypair
        assert sorted(p.name for p in tmp_path.iterdir()) == ["issuer.key.json"]

    def test_file_holds_no_secret(self, tmp_path: Path, keypair: KeyPair) -> None:
        path = tmp_path / "k.json"
        save_key_file(path, keypair, passphrase=PASSPHRASE)
        text = path.read_text()
        for secret in secrets_of(keypair):
            assert secret not in text

    def test_unwritable_directory_leaves_nothing(self, tmp_path: Path) -> None:
        with pytest.raises(OSError):
            save_key_file(
                tmp_path / "missing" / "k.json",
                KeyPair.generate(Algorithm.ED25519),
                passphrase=PASSPHRASE,
            )

    def test_passphrase_from_environment(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        path = tmp_path / "k.json"
        keypair = KeyPair.generate(Algorithm.ED25519)
        save_key_file(path, keypair, passphrase=PASSPHRASE)
        monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE.decode())
        assert load_key_file(path) == keypair

    def test_argument_wins_over_environment(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        path = tmp_path / "k.json"
        save_key_file(path, KeyPair.generate(Algorithm.ED25519), passphrase=PASSPHRASE)
        monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE.decode())
        with pytest.raises(KeyDecryptionError):
            load_key_file(path, passphrase=b"wrong")

    @pytest.mark.parametrize("env", [None, ""])
    def test_no_passphrase(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: str | None
    ) -> None:
        path = tmp_path / "k.json"
        save_key_file(path, KeyPair.generate(Algorithm.ED25519), passphrase=PASSPHRASE)
        if env is not None:
            monkeypatch.setenv(PASSPHRASE_ENV, env)
        with pytest.raises(KeyDecryptionError) as caught:
            load_key_file(path)
        assert caught.value.code == "key_decryption_failed"

    def test_wrong_environment_passphrase(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        path = tmp_path / "k.json"
        save_key_file(path, KeyPair.generate(Algorithm.ED25519), passphrase=PASSPHRASE)
        monkeypatch.setenv(PASSPHRASE_ENV, "wrong")
        with pytest.raises(KeyDecryptionError):
            load_key_file(path)

    @pytest.mark.parametrize(
        "path",
        [
            "w3c/eddsa-rdfc-2022/keyPair.json",
            "w3c/ecdsa-rdfc-2019/p256KeyPair.json",
            "w3c/ecdsa-rdfc-2019/p384KeyPair.json",
            "w3c/ob3/key.json",
        ],
    )
    def test_plain_vector_files(self, reference: Path, path: str) -> None:
        keypair = load_key_file(reference / path)
        expected = json.loads((reference / path).read_text(encoding="utf-8"))
        assert keypair.has_secret
        assert keypair.public_key_multibase == expected["publicKeyMultibase"]

    def test_plain_public_file(self, tmp_path: Path) -> None:
        keypair = KeyPair.generate(Algorithm.P384, id="did:web:example.com#k")
        path = tmp_path / "public.json"
        path.write_text(json.dumps(keypair.to_multikey()))
        loaded = load_key_file(path)
        assert loaded == keypair.public_only()

    @pytest.mark.parametrize("content", [b"", b"{not json", b"[]", b'"key"', b"\xff\xfe\x00"])
    def test_unusable_files(self, tmp_path: Path, content: bytes) -> None:
        path = tmp_path / "k.json"
        path.write_bytes(content)
        with pytest.raises(InvalidKey):
            load_key_file(path)

    def test_missing_file(self, tmp_path: Path) -> None:
        with pytest.raises(InvalidKey):
            load_key_file(tmp_path / "absent.json")

    def test_directory(self, tmp_path: Path) -> None:
        with pytest.raises(InvalidKey):
            load_key_file(tmp_path)

    def test_errors_hold_no_passphrase(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        path = tmp_path / "k.json"
        save_key_file(path, KeyPair.generate(Algorithm.ED25519), passphrase=PASSPHRASE)
        monkeypatch.setenv(PASSPHRASE_ENV, "not-the-passphrase-xyz")
        with pytest.raises(KeyDecryptionError) as caught:
            load_key_file(path)
        assert "not-the-passphrase-xyz" not in str(caught.value)
        assert PASSPHRASE.decode() not in str(caught.value)


def test_passphrase_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    assert keystore.passphrase_from_env() is None
    monkeypatch.setenv(PASSPHRASE_ENV, "pässphrase")
    assert keystore.passphrase_from_env() == "pässphrase".encode()
