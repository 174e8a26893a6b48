"""``make run``: the issuer and the verifier on this machine, in the foreground.

``python -m demo.run [--host 127.0.0.1] [--port 5000] [--workers 2]``, with the settings of
``microcred issuer`` in the environment (``DATABASE_URL``, ``MICROCRED_KEY_PASSPHRASE``,
``MICROCRED_SECRET_KEY``, …). With ``MICROCRED_DEMO=1`` (``make run``) it says so, accepts the
demo passphrase, and keeps a random secret key in ``instance/secret_key`` for both services
(:func:`prepare_secrets`); otherwise it refuses to start with a missing or known secret.

1. brings the database to the newest migration and creates the demo partnership if it is absent,
   with a fresh issuer token (what ``microcred demo setup`` does);
2. (bulk jobs left running by a server that stopped need nothing here: the Procfile's
   ``worker``, the issuer's task queue, takes them over by itself — ``issuer.bulk.queue.sweep``);
3. writes a demo accreditation registry that accredits the demo organisations, and the
   verifier's trust settings to ``instance/verifier.env`` (for ``microcred verify``);
4. runs the ``Procfile``'s services (issuer on ``--port``, verifier on the next port, and the
   queue's ``worker``, one process per core, on the embedded SQLite queue unless
   ``MICROCRED_QUEUE_URL``/``REDIS_URL`` names a broker) with
   honcho's :class:`~honcho.manager.Manager`, their logs on stderr, and waits until each answers;
5. prints ``issuer: <url>``, ``verifier: <url>`` (the public base URLs every link, QR code and
   DID uses: ``localhost``, not the bound address), then ``token: <issuer token>`` on stdout,
   each on its own line; the token is kept in ``instance/demo_token`` and printed again on the
   next start while it is valid (:mod:`demo.token`);
6. runs until Ctrl-C or SIGTERM (honcho stops every service; exit status 0). If a service stops
   (e.g. its port is taken), honcho stops the others and the exit status is 1, after one
   ``error: …`` line.

The public base URL (``MICROCRED_ISSUER_URL``) defaults to ``http://localhost:<port>``: the
organisations' did:web derive from it, and a did:web names a host, never an IP address.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import shlex
import signal
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import FrameType

from flask import Flask
from honcho.manager import SYSTEM_PRINTER_NAME, Manager
from honcho.printer import Message, Printer
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from demo.partnership import describe_demo, ensure_demo
from demo.procfile import Service, services, with_env, worker_service
from demo.registry import demo_registry
from demo.token import TOKEN_FILE
from issuer.app import create_app
from issuer.db import transaction
from issuer.errors import ApiError
from issuer.models import Organisation
from issuer.server_secrets import (
    DEMO_NOTICE,
    SECRET_ENV,
    InsecureSettings,
    check_server_secrets,
    instance_secret,
)
from keys.errors import KeysError
from verifier.record import VERIFIER_KEY_ENV, instance_verifier_key

READY_TIMEOUT = 60.0  # seconds for every service to answer
POLL = 0.2


def demo_registry_env(app: Flask) -> dict[str, str]:
    """Write a demo accreditation registry that accredits every organisation of the database
    to ``instance/demo-registry.json``; return the verifier settings that name it."""
    with transaction(app) as session:
        dids = list(session.scalars(select(Organisation.did).order_by(Organisation.id)))
    target = Path(app.instance_path) / "demo-registry.json"
    authority, registry = demo_registry(dids)
    target.write_text(json.dumps(registry, indent=2) + "\n", encoding="utf-8")
    return {"MICROCRED_REGISTRY": str(target), "MICROCRED_REGISTRY_AUTHORITY": authority}


def write_verifier_env(app: Flask, env: Mapping[str, str]) -> Path:
    """Write the demo verifier's settings as shell assignments to ``instance/verifier.env``, so
    that ``microcred verify`` can use the same trust sources as the web verifier
    (``set -a; . instance/verifier.env; set +a``)."""
    target = Path(app.instance_path) / "verifier.env"
    lines = [f"{name}={shlex.quote(value)}" for name, value in sorted(env.items())]
    target.write_text(
        "# The settings of make run's verifier, for microcred verify. Demo only.\n"
        + "\n".join(lines)
        + "\n",
        encoding="utf-8",
    )
    return target


def port_is_free(host: str, port: int) -> bool:
    """True when nothing listens on ``host:port`` yet."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def answers(url: str) -> bool:
    """True when ``url`` gives any HTTP response (even an error status)."""
    try:
        with urllib.request.urlopen(url, timeout=1):
            return True
    except urllib.error.HTTPError:
        return True
    except (OSError, ValueError):
        return False


