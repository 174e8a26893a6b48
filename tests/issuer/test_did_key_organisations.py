"""did:key organisations (issue 13) and P-384 issuing keys.

An organisation may be identified by a did:key instead of a did:web: its DID is its one signing
key (Ed25519, P-256 or P-384), credentials and its status lists are signed by
``did:key:z…#z…``, nothing serves a DID document for it, and its key can never be rotated. A
did:web organisation may hold a P-384 key (ecdsa-rdfc-2019 with SHA-384). Proofs are checked at
the keys level (``keys.proof_set``): this package never imports the verifier; the full verifier
round trip is ``tests/integration/test_did_key_issuers.py``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from alembic import command
from alembic.config import Config
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import inspect, select
from sqlalchemy.orm import sessionmaker

from cli.main import main
from demo.partnership import DEMO_SPECIFICATION, Demo
from issuer.auth.tokens import create_token
from issuer.bulk.jobs import create_job
from issuer.bulk.runner import work_on_job as run_job
from issuer.db import MIGRATIONS, make_engine, transaction, upgrade
from issuer.errors import Conflict
from issuer.models import (
    DidMethod,
    IssuedCredential,
    KeyState,
    Organisation,
    Partnership,
    Role,
    Specification,
)
from issuer.partnerships.keyring import compromise_key, find_key, rotate_key
from issuer.partnerships.services import add_organisation, get_organisation, signing_keypair
from keys.keypairs import Algorithm
from keys.proof_set import verify_proofs
from keys.resolver import DidResolver

from .conftest import BASE_URL, PASSPHRASE

PARTNERSHIP = "green-skills-alliance"
AARHUS = "aarhus-demo-university"
SPEC = DEMO_SPECIFICATION["slug"]
# organisation slug -> (DID method, algorithm, the multibase prefix of its public key)
ORGANISATIONS = {
    "key-ed25519": (DidMethod.KEY, Algorithm.ED25519, "z6Mk"),
    "key-p256": (DidMethod.KEY, Algorithm.P256, "zDn"),
    "key-p384": (DidMethod.KEY, Algorithm.P384, "z82"),
    "web-p384": (DidMethod.WEB, Algorithm.P384, "z82"),
}
SUITES = {
    Algorithm.ED25519: "eddsa-rdfc-2022",
    Algorithm.P256: "ecdsa-rdfc-2019",
    Algorithm.P384: "ecdsa-rdfc-2019",
}

Run = Callable[..., Result]


@pytest.fixture
def orgs(app: Flask, demo: Demo) -> dict[str, str]:
    """The ``ORGANISATIONS`` added to the demo partnership; each one's issuer token."""
    tokens = {}
    with transaction(app) as session:
        partnership = session.get(Partnership, demo.partnership.id)
        assert partnership is not None
        for slug, (method, algorithm, _) in ORGANISATIONS.items():
            organisation = add_organisation(
                session,
                partnership,
                slug=slug,
                legal_name=f"Organisation {slug}",
                country="DNK",
                country_label="Denmark",
                base_url=BASE_URL,
                passphrase=PASSPHRASE.encode(),
                algorithm=algorithm,
                did_method=method,
            )
            tokens[slug] = create_token(session, organisation, Role.ISSUER, "t")[1]
    return tokens


def headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def did_of(app: Flask, slug: str) -> str:
    with transaction(app) as session:
        found = session.scalar(select(Organisation.did).where(Organisation.slug == slug))
    assert found is not None
    return found


def resolver(client: FlaskClient) -> DidResolver:
    """did:key offline; did:web documents served by the issuer app itself."""

    def fetch(url: str) -> bytes:
        response = client.get(urlsplit(url).path)
        assert response.status_code == 200, url
        return response.data

    return DidResolver(fetch=fetch)


def issue(client: FlaskClient, token: str, *bodies: str, reference: str = "dk-1") -> Any:
    body: dict[str, Any] = {
        "specification": SPEC,
        "learner": {"reference": reference, "givenName": "Ada", "familyName": "Lovelace"},
    }
    if bodies:
        body["awardingBodies"] = list(bodies)
    return client.post("/api/v1/credentials", json=body, headers=headers(token))


