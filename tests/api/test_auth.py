"""Signing in to the API: JWT pairs, refresh rotation, lockout, CSRF and throttling."""

from __future__ import annotations

from django.test import RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework.throttling import UserRateThrottle

from apps.accounts.forms import AdminLoginForm
from tests.api.conftest import client_for
from tests.factories import PASSWORD

TOKEN_URL = "/api/v1/auth/token/"
REFRESH_URL = "/api/v1/auth/token/refresh/"
LOGIN_URL = "/accounts/login/"


def obtain(client: APIClient, username: str, password: str = PASSWORD):
    return client.post(TOKEN_URL, {"username": username, "password": password}, format="json")


def test_token_obtain_returns_pair_that_authenticates(teacher_user):
    client = APIClient()

    response = obtain(client, teacher_user.username)

    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    assert client.get("/api/v1/courses/").status_code == 200


def test_token_obtain_wrong_password_is_401(teacher_user):
    response = obtain(APIClient(), teacher_user.username, "wrong-password")

    assert response.status_code == 401
    assert "detail" in response.json()


def test_token_obtain_missing_fields_is_400_with_field_messages(db):
    response = APIClient().post(TOKEN_URL, {}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"username", "password"}


def test_token_refresh_rotates_and_refuses_used_token(teacher_user):
    client = APIClient()
    refresh = obtain(client, teacher_user.username).json()["refresh"]

    first = client.post(REFRESH_URL, {"refresh": refresh}, format="json")
    second = client.post(REFRESH_URL, {"refresh": refresh}, format="json")

    assert first.status_code == 200
    assert set(first.json()) == {"access", "refresh"}
    assert first.json()["refresh"] != refresh
    assert second.status_code == 401
    rotated = client.post(REFRESH_URL, {"refresh": first.json()["refresh"]}, format="json")
    assert rotated.status_code == 200


def test_token_blacklist_logs_the_refresh_token_out(teacher_user):
    client = APIClient()
    refresh = obtain(client, teacher_user.username).json()["refresh"]

    response = client.post("/api/v1/auth/token/blacklist/", {"refresh": refresh}, format="json")

    assert response.status_code == 200
    assert client.post(REFRESH_URL, {"refresh": refresh}, format="json").status_code == 401


