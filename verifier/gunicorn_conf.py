"""How gunicorn runs the verifier: ``gunicorn -c python:verifier.gunicorn_conf
'verifier.wsgi:create_server()'`` (``make run`` and the benchmarks do).

- **Threads, not sync workers.** A sync worker is held by one client for as long as that client
  takes to send its request: twenty clients dripping an upload a byte at a time would hold every
  worker, and gunicorn's timeout would then kill workers in the middle of other requests. A
  ``gthread`` worker gives each connection a thread of its own and answers from the others
  meanwhile: with :data:`threads` threads per worker, up to ``threads - 1`` slow clients per
  worker cannot starve it (connections that send nothing yet wait in gunicorn's poller, not in
  a thread). Verification is CPU work under one GIL per worker, so threads add no CPU; what bounds
  each request's CPU is ``verifier.limits``. Facing the Internet, put a buffering reverse proxy
  (nginx with ``client_header_timeout`` / ``client_body_timeout``) in front, as gunicorn's own
  documentation advises: then no slow client reaches gunicorn at all.
- **Timeout above the budget.** One verification stops starting checks after
  ``MICROCRED_VERIFY_BUDGET`` (default 5 s); the step then running is bounded by the limits (about
  a second of CPU at most) or by the guarded fetcher's deadline (``MICROCRED_FETCH_DEADLINE``,
  default 10 s, for one fetch). :data:`timeout` is well above that sum, so it only ever ends a
  worker that is truly stuck (with threads, gunicorn restarts a worker only when its main loop
  stops answering, not for one slow request).
- Requests are bounded before the app sees them: the request line at 4,094 bytes, 100 header
  fields of at most 8,190 bytes (gunicorn's defaults, stated here); bodies by the app
  (``MAX_CONTENT_LENGTH``, and the 2 MB document limit read without reading further).
"""

from __future__ import annotations

worker_class = "gthread"
threads = 32
timeout = 60
keepalive = 5
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
