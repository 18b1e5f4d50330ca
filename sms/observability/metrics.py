"""The application's own Prometheus metrics, beside django-prometheus's request metrics
(the list, with what to watch, is in docs/operations.md, "Monitoring"):

- WebSockets: ``sms_websocket_connections`` (open now), ``sms_websocket_connects_total``
  by ``outcome`` (accepted, unauthenticated, unavailable);
- notifications: ``sms_notification_delivery_seconds`` (stored → pushed to the channel
  layer, one observation per notice), ``sms_notifications_pushed_total``,
  ``sms_notification_push_failures_total``;
- imports and exports: ``sms_import_rows_total`` and ``sms_import_rows_per_second`` by
  ``resource``; ``sms_job_duration_seconds`` and ``sms_job_failures_total`` by ``kind``
  (import, export) and ``step`` (an import's preview or apply, an export's run);
- Celery: ``sms_celery_task_duration_seconds`` and ``sms_celery_task_failures_total`` by
  ``task``.

Several processes: with ``PROMETHEUS_MULTIPROC_DIR`` set (to one folder for all the web
and worker processes of a machine, emptied when the stack starts), each process writes
its values to files there, named by process id, and ``/metrics``, served by any web
process, adds them all up. Containers each have their own folder (pids repeat from one
container to the next), so a worker's values cannot reach a web container's ``/metrics``:
with ``SMS_WORKER_METRICS_PORT`` set, the worker serves its own (those of all its pool
processes) on that port (``serve_worker_metrics``, connected in sms/celery.py).
"""

from __future__ import annotations

import atexit
import logging
import os
import time
from collections.abc import Iterable, Sequence

from django.utils import timezone

# prometheus_client writes to this folder from the first metric on; it must exist first.
MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
if MULTIPROC_DIR:
    os.makedirs(MULTIPROC_DIR, exist_ok=True)

from prometheus_client import (  # noqa: E402 - after the folder exists
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    multiprocess,
    start_http_server,
)

logger = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
JOB_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)
ROWS_PER_SECOND_BUCKETS = (100, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000)

WEBSOCKET_CONNECTIONS = Gauge(
    "sms_websocket_connections",
    "Open notification WebSockets.",
    multiprocess_mode="livesum",
)
WEBSOCKET_CONNECTS = Counter(
    "sms_websocket_connects",
    "WebSocket connection attempts by outcome (accepted, unauthenticated, unavailable).",
    ["outcome"],
)
DELIVERY_SECONDS = Histogram(
    "sms_notification_delivery_seconds",
    "Seconds from a notification stored to its push to the channel layer, per notice.",
    buckets=LATENCY_BUCKETS,
)
NOTIFICATIONS_PUSHED = Counter(
    "sms_notifications_pushed", "Notifications pushed to the channel layer."
)
PUSH_FAILURES = Counter(
    "sms_notification_push_failures",
    "Pushes to the channel layer that failed (the clients catch up on reconnect).",
)
IMPORT_ROWS = Counter("sms_import_rows", "Rows written by applied imports.", ["resource"])
IMPORT_ROWS_PER_SECOND = Histogram(
    "sms_import_rows_per_second",
    "Rows per second of each applied import (file rows over the apply's duration).",
    ["resource"],
    buckets=ROWS_PER_SECOND_BUCKETS,
)
JOB_DURATION = Histogram(
    "sms_job_duration_seconds",
    "Seconds each finished import or export step took.",
    ["kind", "step"],
    buckets=JOB_BUCKETS,
)
JOB_FAILURES = Counter("sms_job_failures", "Import and export steps that failed.", ["kind", "step"])
TASK_DURATION = Histogram(
    "sms_celery_task_duration_seconds",
    "Seconds each Celery task run took.",
    ["task"],
    buckets=JOB_BUCKETS,
)
TASK_FAILURES = Counter("sms_celery_task_failures", "Celery task runs that raised.", ["task"])

if MULTIPROC_DIR:

    @atexit.register
    def _forget_live_values() -> None:
        """A process that stops cleanly takes its open-socket count with it."""
        multiprocess.mark_process_dead(os.getpid())


# --- WebSockets ---------------------------------------------------------------------------
def websocket_opened() -> None:
    WEBSOCKET_CONNECTS.labels(outcome="accepted").inc()
    WEBSOCKET_CONNECTIONS.inc()


def websocket_closed() -> None:
    WEBSOCKET_CONNECTIONS.dec()


def websocket_refused(outcome: str) -> None:
    WEBSOCKET_CONNECTS.labels(outcome=outcome).inc()


# --- Notifications ------------------------------------------------------------------------
def notifications_pushed(groups: Iterable[Sequence], *, pushed: bool) -> None:
    """One observation per notice, not per recipient: a broadcast to 5,000 costs one
    (``notify`` gives all rows of a notice one ``created_at``)."""
    groups = [group for group in groups if group]
    if not pushed:
        PUSH_FAILURES.inc()
        return
    now = timezone.now()
    for rows in groups:
        DELIVERY_SECONDS.observe(max(0.0, (now - rows[0].created_at).total_seconds()))
        NOTIFICATIONS_PUSHED.inc(len(rows))


# --- Import and export jobs ---------------------------------------------------------------
def job_finished(kind: str, step: str, seconds: float) -> None:
    JOB_DURATION.labels(kind=kind, step=step).observe(seconds)


def job_failed(kind: str, step: str) -> None:
    JOB_FAILURES.labels(kind=kind, step=step).inc()


def import_applied(resource: str, *, rows_written: int, file_rows: int, seconds: float) -> None:
    job_finished("import", "apply", seconds)
    IMPORT_ROWS.labels(resource=resource).inc(rows_written)
    if seconds > 0 and file_rows:
        IMPORT_ROWS_PER_SECOND.labels(resource=resource).observe(file_rows / seconds)


# --- Celery tasks (connected in sms/celery.py) --------------------------------------------
_task_started: dict[str, float] = {}


def task_started(task_id: str | None = None, **_kwargs) -> None:
    if task_id:
        _task_started[task_id] = time.perf_counter()


def task_finished(task_id: str | None = None, task=None, **_kwargs) -> None:
    started = _task_started.pop(task_id, None)
    if started is not None and task is not None:
        TASK_DURATION.labels(task=task.name).observe(time.perf_counter() - started)


def task_failed(sender=None, **_kwargs) -> None:
    if sender is not None:
        TASK_FAILURES.labels(task=sender.name).inc()


# --- A worker's own endpoint (connected to worker_ready in sms/celery.py) ------------------
def serve_worker_metrics(**_kwargs):
    """With ``SMS_WORKER_METRICS_PORT`` set, serve this worker's metrics in Prometheus
    text format on that port (address ``SMS_WORKER_METRICS_ADDR``, loopback unless set),
    from a thread of the worker's main process: every pool process's values through
    ``PROMETHEUS_MULTIPROC_DIR``, or this process's without it. The server, or None when
    not asked for or when it cannot listen (the worker runs on; the reason is logged)."""
    port = os.environ.get("SMS_WORKER_METRICS_PORT", "").strip()
    if not port:
        return None
    address = os.environ.get("SMS_WORKER_METRICS_ADDR", "").strip() or "127.0.0.1"
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    try:
        server, _thread = start_http_server(int(port), addr=address, registry=registry)
    except (ValueError, OSError) as error:
        logger.error("worker metrics not served on %s:%s: %s", address, port, error)
        return None
    logger.info("worker metrics served on http://%s:%s/metrics", address, port)
    return server
