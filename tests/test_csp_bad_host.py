"""A request for a host the site does not serve is a 400 whose policy allows no socket."""

import pytest

HEADER = "Content-Security-Policy"


@pytest.mark.django_db
def test_csp_for_a_host_not_served_is_a_400_allowing_no_websocket(client):
    response = client.get("/accounts/login/", HTTP_HOST="evil.example")

    policy = response.headers[HEADER]
    assert response.status_code == 400
    assert "evil.example" not in policy
    assert "ws://" not in policy and "wss://" not in policy


@pytest.mark.django_db
def test_csp_for_the_site_itself_allows_its_own_websocket(client):
    response = client.get("/accounts/login/", HTTP_HOST="localhost")

    policy = response.headers[HEADER]
    assert response.status_code == 200
    assert "ws://localhost" in policy and "wss://localhost" in policy
