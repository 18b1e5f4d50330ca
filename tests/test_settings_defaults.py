"""Safe defaults: no key in the repository, DEBUG off unless set, HTTPS-only production
settings that `check --deploy` accepts, a plain-HTTP opt-out, and demo accounts only in
the demo run. Settings are read once per process, so each case starts a fresh one."""

from __future__ import annotations

import json
import os
import re
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from sms import runstack

BASE_DIR = Path(__file__).resolve().parent.parent
COMMON_SH = BASE_DIR / "scripts" / "lib" / "common.sh"
# Everything that configures the settings under test; the rest of the environment stays.
# What configures the app, plus the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE (set on import
# of tests/chromium.py), which a deployment check rightly refuses.
CONFIGURING = re.compile(
    r"^(DEBUG|SECRET_KEY|ALLOWED_HOSTS|CSRF_TRUSTED_ORIGINS|DATABASE_URL|REDIS_URL|"
    r"DJANGO_SETTINGS_MODULE|DJANGO_ALLOW_ASYNC_UNSAFE|SMS_.*|SECURE_.*|.*_COOKIE_SECURE)$"
)
PRODUCTION = {"DEBUG": "0", "ALLOWED_HOSTS": "example.org"}


def settings_env(tmp_path: Path, **values: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not CONFIGURING.match(key)}
    env.update(DJANGO_SETTINGS_MODULE="sms.settings", SMS_VAR_DIR=str(tmp_path), **values)
    return env


def run(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *argv],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def read_settings(env: dict[str, str], *names: str) -> dict:
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n, None) for n in {list(names)!r}}}))"
    )
    result = run(env, "-c", code)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def new_key() -> str:
    return secrets.token_urlsafe(50)


def test_settings_refuse_to_load_without_secret_key(tmp_path):
    result = run(settings_env(tmp_path), "manage.py", "check")

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert "scripts/run" in result.stderr


def test_settings_refuse_to_load_without_secret_key_even_with_debug_on(tmp_path):
    result = run(settings_env(tmp_path, DEBUG="1"), "manage.py", "check")

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_settings_refuse_to_load_without_allowed_hosts_when_debug_is_off(tmp_path):
    result = run(settings_env(tmp_path, SECRET_KEY=new_key()), "manage.py", "check")

    assert result.returncode != 0
    assert "ALLOWED_HOSTS is not set" in result.stderr


def test_settings_keep_debug_off_unless_set(tmp_path):
    env = settings_env(tmp_path, SECRET_KEY=new_key(), ALLOWED_HOSTS="example.org")

    unset = read_settings(env, "DEBUG")
    on = read_settings({**env, "DEBUG": "1"}, "DEBUG")

    assert unset == {"DEBUG": False}
    assert on == {"DEBUG": True}


def test_check_deploy_with_production_settings_reports_no_warning(tmp_path):
    env = settings_env(tmp_path, SECRET_KEY=new_key(), **PRODUCTION)

    result = run(env, "manage.py", "check", "--deploy")

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    issues = re.findall(r"\(([\w.]+)\) ", output)
    # drf-spectacular's deploy check reports OpenAPI documentation gaps of the API views,
    # not settings; whatever it says, Django's security checks must have nothing to say.
    assert [issue for issue in issues if not issue.startswith("drf_spectacular.")] == []


def test_production_settings_are_https_only_behind_the_proxy(tmp_path):
    env = settings_env(tmp_path, SECRET_KEY=new_key(), **PRODUCTION)

    values = read_settings(
        env,
        "SECURE_SSL_REDIRECT",
        "SECURE_PROXY_SSL_HEADER",
        "SECURE_HSTS_SECONDS",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
    )

    assert values == {
        "SECURE_SSL_REDIRECT": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SECURE_HSTS_SECONDS": 31536000,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
    }


def test_production_site_redirects_plain_http_and_serves_https_with_hsts(tmp_path):
    env = settings_env(tmp_path, SECRET_KEY=new_key(), **PRODUCTION)
    code = (
        "import django, json; django.setup(); from django.test import Client; c = Client(); "
        "plain = c.get('/accounts/login/', HTTP_HOST='example.org'); "
        "https = c.get('/accounts/login/', HTTP_HOST='example.org', "
        "HTTP_X_FORWARDED_PROTO='https'); "
        "print(json.dumps([plain.status_code, plain.get('Location'), https.status_code, "
        "https.get('Strict-Transport-Security')]))"
    )

    result = run(env, "-c", code)

    assert result.returncode == 0, result.stderr
    plain, location, secure, hsts = json.loads(result.stdout.splitlines()[-1])
    assert (plain, location) == (301, "https://example.org/accounts/login/")
    assert secure == 200
    assert hsts.startswith("max-age=31536000")


def test_plain_http_opt_out_turns_redirect_hsts_and_secure_cookies_off(tmp_path):
    env = settings_env(tmp_path, SECRET_KEY=new_key(), SMS_PLAIN_HTTP="1", **PRODUCTION)

    values = read_settings(
        env,
        "DEBUG",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
    )

    assert values == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": False,
        "SECURE_HSTS_SECONDS": 0,
        "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_SECURE": False,
    }


def bash(script: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {key: value for key, value in os.environ.items() if key != "DEBUG"}
    return subprocess.run(
        ["bash", "-c", f'source "{COMMON_SH}"; {script}'],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_demo_secret_key_is_generated_once_private_and_reused(tmp_path):
    first = bash(f'demo_secret_key "{tmp_path}"')
    second = bash(f'demo_secret_key "{tmp_path}"')

    key_file = tmp_path / "secret_key"
    assert first.returncode == 0, first.stderr
    assert len(first.stdout) >= 50
    assert second.stdout == first.stdout
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("debug", "demo"),
    [(None, True), ("1", True), ("true", True), ("0", False), ("", False), ("false", False)],
)
def test_run_command_is_the_demo_run_only_with_debug_unset_or_on(debug, demo):
    env = {} if debug is None else {"DEBUG": debug}

    result = bash("is_demo_run", **env)

    assert (result.returncode == 0) is demo


def test_runstack_banner_shows_demo_logins_only_in_the_demo_run():
    demo = "\n".join(runstack.banner("127.0.0.1", 8000, demo=True))
    production = "\n".join(runstack.banner("127.0.0.1", 8000, demo=False))

    assert "admin / admin" in demo
    assert "admin" not in production
    assert "ready: http://127.0.0.1:8000/" in production


def test_runstack_refuses_to_start_without_secret_key(tmp_path):
    env = settings_env(tmp_path, PORT=str(runstack.find_free_port()))

    result = run(env, "-m", "sms.runstack")

    assert result.returncode == 1
    assert "SECRET_KEY is not set" in result.stdout
