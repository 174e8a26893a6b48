"""The ``Procfile``'s services as ``make run`` starts them: which process, on which port, with
which settings, and the command line its shell line runs.

Kept apart from :mod:`demo.run` (which prepares the demo database and runs these services under
honcho) so that tests of a service's command line need neither app.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from honcho.environ import parse_procfile

PROCFILE = Path(__file__).resolve().parent.parent / "Procfile"
VARIABLE = re.compile(r"\$(?:\{(\w+)(?::-([^}]*))?\}|(\w+))")


@dataclass(frozen=True)
class Service:
    """One process of the Procfile as ``make run`` runs it: ``name`` is what the
    ``<name>: <url>`` line says; ``command`` its Procfile line (a shell command)."""

    name: str
    command: str
    host: str
    port: int
    ready_path: str  # any HTTP answer here means the service is up
    workers: int = 2
    env: Mapping[str, str] = field(default_factory=dict)  # its own settings

    @property
    def url(self) -> str:
        """Where the service answers."""
        return f"http://{self.host}:{self.port}"

    def environment(self, base: Mapping[str, str]) -> dict[str, str]:
        """``base`` with the service's settings and the Procfile's variables (``PYTHON``,
        ``HOST``, ``PORT``, ``WEB_CONCURRENCY``) added: what its process runs with."""
        return {
            **base,
            **self.env,
            "PYTHON": sys.executable,
            "HOST": self.host,
            "PORT": str(self.port),
            "WEB_CONCURRENCY": str(self.workers),
        }

    def argv(self, base: Mapping[str, str] | None = None) -> list[str]:
        """The command line the Procfile's shell line runs (its ``$VARIABLE``,
        ``${VARIABLE:-default}`` expanded from :meth:`environment` over ``base``)."""
        values = self.environment(os.environ if base is None else base)

        def value(match: re.Match[str]) -> str:
            return values.get(match[1] or match[3]) or (match[2] or "")

        words = shlex.split(VARIABLE.sub(value, self.command))
        return words[1:] if words[:1] == ["exec"] else words


def procfile(path: Path = PROCFILE) -> dict[str, str]:
    """The processes of the Procfile at ``path``: name → shell command (as honcho reads it)."""
    return dict(parse_procfile(path.read_text(encoding="utf-8")).processes)


def services(host: str, port: int, workers: int = 2, path: Path = PROCFILE) -> list[Service]:
    """Every service of the Procfile as ``make run`` starts it: the issuer on ``port``, the
    verifier on the next port.

    The verifier may reach this machine's issuer (a private address) and fetches its
    ``https://localhost:<port>`` did:web documents, share links and status lists over plain
    http — development settings only; a deployed verifier keeps the guarded defaults.
    """
    issuer_origin = f"http://{host}:{port}"
    rewrites = {
        f"https://localhost:{port}": issuer_origin,
        f"http://localhost:{port}": issuer_origin,
    }
    known = {
        "issuer": (port, "/.well-known/did.json", {"MICROCRED_BULK_WORKER": "queue"}),
        "verifier": (
            port + 1,
            "/healthz",
            {
                "MICROCRED_FETCH_ALLOW_PRIVATE": "1",
                "MICROCRED_FETCH_REWRITES": json.dumps(rewrites),
            },
        ),
    }
    commands = procfile(path)
    if set(commands) != {*known, "worker"}:
        raise ValueError(f"{path} must name exactly the processes {sorted({*known, 'worker'})}")
    return [
        Service(name, commands[name], host, at, ready, workers, env)
        for name, (at, ready, env) in known.items()
    ]


def worker_service(path: Path = PROCFILE) -> tuple[str, str]:
    """The Procfile's ``worker`` (the issuer's task queue, one process per core): its name and
    shell command. It serves no port: ``make run`` starts it beside the web services."""
    return "worker", procfile(path)["worker"]


def with_env(todo: Sequence[Service], name: str, extra: Mapping[str, str]) -> list[Service]:
    """``todo`` with ``extra`` added to the settings of service ``name``."""
    return [replace(s, env={**s.env, **extra}) if s.name == name else s for s in todo]
