"""How gunicorn runs the verifier: ``gunicorn -c python:verifier.gunicorn_conf
'verifier.wsgi:create_server()'`` (``make run`` and the benchmarks do).

- **Threads, not sync workers.** A sync worker is held by one client for as long as that client
  takes to send its request: twenty clients dripping an upload a byte at a time would hold every
  worker, and gunicorn's timeout would then kill workers in the middle of other requests. A
  threaded worker gives each connection a thread of its own and answers from the others
  meanwhile: with :data:`threads` threads per worker, up to ``threads - 1`` slow clients per
  worker cannot starve it (connections that send nothing yet wait in gunicorn's poller, not in
  a thread). Facing the Internet, put a buffering reverse proxy (nginx with
  ``client_header_timeout`` / ``client_body_timeout``) in front, as gunicorn's own
  documentation advises: then no slow client reaches gunicorn at all.
- **Threads that take turns.** Verification is CPU work under one GIL per worker, so threads add
  no CPU; run side by side they only share it in 5 ms slices and make the slowest requests
  wait for all the others (the p99 of docs/performance.md). The worker is therefore
  ``verifier.gunicorn_worker.TurnWorker``: gunicorn's ``gthread`` worker whose threads run one
  request's Python at a time, in arrival order, and give up that turn whenever they wait (a
  slow client's socket, a guarded fetch, a photo or PDF being read); long work (the heavy lane,
  a body over 128 kB or chunked) shares it, running beside the others (``verifier.cpu_turn``).
  What bounds each request's CPU is ``verifier.limits``.
  :data:`sendfile` is off so that every byte sent goes through those waits.
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

worker_class = "verifier.gunicorn_worker.TurnWorker"
threads = 32
timeout = 60
keepalive = 5
sendfile = False
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