def prepare_secrets(app: Flask) -> None:
    """In demo mode (``MICROCRED_DEMO=1``, as ``make run`` sets), say so, and give both services
    the instance folder's secret key (made once) unless ``MICROCRED_SECRET_KEY`` is set, and
    the verifier its signing key (``instance/verifier_key``) unless ``MICROCRED_VERIFIER_KEY``
    is. Then refuse what the services would refuse (``InsecureSettings``), before any of them
    starts."""
    if app.config["DEMO"]:
        note(DEMO_NOTICE)
        os.environ.setdefault(SECRET_ENV, instance_secret(Path(app.instance_path)))
        # The verifier signs its verification records with its own key (verifier.record).
        os.environ.setdefault(VERIFIER_KEY_ENV, instance_verifier_key(Path(app.instance_path)))
        app.config["SECRET_KEY"] = os.environ[SECRET_ENV]
    check_server_secrets(app.config)


def say(line: str) -> None:
    """A line on stdout, flushed at once (whoever reads our output sees it now)."""
    print(line, flush=True)


def note(line: str) -> None:
    """A line on stderr."""
    print(line, file=sys.stderr, flush=True)


class ServiceLog(Printer):
    """Honcho's printer for the services' logs, on stderr. It also keeps what ``make run``
    reports at the end: whether a signal stopped us, which service stopped first (with its
    exit status), and the line of each service's log that best says what went wrong."""

    STOPPED = re.compile(r"^(\S+) stopped \(rc=(-?\d+)\)$")
    RECEIVED = re.compile(r"^SIG\w+ received$")
    #: What a failing service's line looks like, most telling first: our apps' one-line
    #: ``error: …``, a Python exception, gunicorn's ``[ERROR]`` lines.
    TELLING = (
        re.compile(r"^error: "),
        re.compile(r"^\w+(Error|Exception): "),
        re.compile(r"\[ERROR\]"),
    )

    def __init__(self) -> None:
        super().__init__(sys.stderr)
        self.signalled = False
        self.first_stopped: tuple[str, int] | None = None
        self.telling: dict[str, dict[int, str]] = {}  # service → rank → latest such line

    def write(self, message: Message) -> None:
        """Print ``message`` (honcho's format: time, process, line) and note what it says."""
        super().write(message)
        data = message.data
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data)
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if message.name != SYSTEM_PRINTER_NAME:
            ranks = self.telling.setdefault(message.name, {})
            for line in lines:
                rank = next((n for n, p in enumerate(self.TELLING) if p.search(line)), None)
                ranks[len(self.TELLING) if rank is None else rank] = line
            return
        for line in lines:
            stopped = self.STOPPED.match(line)
            if stopped and self.first_stopped is None:
                self.first_stopped = (stopped[1], int(stopped[2]))
            elif self.RECEIVED.match(line):
                self.signalled = True

    def reason(self, name: str) -> str | None:
        """The most telling line service ``name`` logged (its last line at worst), if any."""
        ranks = self.telling.get(name)
        return ranks[min(ranks)] if ranks else None


