"""The login lockout cannot be turned on others, and forged client addresses neither dodge
nor plant a lockout or a throttle, with or without a trusted proxy in front."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from rest_framework.test import APIClient

from apps.accounts import lockout
from apps.accounts.throttling import ScopedRateThrottle, client_ip
from tests.factories import PASSWORD

TOKEN_URL = "/api/v1/auth/token/"
LOGIN_URL = "/accounts/login/"
PROXY = "10.0.0.2"
ATTACKER = "203.0.113.66"
VICTIM = "198.51.100.5"


def via(address: str, num_proxies: int, forged: str | None = None) -> dict[str, str]:
    """The request META a client at ``address`` arrives with, directly or through one
    proxy that appends the address it saw; ``forged`` is what the client wrote itself."""
    if num_proxies == 0:
        meta = {"REMOTE_ADDR": address}
        if forged:
            meta["HTTP_X_FORWARDED_FOR"] = forged
        return meta
    chain = f"{forged}, {address}" if forged else address
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": chain}


def obtain(username: str, password: str, meta: dict[str, str]):
    payload = {"username": username, "password": password}
    return APIClient().post(TOKEN_URL, payload, format="json", **meta)


@pytest.fixture
def proxies(settings, request):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": request.param}
    return request.param


def test_lockout_from_one_address_leaves_the_account_open_elsewhere(admin_user):
    for _ in range(5):
        obtain(admin_user.username, "nope", {"REMOTE_ADDR": ATTACKER})

    from_attacker = obtain(admin_user.username, PASSWORD, {"REMOTE_ADDR": ATTACKER})
    from_victim = obtain(admin_user.username, PASSWORD, {"REMOTE_ADDR": VICTIM})

    assert from_attacker.status_code == 429
    assert "Too many failed login attempts" in from_attacker.json()["detail"]
    assert from_victim.status_code == 200


def test_lockout_from_one_address_leaves_the_login_page_open_elsewhere(teacher_user, client):
    for _ in range(5):
        obtain(teacher_user.username, "nope", {"REMOTE_ADDR": ATTACKER})

    response = client.post(
        LOGIN_URL,
        {"username": teacher_user.username, "password": PASSWORD},
        REMOTE_ADDR=VICTIM,
    )

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(teacher_user.pk)


def test_lockout_counts_usernames_case_insensitively_from_one_address(db):
    for name in ("Mallory", "mallory", " MALLORY", "mallory ", "MaLLoRy"):
        obtain(name, "nope", {"REMOTE_ADDR": ATTACKER})

    response = obtain("mallory", "nope", {"REMOTE_ADDR": ATTACKER})

    assert response.status_code == 429


@pytest.mark.parametrize("proxies", [0, 1], indirect=True)
def test_forged_forwarded_for_does_not_dodge_the_account_lockout(teacher_user, proxies):
    for n in range(5):
        obtain(teacher_user.username, "nope", via(ATTACKER, proxies, forged=f"192.0.2.{n}"))

    response = obtain(teacher_user.username, PASSWORD, via(ATTACKER, proxies, "192.0.2.99"))

    assert response.status_code == 429


@pytest.mark.parametrize("proxies", [0, 1], indirect=True)
def test_forged_forwarded_for_does_not_dodge_the_address_lockout(db, settings, proxies):
    settings.SMS_LOGIN_MAX_FAILURES_PER_IP = 3
    for n in range(3):
        obtain(f"ghost{n}", "nope", via(ATTACKER, proxies, forged=f"192.0.2.{n}"))

    response = obtain("ghost9", "nope", via(ATTACKER, proxies, forged="192.0.2.99"))

    assert response.status_code == 429


@pytest.mark.parametrize("proxies", [0, 1], indirect=True)
def test_forged_forwarded_for_does_not_plant_a_lockout_on_another_address(
    teacher_user, settings, proxies
):
    settings.SMS_LOGIN_MAX_FAILURES_PER_IP = 3
    for _ in range(5):
        obtain(teacher_user.username, "nope", via(ATTACKER, proxies, forged=VICTIM))

    victim = obtain(teacher_user.username, PASSWORD, via(VICTIM, proxies))
    attacker = obtain(teacher_user.username, PASSWORD, via(ATTACKER, proxies))

    assert victim.status_code == 200
    assert attacker.status_code == 429


@pytest.mark.parametrize("proxies", [0, 1], indirect=True)
def test_forged_forwarded_for_neither_dodges_nor_plants_the_login_throttle(
    teacher_user, monkeypatch, proxies
):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"login": "3/minute"})
    statuses = [
        obtain(teacher_user.username, PASSWORD, via(ATTACKER, proxies, forged=f"192.0.2.{n}"))
        for n in range(3)
    ]

    dodged = obtain(teacher_user.username, PASSWORD, via(ATTACKER, proxies, forged=VICTIM))
    victim = obtain(teacher_user.username, PASSWORD, via(VICTIM, proxies))

    assert [response.status_code for response in statuses] == [200, 200, 200]
    assert dodged.status_code == 429
    assert "throttled" in dodged.json()["detail"]
    assert victim.status_code == 200


def test_client_ip_behind_a_proxy_falls_back_to_the_proxy_for_a_non_address(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    factory = RequestFactory()

    garbage = factory.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="1.2.3.4, <script>")
    ipv6 = factory.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="2001:db8::7")

    assert client_ip(garbage) == PROXY
    assert client_ip(ipv6) == "2001:db8::7"


def test_register_failure_reports_the_lockout_only_for_the_address_it_came_from(db):
    results = [lockout.register_failure("alice", ATTACKER) for _ in range(5)]

    assert results[:4] == [0, 0, 0, 0]
    assert results[4] > 800
    assert lockout.seconds_locked("alice", ATTACKER) > 800
    assert lockout.seconds_locked("alice", VICTIM) == 0
