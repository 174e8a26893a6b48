"""How gunicorn runs the issuer: ``gunicorn -c python:issuer.gunicorn_conf
'issuer.wsgi:create_server()'`` (the Procfile's line, so ``make run`` and the benchmarks do).

- **Threads, not sync workers.** An issuance waits on its database for about half of its time
  (some twenty statements and a commit: the learner, the status entries, the credential, its
  share link, the audit event). A sync worker sits idle through every one of those waits; a
  ``gthread`` worker answers another request meanwhile, so two workers keep both cores busy
  (``bench/http_load.py``: about twice the issues per second of sync workers on the same
  machine, PostgreSQL). The signing and the checks are CPU work under one GIL per worker, so
  more threads add no CPU: :data:`threads` is what covers the database waits of the requests in
  flight, and stays below the connections each process's database pool hands out (SQLAlchemy's
  default: 5 and 10 more), so no thread waits for a connection. Threads also keep a slow client
  (one dripping its request) from holding a whole worker, and kept-alive connections (HTTP
  keep-alive, which sync workers do not do) spare an API client a TCP handshake per request.
- The worker timeout is gunicorn's default; with threads it ends a worker only when its main
  loop stops answering, never for one slow request.
- **The loaded app is left out of garbage collection** (:func:`post_worker_init`): once a
  worker has loaded the app (Flask, SQLAlchemy's mappers, the pinned JSON-LD contexts and
  templates: a few hundred thousand objects that live as long as the process), ``gc.freeze()``
  moves them to the permanent generation, so the collections a request's garbage triggers no
  longer walk them each time (in process, an issuance's share of collection time went from
  about 0.4 ms to under 0.1 ms). Objects made later are collected as before.
- Requests are bounded before the app sees them: the request line at 4,094 bytes, 100 header
  fields of at most 8,190 bytes (gunicorn's defaults, stated here); bodies by the app.
"""

from __future__ import annotations

import gc
from typing import Any

worker_class = "gthread"
threads = 8
timeout = 30
keepalive = 5
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190


def post_worker_init(worker: Any) -> None:
    """Once the worker has loaded the app: collect, then freeze what survived (see the
    module)."""
    gc.collect()
    gc.freeze()
