"""The Content-Security-Policy header: django-csp's middleware, plus what a fixed setting
cannot say.

The policy itself is ``CONTENT_SECURITY_POLICY`` in ``sms/settings.py``. Per response this
adds:

- ``connect-src ws://<host> wss://<host>`` for the notifications socket. CSP level 3 lets
  ``'self'`` cover a same-host WebSocket, but not every browser in schools does; the host
  is the request's, already checked against ``ALLOWED_HOSTS``.
- ``style-src 'unsafe-inline'`` for DRF's browsable API only: its templates (third party,
  for developers) position a few elements with ``style=""`` and inline the code
  highlighter's ``<style>``. Inline styles cannot run script, and scripts stay as strict
  there as everywhere else.

The API docs (Swagger UI) need no exception: ``templates/drf_spectacular/swagger_ui.html``
gives its one inline script the request's nonce.
"""

from __future__ import annotations

from csp.constants import UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
from django.core.exceptions import DisallowedHost
from rest_framework.renderers import BrowsableAPIRenderer


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        update = dict(parts.update or {})
        sockets = _websocket_sources(request)
        if sockets:
            update["connect-src"] = [*update.get("connect-src", ()), *sockets]
        if isinstance(getattr(response, "accepted_renderer", None), BrowsableAPIRenderer):
            update["style-src"] = [*update.get("style-src", ()), UNSAFE_INLINE]
        parts.update = update
        return parts


def _websocket_sources(request) -> list[str]:
    try:
        host = request.get_host()
    except DisallowedHost:  # already answered with a 400; no socket to allow
        return []
    return [f"ws://{host}", f"wss://{host}"]
