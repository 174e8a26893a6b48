"""``make interop``: the official W3C VC test suites against a throw-away microcred.

``python -m demo.interop [--keep] [--suites NAMES] [--run-sh PATH]``

1. makes a throw-away instance folder (a temporary directory): a fresh SQLite database, a
   random key passphrase and secret key, and a self-signed certificate for 127.0.0.1
   (:func:`make_certificate`, with ``cryptography``);
2. creates the partnership ``w3c-interop`` with three did:key organisations — Ed25519
   (``eddsa-rdfc-2022``), P-256 and P-384 (``ecdsa-rdfc-2019``) — and an issuer token for each
   (:func:`create_issuers`). The Ed25519 one is also the status issuer: ``/credentials/issue``
   gives a credential with an ``id`` its ``BitstringStatusListEntry``s;
3. starts, on free ports, the Procfile's issuer served over **https** with that certificate
   (its base URL, ``MICROCRED_ISSUER_URL``, is that https origin, so status-list URLs are https,
   as the status-list suite needs), the same issuer over plain http on a second port for the
   verifier only (the verifier's guarded client trusts no self-signed certificate; its
   development rewrite ``MICROCRED_FETCH_REWRITES`` maps the https origin to it), and the
   Procfile's verifier (``/credentials/verify``, ``/presentations/verify``); waits until each
   answers;
4. runs ``../shared/interop/w3c/run.sh`` with the ``MC_*`` variables (see its README), its
   output passed through, so the last line is the suites' ``w3c suites: N passed, M failed[, K
   skipped]``;
5. stops every process it started (also on failure, Ctrl-C or SIGTERM), removes the instance
   folder (kept with ``--keep``), and exits with ``run.sh``'s exit status; 2 when it could not
   start (``error: …`` on stderr, then the ``w3c suites: 0 passed, 1 failed`` line).

The services' logs go to ``<instance>/<service>.log``; a service that fails shows its last lines.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy.orm import Session

from demo.procfile import Service, services
from demo.run import answers, note, port_is_free
from issuer.app import create_app
from issuer.auth.tokens import create_token
from issuer.cli import engine_of
from issuer.db import transaction, upgrade
from issuer.models import DidMethod, Role
from issuer.partnerships.services import add_organisation, create_partnership
from keys.keypairs import Algorithm

HOST = "127.0.0.1"
RUN_SH = Path(__file__).resolve().parent.parent.parent / "shared" / "interop" / "w3c" / "run.sh"
READY_TIMEOUT = 60.0  # seconds for every service to answer
STOP_TIMEOUT = 10.0  # seconds a service gets to stop after SIGTERM before SIGKILL
POLL = 0.2
PARTNERSHIP = ("w3c-interop", "W3C interoperability test issuers")
#: The suites' issuers: MC_ISSUER_<name> → (organisation slug, legal name, key algorithm).
ISSUERS: dict[str, tuple[str, str, Algorithm]] = {
    "EDDSA": ("eddsa", "Interop Ed25519 College", Algorithm.ED25519),
    "ECDSA_P256": ("ecdsa-p256", "Interop P-256 College", Algorithm.P256),
    "ECDSA_P384": ("ecdsa-p384", "Interop P-384 College", Algorithm.P384),
}
#: The issuer whose credentials carry status entries (any of ours does, for a credential id).
STATUS_ISSUER = "EDDSA"
FAILED_LINE = "w3c suites: 0 passed, 1 failed"


class Stop(Exception):
    """Ctrl-C or SIGTERM arrived: stop what was started and exit."""


@dataclass(frozen=True)
class Issuer:
    """One did:key issuer organisation of the suites, with its issuer token's secret."""

    name: str  # the MC_ISSUER_<name> suffix
    did: str
    token: str


@dataclass(frozen=True)
class Ports:
    """The free ports the services listen on."""

    https: int  # the issuer, as the suites see it
    http: int  # the same issuer, for the verifier's rewrites only
    verifier: int


def free_port(taken: Sequence[int] = ()) -> int:
    """A TCP port on :data:`HOST` that nothing listens on now (and not in ``taken``)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((HOST, 0))
            port = int(probe.getsockname()[1])
        if port not in taken and port_is_free(HOST, port):
            return port


def choose_ports() -> Ports:
    """Three distinct free ports."""
    chosen: list[int] = []
    for _ in range(3):
        chosen.append(free_port(chosen))
    return Ports(*chosen)


def make_certificate(folder: Path, host: str = HOST) -> tuple[Path, Path]:
    """Write a throw-away self-signed certificate for ``host`` (and ``localhost``), valid for
    a day, and its P-256 key to ``folder``; return (certificate file, key file)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"microcred interop {host}")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address(host)), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        # self-signed, so its own anchor (as `openssl req -x509` makes it): Node.js trusts it
        # through NODE_EXTRA_CA_CERTS
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_file.chmod(0o600)
    return cert_file, key_file


