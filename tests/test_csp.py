"""The Content-Security-Policy header each kind of page is served with (the browser test,
tests/browser/test_csp.py, checks that the pages really pass it)."""

import re

import pytest
from django.test import Client

from tests.factories import AdminFactory

HEADER = "Content-Security-Policy"


def directives(response) -> dict[str, list[str]]:
    policy = response.headers[HEADER]
    parsed = {}
    for part in policy.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


@pytest.fixture
def admin_client(db):
    client = Client()
    client.force_login(AdminFactory())
    return client


@pytest.mark.parametrize("path", ["/", "/notifications/", "/bulk/exports/", "/admin/"])
def test_csp_pages_get_the_strict_policy(admin_client, path):
    response = admin_client.get(path)

    policy = directives(response)
    assert response.status_code == 200
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no nonce spent, no 'unsafe-inline'
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]


def test_csp_connect_src_allows_the_notification_socket_of_this_host_only(admin_client):
    response = admin_client.get("/", HTTP_HOST="localhost")

    assert directives(response)["connect-src"] == ["'self'", "ws://localhost", "wss://localhost"]


def test_csp_login_page_for_anonymous_visitors_is_strict_too(db):
    response = Client().get("/accounts/login/")

    assert response.status_code == 200
    assert directives(response)["script-src"] == ["'self'"]


def test_csp_api_docs_inline_script_carries_the_nonce_of_the_header(admin_client):
    response = admin_client.get("/api/docs/")

    (nonce,) = re.findall(r'<script nonce="([^"]+)">', response.content.decode())
    assert directives(response)["script-src"] == ["'self'", f"'nonce-{nonce}'"]
    assert "<style>" not in response.content.decode()


def test_csp_api_docs_nonce_changes_with_every_request(admin_client):
    first = directives(admin_client.get("/api/docs/"))["script-src"]
    second = directives(admin_client.get("/api/docs/"))["script-src"]

    assert first != second


def test_csp_browsable_api_may_use_inline_style_attributes_but_no_inline_script(admin_client):
    response = admin_client.get("/api/v1/notifications/", HTTP_ACCEPT="text/html")

    policy = directives(response)
    assert response["Content-Type"].startswith("text/html")
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["script-src"] == ["'self'"]


def test_csp_json_api_is_not_relaxed(admin_client):
    response = admin_client.get("/api/v1/notifications/", HTTP_ACCEPT="application/json")

    assert directives(response)["style-src"] == ["'self'"]
