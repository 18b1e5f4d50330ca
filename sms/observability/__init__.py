"""What an operator watches: health probes, Prometheus metrics, request ids in JSON logs,
and error reports to Sentry. One module per job (docs/operations.md, "Monitoring"):

- ``probes``: answers ``/health/…`` and ``/metrics`` ahead of the other middleware;
- ``health``: liveness (no database) and readiness (database, Redis, cache, disk, Celery);
- ``metrics``: the application's own Prometheus metrics and the helpers that record them;
- ``scrape``: ``/metrics`` and who may read it;
- ``request_id``: the id of each request, on its response, its log lines and its tasks;
- ``logs``: the JSON log format and the filter that adds request id and user;
- ``sentry``: error reporting, only when ``SENTRY_DSN`` is set.
"""