def settings(folder: Path, ports: Ports) -> dict[str, str]:
    """The environment both services run with: a database in ``folder``, random secrets, the
    https base URL; no demo mode (the secrets are random, so nothing is a known default)."""
    return {
        "DATABASE_URL": f"sqlite:///{folder / 'issuer.sqlite3'}",
        "MICROCRED_ISSUER_URL": f"https://{HOST}:{ports.https}",
        "MICROCRED_VERIFIER_URL": f"http://{HOST}:{ports.verifier}",
        "MICROCRED_KEY_PASSPHRASE": secrets.token_urlsafe(24),
        "MICROCRED_SECRET_KEY": secrets.token_urlsafe(32),
        "MICROCRED_DEMO": "0",
        "MICROCRED_CACHE_DIR": str(folder / "verifier-cache"),
    }


def add_issuers(session: Session, *, base_url: str, passphrase: bytes) -> list[Issuer]:
    """Create the :data:`PARTNERSHIP` with one did:key organisation per :data:`ISSUERS` entry
    and an issuer token for each."""
    partnership = create_partnership(session, *PARTNERSHIP)
    made = []
    for name, (slug, legal_name, algorithm) in ISSUERS.items():
        organisation = add_organisation(
            session,
            partnership,
            slug=slug,
            legal_name=legal_name,
            country="DNK",
            country_label="Denmark",
            base_url=base_url,
            passphrase=passphrase,
            algorithm=algorithm,
            did_method=DidMethod.KEY,
        )
        _, token = create_token(session, organisation, Role.ISSUER, f"w3c-{slug}")
        made.append(Issuer(name, organisation.did, token))
    return made


def create_issuers(environment: Mapping[str, str]) -> list[Issuer]:
    """Migrate the database ``environment`` names and add the issuers (:func:`add_issuers`)."""
    app = create_app(
        {
            "DATABASE_URL": environment["DATABASE_URL"],
            "ISSUER_BASE_URL": environment["MICROCRED_ISSUER_URL"],
            "KEY_PASSPHRASE": environment["MICROCRED_KEY_PASSPHRASE"],
            "SECRET_KEY": environment["MICROCRED_SECRET_KEY"],
            "DEMO": False,
        }
    )
    upgrade(engine_of(app))
    with transaction(app) as session:
        return add_issuers(
            session,
            base_url=environment["MICROCRED_ISSUER_URL"],
            passphrase=environment["MICROCRED_KEY_PASSPHRASE"].encode("utf-8"),
        )


def suite_variables(issuers: Sequence[Issuer], ports: Ports) -> dict[str, str]:
    """The ``MC_*`` variables of ``run.sh`` (its README) for ``issuers`` at ``ports``."""
    issue_url = f"https://{HOST}:{ports.https}/credentials/issue"
    verifier = f"http://{HOST}:{ports.verifier}"
    variables = {
        "MC_VERIFIER": f"{verifier}/credentials/verify",
        "MC_VP_VERIFIER": f"{verifier}/presentations/verify",
    }
    by_name = {issuer.name: issuer for issuer in issuers}
    for name, issuer in [*by_name.items(), ("STATUS", by_name[STATUS_ISSUER])]:
        variables[f"MC_ISSUER_{name}"] = issue_url
        variables[f"MC_ISSUER_{name}_TOKEN"] = issuer.token
        variables[f"MC_ISSUER_{name}_DID"] = issuer.did
    return variables


def service_commands(ports: Ports, cert: Path, key: Path) -> dict[str, tuple[Service, list[str]]]:
    """The processes to start: name → (the Procfile's service it runs, its command line).
    ``issuer`` is served over https with ``cert``/``key``; ``issuer-http`` is the same issuer
    on plain http for the verifier; the verifier may reach it (a private address) through its
    development rewrite of the https origin."""
    procfile = {s.name: s for s in services(HOST, ports.https, workers=2)}
    issuer, verifier = procfile["issuer"], procfile["verifier"]
    rewrites = f'{{"https://{HOST}:{ports.https}": "http://{HOST}:{ports.http}"}}'
    internal = Service(
        "issuer-http", issuer.command, HOST, ports.http, issuer.ready_path, 1, issuer.env
    )
    verifier = Service(
        "verifier",
        verifier.command,
        HOST,
        ports.verifier,
        verifier.ready_path,
        2,
        {"MICROCRED_FETCH_ALLOW_PRIVATE": "1", "MICROCRED_FETCH_REWRITES": rewrites},
    )
    https = [*issuer.argv(), "--certfile", str(cert), "--keyfile", str(key)]
    return {
        "issuer": (issuer, https),
        "issuer-http": (internal, internal.argv()),
        "verifier": (verifier, verifier.argv()),
    }