class Readiness:
    """Waits, beside honcho's loop, until every service answers; then prints the URLs and the
    token. Gives up (stopping the services) when they do not answer within ``timeout``."""

    def __init__(self, todo: Sequence[Service], timeout: float, on_ready: Callable[[], None]):
        self.todo = list(todo)
        self.timeout = timeout
        self.on_ready = on_ready
        self.ready = False
        self.problem: str | None = None
        self.finished = threading.Event()  # set when honcho's loop has returned

    def watch(self, manager: Manager) -> threading.Thread:
        """Start waiting in a daemon thread; ``manager`` is stopped if they never answer."""
        thread = threading.Thread(target=self._wait, args=(manager,), daemon=True)
        thread.start()
        return thread

    def _wait(self, manager: Manager) -> None:
        deadline = time.monotonic() + self.timeout
        waiting = self.todo
        while waiting:
            if self.finished.wait(POLL):
                return
            waiting = [s for s in waiting if not answers(s.url + s.ready_path)]
            if waiting and time.monotonic() > deadline:
                names = ", ".join(s.name for s in waiting)
                self.problem = f"{names} did not answer within {self.timeout:.0f} s"
                manager.terminate()
                return
        self.ready = True
        self.on_ready()


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line's options."""
    parser = argparse.ArgumentParser(
        prog="python -m demo.run", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--host", default="127.0.0.1", help="the address to bind")
    parser.add_argument("--port", type=int, default=5000, help="the issuer's port")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per service")
    parser.add_argument(
        "--ready-timeout", type=float, default=READY_TIMEOUT, help="seconds to wait for start-up"
    )
    return parser.parse_args(argv)


def outcome(log: ServiceLog, readiness: Readiness) -> int:
    """The exit status once honcho's loop has returned, with one ``error:`` line unless a
    signal (Ctrl-C, SIGTERM) stopped us."""
    if log.signalled:
        return 0
    if readiness.problem is not None:
        note(f"error: {readiness.problem}")
        return 1
    name, status = log.first_stopped or ("a service", -1)
    when = "while starting" if not readiness.ready else "unexpectedly"
    reason = log.reason(name)
    because = f": {reason}" if reason else ""
    note(f"error: {name} stopped {when} (exit status {status}; the others were stopped){because}")
    return 1


def prepare(app: Flask, todo: list[Service]) -> tuple[str, list[Service]]:
    """Steps 1 to 3 of the module's description: the issuer token, and ``todo`` with the
    verifier's registry settings."""
    with app.app_context():
        setup = ensure_demo(app, token_file=Path(app.instance_path) / TOKEN_FILE)
        for line in describe_demo(setup):
            note(line)
        registry = demo_registry_env(app)
    todo = with_env(todo, "verifier", registry)
    verifier_env = next(s.env for s in todo if s.name == "verifier")
    settings_file = write_verifier_env(app, verifier_env)
    note(
        f"microcred verify uses the verifier's trust settings after "
        f"`set -a; . {settings_file}; set +a`"
    )
    return setup.token, todo


def main(argv: Sequence[str] | None = None) -> int:
    """Prepare the demo, run the Procfile's services until Ctrl-C or SIGTERM (exit status 0) or
    until one stops (1); 2 when it cannot start (settings, ports, database)."""
    arguments = parse_arguments(argv)
    host = arguments.host
    todo = services(host, arguments.port, arguments.workers)
    os.environ.setdefault("MICROCRED_ISSUER_URL", f"http://localhost:{arguments.port}")
    os.environ.setdefault("MICROCRED_VERIFIER_URL", f"http://localhost:{arguments.port + 1}")
    if not os.environ.get("MICROCRED_KEY_PASSPHRASE"):
        note("error: set MICROCRED_KEY_PASSPHRASE to the passphrase that seals the signing keys")
        return 2
    busy = [s for s in todo if not port_is_free(host, s.port)]
    if busy:
        where = ", ".join(f"{host}:{s.port} ({s.name})" for s in busy)
        note(f"error: {where} in use: is make run running already? (choose with RUN_PORT)")
        return 2

    stop_requested = threading.Event()

    def on_signal(signum: int, _: FrameType | None) -> None:
        stop_requested.set()

    previous = {
        signum: signal.signal(signum, on_signal) for signum in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        app = create_app({"CHECK_SECRETS": False})
        try:
            prepare_secrets(app)
            token, todo = prepare(app, todo)
        except InsecureSettings as error:
            note(f"error: {error}")
            return 2
        except (ApiError, KeysError, SQLAlchemyError, OSError) as error:
            note(f"error: cannot prepare the demo: {getattr(error, 'message', error)}")
            return 2
        if stop_requested.is_set():
            return 0
        return run_services(todo, token, arguments.ready_timeout)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


PUBLIC_URLS = {"issuer": "MICROCRED_ISSUER_URL", "verifier": "MICROCRED_VERIFIER_URL"}


def public_url(service: Service) -> str:
    """The address people use for ``service``: the public base URL that its links, QR codes
    and DIDs name (``http://localhost:<port>`` by default), else where it listens."""
    setting = PUBLIC_URLS.get(service.name)
    return (os.environ.get(setting) if setting else None) or service.url


def run_services(todo: Sequence[Service], token: str, ready_timeout: float) -> int:
    """Run ``todo`` under honcho until a signal or until one stops; print the URLs and
    ``token`` once every service answers. The exit status (:func:`outcome`)."""
    # honcho starts each service from a multiprocessing child: forked from here, that child
    # would copy this process's threads' locks.
    multiprocessing.set_start_method("forkserver", force=True)
    log = ServiceLog()
    manager = Manager(log)
    for service in todo:
        manager.add_process(service.name, service.command, env=service.environment(os.environ))
    if any(service.name == "issuer" for service in todo):  # the issuer's queue worker
        name, command = worker_service()
        processes = str(min(os.cpu_count() or 1, 4))
        environment = {**os.environ, "PYTHON": sys.executable, "WORKER_PROCESSES": processes}
        manager.add_process(name, command, env=environment)

    def ready() -> None:
        for service in todo:
            say(f"{service.name}: {public_url(service)}")
        say(f"token: {token}")
        note("running; press Ctrl-C to stop")

    readiness = Readiness(todo, ready_timeout, ready)
    watcher = readiness.watch(manager)
    try:
        manager.loop()  # returns once every service has stopped
    finally:
        readiness.finished.set()
        watcher.join(timeout=5)
    return outcome(log, readiness)


if __name__ == "__main__":
    sys.exit(main())
