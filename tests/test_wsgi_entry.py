"""The WSGI entry point (for servers that speak WSGI rather than ASGI) serves the site."""

import io

import pytest


@pytest.mark.django_db
def test_wsgi_application_serves_the_login_page():
    from sms.wsgi import application

    answered = {}

    def start_response(status, headers, exc_info=None):
        answered["status"], answered["headers"] = status, dict(headers)

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/accounts/login/",
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": io.StringIO(),
        "HTTP_HOST": "localhost",
    }

    body = b"".join(application(environ, start_response))

    assert answered["status"] == "200 OK"
    assert answered["headers"]["Content-Type"].startswith("text/html")
    assert b'name="password"' in body
