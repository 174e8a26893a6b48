"""Trusting a reverse proxy's word about the client: ``TRUSTED_PROXIES``.

Behind a reverse proxy that terminates TLS, the app sees plain http from the proxy's address.
When ``TRUSTED_PROXIES`` (``MICROCRED_TRUSTED_PROXIES``) is a number n > 0, werkzeug's
``ProxyFix`` takes the client's scheme and address from the last n ``X-Forwarded-Proto`` and
``X-Forwarded-For`` values: a request that reached the proxy over https is then https to the
app (its session cookie is Secure, see ``issuer.auth.staff``), and sign-in limits count the
real client. With 0 (the default) those headers are ignored: anyone can send them. (Gunicorn
has its own trust rule, ``--forwarded-allow-ips``, default 127.0.0.1, for the scheme alone: a
proxy on the same host that sends ``X-Forwarded-Proto: https`` makes the request https too.)
"""

from __future__ import annotations

import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

TRUSTED_PROXIES_ENV = "MICROCRED_TRUSTED_PROXIES"


def trusted_proxies(value: object) -> int:
    """The number of trusted proxies ``value`` names (a non-negative integer);
    ``ValueError`` otherwise."""
    text = str(value if value is not None else "").strip() or "0"
    if not text.isdigit():
        raise ValueError(f"{TRUSTED_PROXIES_ENV} must be a whole number of proxies, not {text!r}")
    return int(text)


def init_app(app: Flask) -> None:
    """Read ``TRUSTED_PROXIES`` (default: the environment, else 0) and, when it is above 0,
    wrap the app in ``ProxyFix`` trusting that many proxies for scheme and client address."""
    app.config.setdefault("TRUSTED_PROXIES", os.environ.get(TRUSTED_PROXIES_ENV, "0"))
    count = trusted_proxies(app.config["TRUSTED_PROXIES"])
    app.config["TRUSTED_PROXIES"] = count
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)  # type: ignore[method-assign]
