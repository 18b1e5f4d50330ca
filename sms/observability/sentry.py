"""Error reports to Sentry (or a compatible service), only when ``SENTRY_DSN`` is set.

``sms/settings.py`` calls ``init_sentry`` only then, so without a DSN the SDK is not even
imported. Reports carry the release (``sms.version.VERSION``), the environment
(``SENTRY_ENVIRONMENT``) and the request id as a tag; never personal data
(``send_default_pii=False``: no user names, addresses, cookies or request bodies).
Performance traces are off unless ``SENTRY_TRACES_SAMPLE_RATE`` (0–1) says otherwise.
"""

from __future__ import annotations

from typing import Any

from sms.observability.request_id import request_id_var
from sms.version import VERSION


def tag_request_id(event: dict[str, Any], _hint: dict[str, Any]) -> dict[str, Any]:
    """``before_send``: the request id, to find the report's log lines and the other way."""
    request_id = request_id_var.get()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    return event


def init_sentry(*, dsn: str, environment: str = "", traces_sample_rate: float = 0.0) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        release=VERSION,
        environment=environment or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        traces_sample_rate=traces_sample_rate,
        before_send=tag_request_id,
    )
