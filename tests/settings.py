"""Settings for the test run: the project's own, with development defaults.

The project's settings refuse to load without ``SECRET_KEY`` and keep ``DEBUG`` off unless
it is set (SPEC §7). The test run is a development run, so it gets ``DEBUG=1`` and a
throw-away key unless the environment sets them. They go into the environment, not only
into these settings, so the processes the tests start (runstack, daphne, Celery, manage.py)
inherit them. pytest-django names this module (pyproject.toml): a conftest is read only
after pytest-django has loaded the settings.
"""

import os
import secrets

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))

from sms.settings import *  # noqa: E402, F403

# The test process serves no requests through daphne; the daphne processes tests start load
# sms.settings and pool their connections as a deployed site does (sms/database.py).
SMS_POOL_WEB_CONNECTIONS = False
