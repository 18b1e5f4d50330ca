"""Sentry only when SENTRY_DSN is set, with the release and without personal data."""

import json
import os
import subprocess
import sys
from pathlib import Path

import sentry_sdk

from sms.observability import request_id, sentry
from sms.version import VERSION

BASE_DIR = Path(__file__).resolve().parents[2]
# What a process reports about Sentry once Django is set up.
PROBE = """
import json, sys
import django
django.setup()
report = {"imported": "sentry_sdk" in sys.modules}
if report["imported"]:
    import sentry_sdk
    options = sentry_sdk.get_client().options
    report.update(release=options["release"], pii=options["send_default_pii"],
                  traces=options["traces_sample_rate"], active=sentry_sdk.get_client().is_active())
print(json.dumps(report))
"""


def _probe(tmp_path, **env) -> dict:
    full_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", **env}
    full_env["SMS_VAR_DIR"] = str(tmp_path)
    if "SENTRY_DSN" not in env:
        full_env.pop("SENTRY_DSN", None)
    done = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-c", PROBE],
        cwd=BASE_DIR,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_sentry_is_not_even_imported_without_a_dsn(tmp_path):
    assert _probe(tmp_path) == {"imported": False}


def test_sentry_starts_with_the_release_when_a_dsn_is_set(tmp_path):
    report = _probe(
        tmp_path,
        SENTRY_DSN="https://public-key@sentry.invalid/42",
        SENTRY_TRACES_SAMPLE_RATE="0.25",
    )

    assert report == {
        "imported": True,
        "release": VERSION,
        "pii": False,
        "traces": 0.25,
        "active": True,
    }


def test_init_sentry_passes_release_integrations_and_no_pii(monkeypatch):
    calls = []
    monkeypatch.setattr(sentry_sdk, "init", lambda **options: calls.append(options))

    sentry.init_sentry(dsn="https://key@sentry.invalid/1", environment="staging")

    (options,) = calls
    assert options["release"] == VERSION
    assert options["send_default_pii"] is False
    assert options["traces_sample_rate"] == 0.0
    assert options["environment"] == "staging"
    assert {type(i).__name__ for i in options["integrations"]} == {
        "DjangoIntegration",
        "CeleryIntegration",
    }


def test_sentry_report_is_tagged_with_the_request_id():
    token = request_id.request_id_var.set("req-sentry-1")
    try:
        event = sentry.tag_request_id({"message": "boom"}, {})
    finally:
        request_id.request_id_var.reset(token)

    assert event["tags"] == {"request_id": "req-sentry-1"}