def status_path(document: dict[str, Any]) -> str:
    """The path of the (first) status list credential ``document`` names."""
    status = document["credentialStatus"]
    entry = status[0] if isinstance(status, list) else status
    return urlsplit(entry["statusListCredential"]).path


def assert_sealed_by(client: FlaskClient, document: dict[str, Any], *signers: str) -> None:
    """Every proof of ``document`` verifies (keys level), made by ``signers`` in order."""
    result = verify_proofs(document, resolver=resolver(client), controllers=signers)
    assert result.verified, [(r.code, r.message) for r in result.results]
    assert result.signers == list(signers)


# --- the organisation ---------------------------------------------------------------------


def test_a_did_key_organisation_is_its_key(app: Flask, orgs: dict[str, str]) -> None:
    with transaction(app) as session:
        for slug, (method, algorithm, prefix) in ORGANISATIONS.items():
            organisation = session.scalar(select(Organisation).where(Organisation.slug == slug))
            assert organisation is not None and organisation.did_method is method
            [key] = organisation.keys
            assert key.algorithm == algorithm.value and key.state is KeyState.CURRENT
            assert key.public_key_multibase.startswith(prefix)
            pair = signing_keypair(organisation, PASSPHRASE.encode())
            assert (pair.id, pair.controller) == (key.method_id, organisation.did)
            if method is DidMethod.KEY:
                multibase = key.public_key_multibase
                assert organisation.did == f"did:key:{multibase}"
                assert key.method_id == f"did:key:{multibase}#{multibase}"
            else:
                assert organisation.did == f"did:web:issuer.example:orgs:{PARTNERSHIP}:{slug}"
                assert key.method_id == f"{organisation.did}#key-1"


def test_the_api_lists_each_organisation_with_its_did(
    app: Flask, client: FlaskClient, orgs: dict[str, str]
) -> None:
    response = client.get("/api/v1/organisations", headers=headers(orgs["key-p256"]))
    assert response.status_code == 200
    listed = {o["slug"]: o for o in response.get_json()["organisations"]}
    assert listed[AARHUS]["didMethod"] == "web"
    for slug, (method, _, _) in ORGANISATIONS.items():
        assert listed[slug]["did"] == did_of(app, slug)
        assert listed[slug]["didMethod"] == method.value


def test_no_did_document_is_served_for_a_did_key_organisation(
    app: Flask, client: FlaskClient, orgs: dict[str, str]
) -> None:
    response = client.get(f"/orgs/{PARTNERSHIP}/key-ed25519/did.json")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_did_web"
    assert client.get(f"/orgs/{PARTNERSHIP}/web-p384/did.json").status_code == 200
    listed = client.get("/.well-known/did.json").get_json()["service"]
    assert did_of(app, "key-ed25519") in [s["serviceEndpoint"] for s in listed]


# --- issuing --------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", list(ORGANISATIONS))
def test_issuing_signs_with_the_organisation_key_and_status_list(
    app: Flask, client: FlaskClient, orgs: dict[str, str], slug: str
) -> None:
    method, algorithm, _ = ORGANISATIONS[slug]
    response = issue(client, orgs[slug])
    assert response.status_code == 201, response.get_json()
    document = response.get_json()["document"]
    did = did_of(app, slug)
    assert document["issuer"]["id"] == did
    [proof] = document["proof"] if isinstance(document["proof"], list) else [document["proof"]]
    assert proof["cryptosuite"] == SUITES[algorithm]
    if method is DidMethod.KEY:
        assert proof["verificationMethod"] == f"{did}#{did.removeprefix('did:key:')}"
    assert_sealed_by(client, document, did)
    # its status list credential is signed by the same DID
    served = client.get(status_path(document))
    assert served.status_code == 200
    status_list = json.loads(served.data)
    assert status_list["issuer"] == did
    assert_sealed_by(client, status_list, did)


def test_a_joint_award_by_a_did_web_issuer_and_a_did_key_body(
    app: Flask, client: FlaskClient, auth: Any, orgs: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/credentials",
        json={
            "specification": SPEC,
            "learner": {"reference": "joint-1", "givenName": "Ada", "familyName": "Lovelace"},
            "awardingBodies": [AARHUS, "key-p384"],
        },
        headers=auth("issuer"),
    )
    assert response.status_code == 201, response.get_json()
    document = response.get_json()["document"]
    aarhus, body = did_of(app, AARHUS), did_of(app, "key-p384")
    assert document["issuer"]["id"] == aarhus
    methods = [p["verificationMethod"] for p in document["proof"]]
    assert methods[0].startswith(f"{aarhus}#") and methods[1].startswith(f"{body}#z82")
    assert_sealed_by(client, document, aarhus, body)


