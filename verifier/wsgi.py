"""The verifier as a WSGI server runs it: ``gunicorn 'verifier.wsgi:create_server()'``.

The same app as :func:`verifier.app.create_app`, except that a secret key unfit to serve
(``keys.server_secret.InsecureSettings``) ends the process with one line on stderr,
``error: MICROCRED_SECRET_KEY …``, and exit status 4 — gunicorn's "App failed to load", on which
it stops instead of restarting the worker — rather than a traceback per worker.
"""

from __future__ import annotations

import sys

from flask import Flask

from keys.server_secret import InsecureSettings
from verifier.app import create_app

EXIT_APP_LOAD_ERROR = 4  # gunicorn.arbiter.Arbiter.APP_LOAD_ERROR


def create_server() -> Flask:
    """The verifier app from the environment; exits (status 4, one line) when it must not
    serve."""
    try:
        return create_app()
    except InsecureSettings as error:
        print(f"error: {error}", file=sys.stderr, flush=True)
        raise SystemExit(EXIT_APP_LOAD_ERROR) from None
