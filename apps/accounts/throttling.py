"""The client's address, read one way for the login lockout and for every API throttle.

Behind ``NUM_PROXIES`` trusted reverse proxies (``SMS_NUM_PROXIES``), the client is the
entry the outermost of them wrote into X-Forwarded-For: the N-th from the right, as each
proxy appends (or, like the shipped nginx, replaces the header with) the address that
connected to it. Entries further left were written by the client and are ignored, so a
forged header can neither dodge a limit nor charge it to someone else. With the default
``0`` the header is not read at all and the address is the connection's own.

An entry in the trusted position that is not an IP address (a misconfigured proxy) is not
used as an identity either: the connection's address is.

The web server must not rewrite the connection's address from the header itself (daphne's
``--proxy-headers`` takes its *leftmost* entry, which any client can write).
"""

from __future__ import annotations

import ipaddress

from django.http import HttpRequest
from rest_framework import throttling
from rest_framework.settings import api_settings


def client_ip(request: HttpRequest | None) -> str:
    """The address the login lockout and the throttles count a request against."""
    if request is None:
        return ""
    remote = request.META.get("REMOTE_ADDR") or ""
    num_proxies = api_settings.NUM_PROXIES or 0
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if num_proxies <= 0 or not forwarded:
        return remote
    addresses = [address.strip() for address in forwarded.split(",")]
    candidate = addresses[-min(num_proxies, len(addresses))]
    return candidate if is_ip_address(candidate) else remote


def is_ip_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


class ClientAddressMixin:
    """DRF throttles identify anonymous clients by ``client_ip``, as the lockout does."""

    def get_ident(self, request) -> str:
        return client_ip(request)


class AnonRateThrottle(ClientAddressMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(ClientAddressMixin, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(ClientAddressMixin, throttling.ScopedRateThrottle):
    pass