def test_the_vc_api_signs_as_the_did_key(
    app: Flask, client: FlaskClient, orgs: dict[str, str]
) -> None:
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "credentialSubject": {"id": "did:example:learner-2", "name": "Ada Lovelace"},
    }
    response = client.post(
        "/credentials/issue", json={"credential": credential}, headers=headers(orgs["key-p256"])
    )
    assert response.status_code == 201, response.get_json()
    signed = response.get_json()["verifiableCredential"]
    did = did_of(app, "key-p256")
    assert signed["issuer"] == did
    assert signed["proof"]["verificationMethod"].startswith(f"{did}#zDn")
    assert_sealed_by(client, signed, did)


def test_a_bulk_job_of_a_did_key_organisation(
    app: Flask, client: FlaskClient, demo: Demo, orgs: dict[str, str]
) -> None:
    rows = io.StringIO()
    writer = csv.writer(rows)
    writer.writerow(["reference", "given_name", "family_name"])
    writer.writerows([[f"B-{n}", "Given", f"Family {n}"] for n in range(2)])
    with transaction(app) as session:
        organisation = get_organisation(session, demo.partnership.id, "key-ed25519")
        job = create_job(
            session,
            issuer=organisation,
            specification=session.get_one(Specification, demo.specification.id),
            awarding_bodies=[organisation],
            filename="cohort.csv",
            content=rows.getvalue().encode(),
            actor="token:test",
        )
        job_id = job.id
    run_job(app, job_id)
    with transaction(app) as session:
        documents = [
            json.loads(c.document)
            for c in session.scalars(
                select(IssuedCredential).where(IssuedCredential.bulk_job_id == job_id)
            )
        ]
    assert len(documents) == 2
    for document in documents:
        assert_sealed_by(client, document, did_of(app, "key-ed25519"))


# --- rotation and compromise ----------------------------------------------------------------


def test_rotating_a_did_key_is_refused(app: Flask, demo: Demo, orgs: dict[str, str]) -> None:
    with transaction(app) as session:
        organisation = get_organisation(session, demo.partnership.id, "key-p256")
        with pytest.raises(Conflict) as refused:
            rotate_key(session, organisation, passphrase=PASSPHRASE, actor="test")
        assert refused.value.code == "key_rotation_impossible"
        assert [k.state for k in organisation.keys] == [KeyState.CURRENT]


def test_a_compromised_did_key_signs_nothing_more(
    app: Flask, client: FlaskClient, demo: Demo, orgs: dict[str, str]
) -> None:
    issued = issue(client, orgs["key-ed25519"])
    assert issued.status_code == 201
    status_list = status_path(issued.get_json()["document"])
    assert client.get(status_list).status_code == 200
    with transaction(app) as session:
        organisation = get_organisation(session, demo.partnership.id, "key-ed25519")
        key = find_key(organisation, "1")
        assert find_key(organisation, key.public_key_multibase) is key
        done = compromise_key(session, organisation, key, passphrase=PASSPHRASE, actor="test")
        assert done.newly_marked and done.replaced_by is None
        assert [k.state for k in organisation.keys] == [KeyState.COMPROMISED]
    refused = issue(client, orgs["key-ed25519"], reference="dk-2")
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "organisation_key_compromised"
    assert client.get(status_list).status_code == 409


# --- the command line -----------------------------------------------------------------------


@pytest.fixture
def cli(database_url: str) -> Run:
    """``cli(*args, code=0)`` runs ``microcred issuer *args`` against the test's database."""
    env = {
        "DATABASE_URL": database_url,
        "MICROCRED_ISSUER_URL": BASE_URL,
        "MICROCRED_VERIFIER_URL": "https://verifier.example",
        "MICROCRED_KEY_PASSPHRASE": PASSPHRASE,
        "MICROCRED_DEBUG": None,
    }

    def run(*args: str, code: int = 0) -> Result:
        result = CliRunner().invoke(main, ["issuer", *args], env=env)
        assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
        if code:
            assert result.stderr.startswith("error: "), result.stderr
        return result

    return run


