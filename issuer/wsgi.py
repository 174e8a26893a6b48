"""The issuer as a WSGI server runs it: ``gunicorn 'issuer.wsgi:create_server()'``.

The same app as :func:`issuer.app.create_app`, except that a setting unfit to serve
(``server_secrets.InsecureSettings``) ends the process with one line on stderr,
``error: <setting> …``, and exit status 4 — gunicorn's "App failed to load", on which it stops
instead of restarting the worker — rather than a traceback per worker.
"""

from __future__ import annotations

import sys

from flask import Flask

from issuer.app import create_app
from issuer.server_secrets import InsecureSettings

EXIT_APP_LOAD_ERROR = 4  # gunicorn.arbiter.Arbiter.APP_LOAD_ERROR


def create_server() -> Flask:
    """The issuer app from the environment; exits (status 4, one line) when it must not serve."""
    try:
        return create_app()
    except InsecureSettings as error:
        print(f"error: {error}", file=sys.stderr, flush=True)
        raise SystemExit(EXIT_APP_LOAD_ERROR) from None
