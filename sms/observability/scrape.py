"""``GET /metrics``: Prometheus text format, for the machine's own scraper only.

Allowed when the client address (``apps.accounts.throttling.client_ip``, so behind
``SMS_NUM_PROXIES`` proxies it is the address the outermost one reported) is loopback or
inside ``SMS_METRICS_ALLOWED_IPS`` (addresses or networks, comma-separated), or when the
request carries ``Authorization: Bearer <SMS_METRICS_TOKEN>``. Anyone else gets the site's
ordinary 404, as for a path that does not exist.

A request that came through a proxy while ``SMS_NUM_PROXIES`` is 0 (it has an
``X-Forwarded-For``) is never taken for a local one: its connection's address is the
proxy's, which is usually loopback, and would open the metrics to the whole Internet.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
from functools import cache

import redis
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from rest_framework.settings import api_settings

from apps.accounts.throttling import client_ip

logger = logging.getLogger(__name__)

PATH = "/metrics"


@cache
def _networks(spec: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in spec)


def allowed_networks() -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return _networks(tuple(settings.SMS_METRICS_ALLOWED_IPS))


def _has_token(request: HttpRequest) -> bool:
    token = settings.SMS_METRICS_TOKEN
    if not token:
        return False
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


def _address_allowed(request: HttpRequest) -> bool:
    if not api_settings.NUM_PROXIES and "HTTP_X_FORWARDED_FOR" in request.META:
        return False
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_loopback or any(address in network for network in allowed_networks())


def metrics_allowed(request: HttpRequest) -> bool:
    return _has_token(request) or _address_allowed(request)


class CeleryQueueCollector:
    """``sms_celery_queue_length``: messages waiting in the task queue, read from Redis
    when scraped (nothing while tasks run eagerly, nothing if Redis does not answer)."""

    def collect(self):
        if settings.CELERY_TASK_ALWAYS_EAGER or not settings.REDIS_URL:
            return
        queue = settings.CELERY_TASK_DEFAULT_QUEUE
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1
        )
        try:
            waiting = client.llen(queue)
        except redis.RedisError:
            logger.warning("Celery queue length unavailable: Redis did not answer")
            return
        finally:
            client.close()
        family = GaugeMetricFamily(
            "sms_celery_queue_length", "Celery messages waiting in the queue.", labels=["queue"]
        )
        family.add_metric([queue], waiting)
        yield family


def exposition() -> bytes:
    """Every process's values (``PROMETHEUS_MULTIPROC_DIR``) or this process's, then the
    queue length, in Prometheus text format."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        values = CollectorRegistry()
        multiprocess.MultiProcessCollector(values)
    else:
        values = REGISTRY
    queue = CollectorRegistry()
    queue.register(CeleryQueueCollector())
    return generate_latest(values) + generate_latest(queue)


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    if not metrics_allowed(request):
        raise Http404
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