def add(cli: Run, slug: str, *options: str, code: int = 0) -> Result:
    return cli(
        "add-organisation", "p", slug, "--name", slug, "--country", "DNK",
        "--country-label", "Denmark", *options, code=code,
    )  # fmt: skip


def test_the_cli_makes_did_key_and_p384_organisations(app: Flask, cli: Run) -> None:
    cli("create-partnership", "p", "P")
    made = {
        "ed": add(cli, "ed", "--did-method", "key"),
        "p256": add(cli, "p256", "--did-method", "key", "--suite", "ecdsa-rdfc-2019"),
        "p384": add(
            cli, "p384", "--did-method", "key", "--suite", "ecdsa-rdfc-2019", "--curve", "P-384"
        ),
        "web384": add(cli, "web384", "--suite", "ecdsa-rdfc-2019", "--curve", "P-384"),
    }
    dids = {slug: result.stdout.strip() for slug, result in made.items()}
    assert dids["ed"].startswith("did:key:z6Mk")
    assert dids["p256"].startswith("did:key:zDn")
    assert dids["p384"].startswith("did:key:z82")
    assert dids["web384"] == "did:web:issuer.example:orgs:p:web384"
    refused = add(cli, "bad", "--curve", "P-384", code=2)
    assert "--curve is for ecdsa-rdfc-2019 only" in refused.stderr

    rotation = cli("rotate-key", "p", "p384", code=2)
    assert "key_rotation_impossible" in rotation.stderr
    rotated = cli("rotate-key", "p", "ed", "--suite", "eddsa-rdfc-2022", code=2)
    assert "key_rotation_impossible" in rotated.stderr
    # a did:web organisation rotates to P-384, and back to P-256 with the suite alone
    assert cli("rotate-key", "p", "web384").stdout.strip().endswith("#key-2")
    cli("rotate-key", "p", "web384", "--suite", "ecdsa-rdfc-2019")
    cli("rotate-key", "p", "web384", "--curve", "P-384")
    with transaction(app) as session:
        partnership = session.scalar(select(Partnership).where(Partnership.slug == "p"))
        assert partnership is not None
        organisation = get_organisation(session, partnership.id, "web384")
        assert [k.algorithm for k in organisation.keys] == ["P-384", "P-384", "P-256", "P-384"]
        for slug in ("ed", "p256", "p384"):
            keys = get_organisation(session, partnership.id, slug).keys
            assert len(keys) == 1 and keys[0].state is KeyState.CURRENT

    compromised = cli("compromise-key", "p", "p384", "1")
    assert "signs nothing more" in compromised.stdout


# --- the migration --------------------------------------------------------------------------


def test_the_migration_adds_and_drops_did_method(database_url: str) -> None:
    engine = make_engine(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))

    def columns() -> set[str]:
        return {c["name"] for c in inspect(engine).get_columns("organisations")}

    def migrate(step: Callable[..., None], revision: str) -> None:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            step(config, revision)

    try:
        assert "did_method" in columns()
        migrate(command.downgrade, "0003_staff_sessions")
        assert "did_method" not in columns()
        upgrade(engine)
        assert "did_method" in columns()
        with transaction_on(engine) as session:
            partnership = Partnership(slug="p", name="P")
            session.add(partnership)
            session.flush()
            add_organisation(
                session,
                partnership,
                slug="old",
                legal_name="Old",
                country="DNK",
                country_label="Denmark",
                base_url=BASE_URL,
                passphrase=PASSPHRASE.encode(),
            )
            add_organisation(
                session,
                partnership,
                slug="new",
                legal_name="New",
                country="DNK",
                country_label="Denmark",
                base_url=BASE_URL,
                passphrase=PASSPHRASE.encode(),
                did_method=DidMethod.KEY,
            )
        with pytest.raises(RuntimeError, match="did:key"):
            migrate(command.downgrade, "0003_staff_sessions")
        assert "did_method" in columns()
    finally:
        engine.dispose()


def transaction_on(engine: Any) -> Any:
    return sessionmaker(bind=engine).begin()
