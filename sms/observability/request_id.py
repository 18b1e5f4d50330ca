"""One id per request: on its response, on every log line it causes, and on the Celery
tasks it queues, so a support ticket's ``X-Request-ID`` finds everything that happened.

A valid incoming ``X-Request-ID`` (from the proxy, or a client retrying) is kept; anything
else (missing, too long, characters outside ``A-Z a-z 0-9 . _ : -``) is replaced by a new
one, so a client cannot inject text into the logs through it. The id lives in a context
variable for the request's duration; ``sms.observability.logs`` reads it into each record.

Celery: ``before_task_publish`` copies the id into the task message's headers and
``task_prerun`` adopts it in the worker for the task's duration (``task_postrun`` restores
what was there). An eager task (the unit tests, a shell) runs inside the request, whose id
it simply keeps.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from contextvars import ContextVar, Token
from typing import Any

from django.conf import settings
from django.utils.functional import SimpleLazyObject, empty
from django.utils.log import log_response

HEADER = "X-Request-ID"
CELERY_HEADER = "sms_request_id"
MAX_LENGTH = 128
_VALID = re.compile(r"[A-Za-z0-9._:-]+")

request_id_var: ContextVar[str] = ContextVar("sms_request_id", default="")
request_var: ContextVar[Any] = ContextVar("sms_request", default=None)
task_var: ContextVar[tuple[str, str] | None] = ContextVar("sms_task", default=None)

access_logger = logging.getLogger("sms.requests")


def new_request_id() -> str:
    return uuid.uuid4().hex


def valid_request_id(value: str | None) -> bool:
    return bool(value) and len(value) <= MAX_LENGTH and _VALID.fullmatch(value) is not None


def current_request_id() -> str:
    return request_id_var.get()


def known_user_id(request) -> int | None:
    """The user's id if something in this request already looked the user up; never
    queries the database for it (an anonymous page, a health probe stay query-free)."""
    if request is None:
        return None
    user = request.__dict__.get("user")
    if user is None:
        return None
    if isinstance(user, SimpleLazyObject):
        if user._wrapped is empty:
            return None
        user = user._wrapped
    if not getattr(user, "is_authenticated", False):
        return None
    return user.pk


class RequestIdMiddleware:
    """Early in ``MIDDLEWARE``: the id is set before anything can log, and every response,
    redirects and refusals included, carries it. With ``SMS_LOG_REQUESTS`` (on with JSON
    logs) each gets one access log line: method, path without its query string, status,
    duration."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get(HEADER)
        request_id = incoming if valid_request_id(incoming) else new_request_id()
        request.request_id = request_id
        id_token, request_token = request_id_var.set(request_id), request_var.set(request)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[HEADER] = request_id
            if response.status_code >= 400:
                # What Django's handler logs once the middleware is done, but here, where
                # the line still gets the request id.
                log_response(
                    "%s: %s",
                    response.reason_phrase,
                    request.path,
                    response=response,
                    request=request,
                )
            if settings.SMS_LOG_REQUESTS:
                log_request(request, response.status_code, time.perf_counter() - started)
            return response
        finally:
            request_var.reset(request_token)
            request_id_var.reset(id_token)


def log_request(request, status: int, seconds: float) -> None:
    duration_ms = round(seconds * 1000, 1)
    # The path only: a query string may carry a token (the WebSocket's ?token=…).
    access_logger.info(
        "%s %s %s %.1f ms",
        request.method,
        request.path,
        status,
        duration_ms,
        extra={
            "method": request.method,
            "path": request.path,
            "status": status,
            "duration_ms": duration_ms,
        },
    )


# --- Celery (connected in sms/celery.py) -----------------------------------------------
_task_tokens: dict[str, tuple[Token | None, Token]] = {}


def add_to_task_headers(headers: dict | None = None, **_kwargs) -> None:
    """``before_task_publish``: the queuing request's id travels with the message."""
    request_id = request_id_var.get()
    if request_id and headers is not None:
        headers.setdefault(CELERY_HEADER, request_id)


def _from_task_request(task_request) -> str:
    value = getattr(task_request, CELERY_HEADER, None)
    if value is None:
        value = (getattr(task_request, "headers", None) or {}).get(CELERY_HEADER)
    return value if valid_request_id(value) else ""


def adopt_for_task(task_id: str | None = None, task=None, **_kwargs) -> None:
    """``task_prerun``: the task's log lines carry the id of the request that queued it."""
    if task is None or task_id is None:
        return
    request_id = _from_task_request(task.request)
    id_token = request_id_var.set(request_id) if request_id else None
    _task_tokens[task_id] = (id_token, task_var.set((task.name, task_id)))


def release_for_task(task_id: str | None = None, **_kwargs) -> None:
    """``task_postrun``: back to what the process had before (nothing, or the request of
    an eager task)."""
    tokens = _task_tokens.pop(task_id, None)
    if tokens is None:
        return
    id_token, task_token = tokens
    try:
        task_var.reset(task_token)
        if id_token is not None:
            request_id_var.reset(id_token)
    except ValueError:  # set in another context (a pool that moved the task): just clear
        task_var.set(None)
        request_id_var.set("")
