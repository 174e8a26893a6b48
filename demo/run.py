"""``make run``: the issuer (and later the verifier) on this machine, in the foreground.

``python -m issuer.run [--host 127.0.0.1] [--port 5000] [--workers 2]``, with the settings of
``microcred issuer`` in the environment (``DATABASE_URL``, ``MICROCRED_KEY_PASSPHRASE``,
``MICROCRED_SECRET_KEY``, …). With ``MICROCRED_DEMO=1`` (``make run``) it says so, accepts the
demo passphrase, and keeps a random secret key in ``instance/secret_key`` for both services
(:func:`prepare_secrets`); otherwise it refuses to start with a missing or known secret.

1. brings the database to the newest migration and creates the demo partnership if it is absent,
   with a fresh issuer token (exactly what ``microcred issuer demo`` does);
2. resumes bulk jobs left ``running`` by a server that stopped. This happens here, once, before
   any gunicorn worker starts — never in each worker, where two would resume the same job. Their
   remaining rows run in a thread of this process (``BULK_WORKER=thread``);
3. starts every service of :func:`services` under gunicorn and waits until each answers HTTP;
4. prints ``<service>: <url>`` for each, then ``token: <issuer token>``, each on its own line;
5. runs until Ctrl-C or SIGTERM, which it forwards to the services. If a service dies, the
   others are stopped and the exit status is 1.

The public base URL (``MICROCRED_ISSUER_URL``) defaults to ``http://localhost:<port>``: the
organisations' did:web derive from it, and a did:web names a host, never an IP address.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from types import FrameType

from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from issuer.app import create_app
from issuer.bulk import jobs as bulk
from issuer.cli import describe_demo, ensure_demo
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

READY_TIMEOUT = 60.0  # seconds for every service to answer
STOP_TIMEOUT = 15.0  # seconds for the services to stop before they are killed
POLL = 0.2
# At start-up no server of ours is running yet, so every job still marked running is stale.
RESUME_STALE_AFTER = timedelta(0)


@dataclass(frozen=True)
class Service:
    """One web app run under gunicorn: ``name`` is what the ``<name>: <url>`` line says."""

    name: str
    app: str  # gunicorn's WSGI app, factory syntax: "package.wsgi:create_server()"
    port: int
    ready_path: str  # any HTTP answer here means the service is up
    env: Mapping[str, str] = field(default_factory=dict)
    #: A gunicorn configuration module for this service ("python:package.module"), if any.
    config: str | None = None


def demo_registry_env(app: Flask) -> dict[str, str]:
    """Write a demo accreditation registry that accredits every demo organisation, for the
    verifier; return the verifier settings that name it. It is made by the verifier's own
    module in a subprocess (the issuer never imports the verifier)."""
    with transaction(app) as session:
        dids = list(session.scalars(select(Organisation.did).order_by(Organisation.id)))
    target = Path(app.instance_path) / "demo-registry.json"
    done = subprocess.run(
        [sys.executable, "-m", "demo.registry", str(target), *dids],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return {"MICROCRED_REGISTRY": str(target), "MICROCRED_REGISTRY_AUTHORITY": done.stdout.strip()}


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


def services(host: str, port: int) -> list[Service]:
    """Every service ``make run`` starts: the issuer, and the verifier on the next port.

    The verifier may reach this machine's issuer (a private address) and fetches its
    ``https://localhost:<port>`` did:web documents, share links and status lists over plain
    http — development settings only; a deployed verifier keeps the guarded defaults. It runs
    with its own gunicorn settings (``verifier/gunicorn_conf.py``: threaded workers that slow
    clients cannot starve, a worker timeout above its verification time budget).
    """
    issuer_origin = f"http://{host}:{port}"
    rewrites = {
        f"https://localhost:{port}": issuer_origin,
        f"http://localhost:{port}": issuer_origin,
    }
    return [
        Service(
            "issuer",
            "issuer.wsgi:create_server()",
            port,
            "/.well-known/did.json",
            env={"MICROCRED_BULK_WORKER": "thread"},
        ),
        Service(
            "verifier",
            "verifier.wsgi:create_server()",
            port + 1,
            "/healthz",
            env={
                "MICROCRED_FETCH_ALLOW_PRIVATE": "1",
                "MICROCRED_FETCH_REWRITES": json.dumps(rewrites),
            },
            config="python:verifier.gunicorn_conf",
        ),
    ]


def url_of(host: str, service: Service) -> str:
    """Where ``service`` answers."""
    return f"http://{host}:{service.port}"


def gunicorn_has_setting(name: str) -> bool:
    """Whether the installed gunicorn knows the setting ``name``."""
    from gunicorn.config import KNOWN_SETTINGS

    return any(setting.name == name for setting in KNOWN_SETTINGS)


def gunicorn_command(host: str, service: Service, workers: int) -> list[str]:
    """The command line that runs ``service`` under gunicorn in the foreground. Gunicorn's
    control socket (25.1+) is switched off: its default path is shared by every gunicorn of
    the user, so two services (or a test run beside ``make run``) would collide on it."""
    extra = ["--no-control-socket"] if gunicorn_has_setting("control_socket_disable") else []
    if service.config:
        extra += ["--config", service.config]
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--bind",
        f"{host}:{service.port}",
        "--graceful-timeout",
        "10",
        "--name",
        f"microcred-{service.name}",
        *extra,
        service.app,
    ]


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


class Runner:
    """Starts the services, waits for them, and stops them on a signal or when one dies."""

    def __init__(self) -> None:
        self.processes: list[tuple[Service, subprocess.Popen[bytes]]] = []
        self.stop_signal: int | None = None
        self.stopping = threading.Event()

    def on_signal(self, signum: int, _: FrameType | None) -> None:
        if self.stop_signal is None:
            self.stop_signal = signum
        self.stopping.set()

    def start(self, host: str, todo: Sequence[Service], workers: int) -> None:
        for service in todo:
            environment = {**os.environ, **service.env}
            process = subprocess.Popen(gunicorn_command(host, service, workers), env=environment)
            self.processes.append((service, process))

    def dead(self) -> Service | None:
        """The first service whose process has ended, if any."""
        for service, process in self.processes:
            if process.poll() is not None:
                return service
        return None

    def wait_ready(self, host: str, timeout: float) -> str | None:
        """Wait until every service answers; ``None`` then, else why not."""
        deadline = time.monotonic() + timeout
        waiting = [service for service, _ in self.processes]
        while waiting:
            if self.stopping.is_set():
                return "stopped before the services were ready"
            died = self.dead()
            if died is not None:
                return f"{died.name} stopped while starting (see its log above)"
            waiting = [s for s in waiting if not answers(url_of(host, s) + s.ready_path)]
            if waiting and time.monotonic() > deadline:
                names = ", ".join(service.name for service in waiting)
                return f"{names} did not answer within {timeout:.0f} s"
            if waiting:
                self.stopping.wait(POLL)
        return None

    def run_until_stopped(self) -> Service | None:
        """Block until a signal arrives (``None``) or a service dies (that service)."""
        while not self.stopping.wait(POLL):
            died = self.dead()
            if died is not None:
                return died
        return None

    def stop(self) -> None:
        """Forward the signal (SIGTERM by default) to every service, then wait; kill stragglers."""
        forwarded = self.stop_signal if self.stop_signal is not None else signal.SIGTERM
        for _, process in self.processes:
            process.send_signal(forwarded)  # a no-op once the process has ended
        deadline = time.monotonic() + STOP_TIMEOUT
        for _, process in self.processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def prepare_secrets(app: Flask) -> None:
    """In demo mode (``MICROCRED_DEMO=1``, as ``make run`` sets), say so, and give both services
    the instance folder's secret key (made once) unless ``MICROCRED_SECRET_KEY`` is set. Then
    refuse what the services would refuse (``InsecureSettings``), before any of them starts."""
    if app.config["DEMO"]:
        note(DEMO_NOTICE)
        os.environ.setdefault(SECRET_ENV, instance_secret(Path(app.instance_path)))
        app.config["SECRET_KEY"] = os.environ[SECRET_ENV]
    check_server_secrets(app.config)


def say(line: str) -> None:
    """A line on stdout, flushed at once (whoever reads our output sees it now)."""
    print(line, flush=True)


def note(line: str) -> None:
    """A line on stderr."""
    print(line, file=sys.stderr, flush=True)


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m issuer.run", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--host", default="127.0.0.1", help="the address to bind")
    parser.add_argument("--port", type=int, default=5000, help="the issuer's port")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per service")
    parser.add_argument(
        "--ready-timeout", type=float, default=READY_TIMEOUT, help="seconds to wait for start-up"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run everything in the foreground; the exit status (0 after Ctrl-C or SIGTERM)."""
    arguments = parse_arguments(argv)
    host = arguments.host
    todo = services(host, arguments.port)
    os.environ.setdefault("MICROCRED_ISSUER_URL", f"http://localhost:{arguments.port}")
    os.environ.setdefault("MICROCRED_VERIFIER_URL", f"http://localhost:{arguments.port + 1}")
    if not os.environ.get("MICROCRED_KEY_PASSPHRASE"):
        note("error: set MICROCRED_KEY_PASSPHRASE to the passphrase that seals the signing keys")
        return 2
    busy = [s for s in todo if not port_is_free(host, s.port)]
    if busy:
        where = ", ".join(f"{host}:{s.port} ({s.name})" for s in busy)
        note(f"error: {where} in use: is the issuer running already? (choose with --port)")
        return 2

    runner = Runner()
    previous = {
        signum: signal.signal(signum, runner.on_signal)
        for signum in (signal.SIGINT, signal.SIGTERM)
    }
    # This app lives as long as we do: resumed bulk jobs run in its worker threads.
    app = create_app({"BULK_WORKER": "thread", "CHECK_SECRETS": False})
    try:
        try:
            prepare_secrets(app)
        except InsecureSettings as error:
            note(f"error: {error}")
            return 2
        try:
            with app.app_context():
                setup = ensure_demo(app)
                for line in describe_demo(setup):
                    note(line)
                resumed = bulk.resume_stale_jobs(app, stale_after=RESUME_STALE_AFTER)
                registry = demo_registry_env(app)
            todo = [
                replace(s, env={**s.env, **registry}) if s.name == "verifier" else s for s in todo
            ]
            verifier_env = next(s.env for s in todo if s.name == "verifier")
            settings_file = write_verifier_env(app, verifier_env)
        except (ApiError, KeysError, SQLAlchemyError, subprocess.SubprocessError) as error:
            note(f"error: cannot prepare the database: {getattr(error, 'message', error)}")
            return 2
        if resumed:
            note(f"resuming bulk jobs {', '.join(map(str, resumed))} left running")
        if runner.stopping.is_set():
            return 0
        runner.start(host, todo, arguments.workers)
        problem = runner.wait_ready(host, arguments.ready_timeout)
        if problem is not None:
            if runner.stop_signal is not None:
                return 0
            note(f"error: {problem}")
            return 1
        for service in todo:
            say(f"{service.name}: {url_of(host, service)}")
        say(f"token: {setup.token}")
        note(
            f"microcred verify uses the verifier's trust settings after "
            f"`set -a; . {settings_file}; set +a`"
        )
        note("running; press Ctrl-C to stop")
        died = runner.run_until_stopped()
        if died is not None:
            note(f"error: {died.name} stopped unexpectedly; stopping the others")
            return 1
        return 0
    finally:
        runner.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)


if __name__ == "__main__":
    sys.exit(main())