def https_answers(url: str) -> bool:
    """True when ``url`` (https, any certificate) gives any HTTP response."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(url, timeout=1, context=context):
            return True
    except urllib.error.HTTPError:
        return True
    except (OSError, ValueError):
        return False


class Processes:
    """The services this run started, each in its own session (process group), stopped by
    their ids: SIGTERM to the group, SIGKILL after :data:`STOP_TIMEOUT`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, argv: Sequence[str], environment: Mapping[str, str]) -> None:
        """Start ``argv`` as service ``name``, its output in ``<folder>/<name>.log``."""
        with (self.folder / f"{name}.log").open("wb") as log:
            self.running[name] = subprocess.Popen(
                list(argv),
                env=dict(environment),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def stopped(self) -> list[str]:
        """The names of the services that have exited."""
        return [name for name, process in self.running.items() if process.poll() is not None]

    def tail(self, name: str, lines: int = 15) -> str:
        """The last ``lines`` lines of service ``name``'s log."""
        path = self.folder / f"{name}.log"
        text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop_all(self) -> None:
        """Stop every service started (and still running), by its process group."""
        for process in self.running.values():
            if process.poll() is None:
                _signal_group(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for process in self.running.values():
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(process.pid, signal.SIGKILL)
                process.wait()


def _signal_group(pid: int, signum: int) -> None:
    with suppress(ProcessLookupError):
        os.killpg(pid, signum)


def wait_until_ready(processes: Processes, urls: Mapping[str, str], timeout: float) -> None:
    """Wait until every service answers at its URL; ``RuntimeError`` naming the service that
    stopped or did not answer within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    waiting = dict(urls)
    while waiting:
        dead = processes.stopped()
        if dead:
            raise RuntimeError(
                f"{dead[0]} stopped while starting; its log ends:\n{processes.tail(dead[0])}"
            )
        waiting = {
            name: url
            for name, url in waiting.items()
            if not (https_answers(url) if url.startswith("https:") else answers(url))
        }
        if waiting and time.monotonic() > deadline:
            raise RuntimeError(f"{', '.join(waiting)} did not answer within {timeout:.0f} s")
        if waiting:
            time.sleep(POLL)


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Turn SIGINT and SIGTERM into :class:`Stop` in this block."""

    def on_signal(signum: int, _: FrameType | None) -> None:
        raise Stop(signal.Signals(signum).name)

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def run_suites(run_sh: Path, environment: Mapping[str, str]) -> int:
    """Run ``run_sh`` with ``environment``, its output passed through; its exit status. On
    :class:`Stop` it is sent SIGTERM (it then stops its suites and prints its last line) and
    given :data:`STOP_TIMEOUT` seconds before SIGKILL."""
    process = subprocess.Popen([str(run_sh)], env=dict(environment))
    try:
        return process.wait()
    except Stop:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        raise


def interop(run_sh: Path, *, keep: bool, suites: str | None, timeout: float) -> int:
    """Steps 1 to 5 of the module's description; the exit status."""
    folder = Path(tempfile.mkdtemp(prefix="microcred-interop-"))
    processes = Processes(folder)
    try:
        ports = choose_ports()
        cert, key = make_certificate(folder)
        environment = {**os.environ, **settings(folder, ports)}
        issuers = create_issuers(environment)
        commands = service_commands(ports, cert, key)
        urls = {}
        for name, (service, argv) in commands.items():
            processes.start(name, argv, service.environment(environment))
            scheme = "https" if name == "issuer" else "http"
            urls[name] = f"{scheme}://{HOST}:{service.port}{service.ready_path}"
        wait_until_ready(processes, urls, timeout)
        note(
            f"interop: issuer https://{HOST}:{ports.https} ({len(issuers)} did:key issuers), "
            f"verifier http://{HOST}:{ports.verifier}; instance {folder}"
        )
        # The suites' own fetches of status lists skip certificate checks only where their
        # HTTP client honours the agent they give it; trusting the certificate covers the rest.
        suite_env = {
            **os.environ,
            **suite_variables(issuers, ports),
            "NODE_EXTRA_CA_CERTS": str(cert),
        }
        if suites:
            suite_env["W3C_SUITES"] = suites
        return run_suites(run_sh, suite_env)
    except Stop as stop:
        note(f"interop: {stop} received: stopping")
        return 130
    except RuntimeError as error:
        note(f"error: {error}")
        print(FAILED_LINE, flush=True)
        return 2
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):  # a second Ctrl-C must not skip this
            signal.signal(signum, signal.SIG_IGN)
        processes.stop_all()
        if keep:
            note(f"interop: kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line's options."""
    parser = argparse.ArgumentParser(
        prog="python -m demo.interop", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--run-sh", type=Path, default=RUN_SH, help="the suites' run.sh")
    parser.add_argument("--keep", action="store_true", help="keep the instance folder")
    parser.add_argument("--suites", help="W3C_SUITES: which suites to run (default: all)")
    parser.add_argument(
        "--ready-timeout", type=float, default=READY_TIMEOUT, help="seconds to wait for start-up"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the W3C suites against a throw-away microcred; ``run.sh``'s exit status (2 when the
    services could not start or ``run.sh`` is missing)."""
    arguments = parse_arguments(argv)
    if not arguments.run_sh.is_file():
        note(f"error: {arguments.run_sh} not found (the W3C suites live in ../shared/interop)")
        print(FAILED_LINE, flush=True)
        return 2
    with stop_on_signals():
        return interop(
            arguments.run_sh,
            keep=arguments.keep,
            suites=arguments.suites,
            timeout=arguments.ready_timeout,
        )


if __name__ == "__main__":
    sys.exit(main())