def test_api_without_credentials_is_401_with_bearer_challenge(db):
    response = APIClient().get("/api/v1/students/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_api_with_garbage_token_is_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    response = client.get("/api/v1/students/")

    assert response.status_code == 401


def test_token_obtain_locks_out_after_five_failures(teacher_user):
    client = APIClient()
    failures = [obtain(client, teacher_user.username, "nope").status_code for _ in range(5)]

    locked = obtain(client, teacher_user.username)

    assert failures == [401] * 5
    assert locked.status_code == 429
    assert "Too many failed login attempts" in locked.json()["detail"]
    assert int(locked["Retry-After"]) > 800


def test_token_obtain_lockout_is_per_username(teacher_user, admin_user):
    client = APIClient()
    for _ in range(5):
        obtain(client, teacher_user.username, "nope")

    response = obtain(client, admin_user.username)

    assert response.status_code == 200


def test_token_obtain_success_resets_failure_count(teacher_user):
    client = APIClient()
    for _ in range(4):
        obtain(client, teacher_user.username, "nope")
    assert obtain(client, teacher_user.username).status_code == 200

    after = [obtain(client, teacher_user.username, "nope").status_code for _ in range(4)]

    assert after == [401] * 4
    assert obtain(client, teacher_user.username).status_code == 200


def test_token_obtain_locks_out_an_address_spraying_many_usernames(db, settings):
    settings.SMS_LOGIN_MAX_FAILURES_PER_IP = 3
    client = APIClient()
    for name in ("ghost1", "ghost2", "ghost3"):
        obtain(client, name, "nope")

    response = obtain(client, "ghost4", "nope")

    assert response.status_code == 429


def test_login_page_locks_out_after_five_failures_with_message(teacher_user, client):
    for _ in range(4):
        client.post(LOGIN_URL, {"username": teacher_user.username, "password": "nope"})

    fifth = client.post(LOGIN_URL, {"username": teacher_user.username, "password": "nope"})
    correct = client.post(LOGIN_URL, {"username": teacher_user.username, "password": PASSWORD})

    assert "Too many failed login attempts" in fifth.content.decode()
    assert correct.status_code == 200
    assert "Too many failed login attempts" in correct.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_page_and_api_share_the_failure_count(teacher_user, client):
    for _ in range(5):
        client.post(LOGIN_URL, {"username": teacher_user.username, "password": "nope"})

    response = obtain(APIClient(), teacher_user.username)

    assert response.status_code == 429


def test_login_page_signs_in_with_correct_password(teacher_user, client):
    response = client.post(LOGIN_URL, {"username": teacher_user.username, "password": PASSWORD})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(teacher_user.pk)


def test_session_write_without_csrf_token_is_403(admin_user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(admin_user)

    response = client.post(
        "/api/v1/students/",
        {"student_id": "CSRF1", "first_name": "A", "last_name": "B", "email": "a@b.org"},
        format="json",
    )

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_session_write_with_csrf_token_succeeds(admin_user):
    client = APIClient(enforce_csrf_checks=True)
    client.get(reverse("accounts:login"))  # the page sets the CSRF cookie
    client.force_login(admin_user)
    token = client.cookies["csrftoken"].value

    response = client.post(
        "/api/v1/students/",
        {"student_id": "CSRF1", "first_name": "A", "last_name": "B", "email": "a@b.org"},
        format="json",
        HTTP_X_CSRFTOKEN=token,
    )

    assert response.status_code == 201


def test_session_read_needs_no_csrf_token(teacher_user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(teacher_user)

    response = client.get("/api/v1/courses/")

    assert response.status_code == 200


def test_api_user_rate_limit_answers_429(teacher_user, monkeypatch):
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "3/minute"})
    client = client_for(teacher_user)

    statuses = [client.get("/api/v1/courses/").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]


def test_jwt_write_needs_no_csrf_token(admin_user):
    client = client_for(admin_user)

    response = client.post(
        "/api/v1/students/",
        {"student_id": "JWT1", "first_name": "A", "last_name": "B", "email": "jwt@b.org"},
        format="json",
    )

    assert response.status_code == 201


def spray(client: APIClient, names: list[str], address: str) -> None:
    for name in names:
        obtain_from(client, name, address)


def obtain_from(client: APIClient, username: str, address: str):
    return client.post(
        TOKEN_URL,
        {"username": username, "password": "nope"},
        format="json",
        HTTP_X_FORWARDED_FOR=address,
    )


def test_address_lockout_ignores_forwarded_for_without_trusted_proxy(db, settings):
    settings.SMS_LOGIN_MAX_FAILURES_PER_IP = 2
    client = APIClient()
    spray(client, ["ghost1", "ghost2"], "203.0.113.1")

    response = obtain_from(client, "ghost3", "203.0.113.2")

    assert response.status_code == 429


def test_address_lockout_uses_forwarded_for_behind_trusted_proxy(db, settings):
    settings.SMS_LOGIN_MAX_FAILURES_PER_IP = 2
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    client = APIClient()
    spray(client, ["ghost1", "ghost2"], "203.0.113.1")

    same = obtain_from(client, "ghost3", "203.0.113.1")
    other = obtain_from(client, "ghost4", "198.51.100.7, 203.0.113.2")

    assert same.status_code == 429
    assert other.status_code == 401


def test_admin_login_form_shares_the_lockout(admin_user):
    request = RequestFactory().post("/admin/login/")
    data = {"username": admin_user.username, "password": "nope"}
    for _ in range(5):
        AdminLoginForm(request, data=data).is_valid()

    form = AdminLoginForm(request, data={"username": admin_user.username, "password": PASSWORD})

    assert not form.is_valid()
    assert "Too many failed login attempts" in form.non_field_errors()[0]
