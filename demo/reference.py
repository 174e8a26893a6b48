"""The demo partnership: two universities and an employer awarding one micro-credential.

Used by ``make run``, the benchmarks and the tests as the project's reference micro-credential:
every Annex I element, three learning outcomes. Run as ``python -m demo.reference OUT_DIR`` to write
demo keys (encrypted at rest) and one signed demo credential.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from keys.did_key import did_key_for, verification_method_id_for
from keys.keypairs import Algorithm, KeyPair
from keys.keystore import PASSPHRASE_ENV, load_key_file, save_key_file
from keys.proof import add_proof
from schemas.elm.build import (
    Award,
    Learner,
    LearningOutcome,
    Organisation,
    QualityAssurance,
    Specification,
    build_microcredential,
)

DEMO_PASSPHRASE = "demo-passphrase-change-me"
ISSUED = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)

ACCREDITATION_AGENCY = Organisation(
    id="did:web:agency.example",
    legal_name="Danish Accreditation Institution",
    country="DNK",
    country_label="Denmark",
)


def demo_organisation(did: str, name: str, country: str, label: str) -> Organisation:
    """A demo partner organisation identified by ``did``."""
    return Organisation(id=did, legal_name=name, country=country, country_label=label)


def demo_specification(outcomes: int = 3) -> Specification:
    """The demo micro-credential specification with ``outcomes`` learning outcomes."""
    skills = [
        (
            "http://data.europa.eu/esco/skill/ccdf3597-5c80-410f-896d-e1bdfa223de9",
            "stimulate creativity in the team",
        ),
        (
            "http://data.europa.eu/esco/skill/5fd5c985-eaaa-47aa-8314-62359c54505a",
            "develop digital content",
        ),
        (
            "http://data.europa.eu/esco/skill/80f308e6-0e09-404a-80cd-ec5f50f6f304",
            "communicate with target community",
        ),
    ]
    return Specification(
        id="urn:microcred:spec:green-data-analytics",
        title={"en": "Green Data Analytics", "da": "Grøn dataanalyse"},
        description="Analysing energy and emissions data to support sustainable decisions.",
        learning_outcomes=[
            LearningOutcome(
                title=f"Outcome {n}: apply data analysis to sustainability question {n}",
                esco_skills=[skills[(n - 1) % len(skills)]],
            )
            for n in range(1, outcomes + 1)
        ],
        ects=Decimal("5"),
        volume_of_learning="PT125H",
        eqf_level=6,
        isced_field="0688",
        isced_label="Inter-disciplinary programmes involving ICTs",
        assessment_type="Written project report with oral defence",
        participation_mode="blended",
        quality_assurance=QualityAssurance(
            title="Institutional accreditation",
            type_iri="urn:microcred:concept:accreditation:institutional",
            type_label="Institutional accreditation",
            agent=ACCREDITATION_AGENCY,
        ),
        prerequisites="Basic statistics (EQF 5 or equivalent).",
        language="ENG",
    )


def demo_award(
    issuer: Organisation,
    awarding_bodies: list[Organisation],
    *,
    number: int = 1,
    outcomes: int = 3,
) -> Award:
    """An award of the demo specification to demo learner ``number``."""
    return Award(
        credential_id=f"urn:uuid:00000000-0000-4000-8000-{number:012d}",
        specification=demo_specification(outcomes),
        learner=Learner(
            given_name="Ana",
            family_name=f"Andersen {number}",
            id=f"urn:microcred:learner:{number}",
            email=f"learner{number}@example.org",
        ),
        issuer=issuer,
        awarding_bodies=awarding_bodies,
        issued=ISSUED,
        grade="Pass with distinction",
    )


def reference_keypair(seed: int = 1) -> KeyPair:
    """A deterministic Ed25519 key pair, identified by its did:key (for benchmarks and tests)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private = Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32)
    keypair = KeyPair(Algorithm.ED25519, private.public_key(), private)
    return keypair.with_ids(verification_method_id_for(keypair), did_key_for(keypair))


def reference_credential(keypair: KeyPair | None = None, *, outcomes: int = 3) -> dict:
    """The unsigned reference micro-credential, issued and awarded by ``keypair``'s DID."""
    keypair = keypair or reference_keypair()
    university = demo_organisation(
        str(keypair.controller), "Aarhus Demo University", "DNK", "Denmark"
    )
    return build_microcredential(demo_award(university, [university], outcomes=outcomes))


def main(out_dir: str) -> None:
    """Write demo keys (encrypted with $MICROCRED_KEY_PASSPHRASE, else the demo passphrase) and
    a signed demo credential into ``out_dir``; print the credential's path."""
    target = Path(out_dir)
    target.mkdir(parents=True, exist_ok=True)
    passphrase = os.environ.get(PASSPHRASE_ENV, DEMO_PASSPHRASE).encode()
    key_path = target / "demo-university.key.json"
    if key_path.exists():
        keypair = load_key_file(key_path, passphrase=passphrase)
    else:
        keypair = KeyPair.generate(Algorithm.ED25519)
        keypair = keypair.with_ids(verification_method_id_for(keypair), did_key_for(keypair))
        save_key_file(key_path, keypair, passphrase=passphrase)
    credential = add_proof(reference_credential(keypair), keypair)
    credential_path = target / "demo-credential.json"
    credential_path.write_text(json.dumps(credential, indent=2, ensure_ascii=False) + "\n")
    print(f"demo key: {key_path}")
    print(f"demo credential: {credential_path}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "instance")
