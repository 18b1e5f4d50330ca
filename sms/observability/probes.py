"""First in ``MIDDLEWARE``: the health endpoints, and ``/metrics`` for an allowed scraper,
are answered before the rest of the stack.

Probes and scrapers address one process by its IP over plain HTTP (a container's
healthcheck, nginx, Prometheus on the same machine). Further down, ``ALLOWED_HOSTS`` would
refuse their ``Host: 127.0.0.1`` with a 400 and the HTTPS redirect would send them a 301,
so a healthy process would look dead. Nothing answered here reveals anything a host name
or TLS protects: the health answers carry no secret, and ``/metrics`` is answered only to
an allowed client; anyone else continues down the stack to the site's ordinary 404. Probe
traffic also stays out of the request metrics and access logs it would drown.
"""

from __future__ import annotations

from asgiref.sync import async_to_sync, iscoroutinefunction, sync_to_async
from django.utils.decorators import sync_and_async_middleware

from sms.observability import health, scrape

HEALTH_VIEWS = {
    health.LIVE_PATH: health.liveness,
    health.READY_PATH: health.readiness,
    health.CELERY_PATH: health.celery_readiness,
}


def probe_view(request):
    """The view that answers this request here, or None to pass it on."""
    if request.method not in ("GET", "HEAD"):
        return None
    path = request.path_info
    if path in HEALTH_VIEWS:
        return HEALTH_VIEWS[path]
    if path == scrape.PATH and scrape.metrics_allowed(request):
        return scrape.metrics
    return None


@sync_and_async_middleware
def ProbeMiddleware(get_response):  # noqa: N802 - a middleware is named like a class
    if iscoroutinefunction(get_response):

        async def middleware(request):
            view = probe_view(request)
            if view is None:
                return await get_response(request)
            if iscoroutinefunction(view):
                return await view(request)
            return await sync_to_async(view, thread_sensitive=False)(request)

    else:

        def middleware(request):
            view = probe_view(request)
            if view is None:
                return get_response(request)
            if iscoroutinefunction(view):
                return async_to_sync(view)(request)
            return view(request)

    return middleware
