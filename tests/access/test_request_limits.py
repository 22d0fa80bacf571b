"""Requests refused before Django parses them: slow cookies and large bodies.

The probe kept a gunicorn worker busy for 30 s with 16 cookies of 8,000
backslashes each, without signing in, and had a 60 MB anonymous POST to
/login/ accepted.
"""

from __future__ import annotations

import io
import time

import pytest
from django.urls import reverse

from config.guards import RequestGuard
from config.wsgi import application


def _environ(**extra) -> dict:
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/login/",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
    }
    environ.update(extra)
    return environ


def _call(app, environ) -> tuple[str, bytes]:
    got = {}

    def start_response(status, headers):
        got["status"] = status

    body = b"".join(app(environ, start_response))
    return got["status"], body


def _never(environ, start_response):
    raise AssertionError("the guarded app must not be reached")


GUARD = RequestGuard(_never, cookie_max_bytes=8192, cookie_max_backslashes=64, body_max_bytes=1000)


def test_the_probes_cookie_header_is_refused_before_django_and_in_no_time():
    backslashes = chr(92) * 8000
    cookie = "; ".join(f"c{i}={backslashes}" for i in range(16))
    started = time.perf_counter()
    status, _body = _call(GUARD, _environ(HTTP_COOKIE=cookie))
    assert status.startswith("400")
    assert time.perf_counter() - started < 0.5


def test_many_backslashes_in_a_short_cookie_are_refused():
    status, _ = _call(GUARD, _environ(HTTP_COOKIE='a="' + "\\\\" * 40 + '"'))
    assert status.startswith("400")


def test_a_body_declared_larger_than_the_limit_is_refused_unread():
    environ = _environ(REQUEST_METHOD="POST", CONTENT_LENGTH="1001")
    assert _call(GUARD, environ)[0].startswith("413")
    assert _call(GUARD, _environ(CONTENT_LENGTH="not-a-number"))[0].startswith("413")


@pytest.mark.django_db
def test_the_deployed_application_is_guarded_and_serves_ordinary_requests():
    cookie = "csrftoken=abc; sessionid=" + "\\" * 500
    assert _call(application, _environ(HTTP_COOKIE=cookie))[0].startswith("400")
    status, body = _call(application, _environ(HTTP_COOKIE="django_language=da"))
    assert status.startswith("200")
    assert b"<form" in body


@pytest.mark.django_db
def test_an_anonymous_large_post_to_sign_in_is_refused(client_as):
    big = "x" * (70 * 1024)
    response = client_as(None).post(reverse("login"), {"username": big, "password": "p"})
    assert response.status_code == 413


@pytest.mark.django_db
def test_a_signed_in_user_may_send_a_larger_form(caseworker_a, client_as):
    response = client_as(caseworker_a).post(
        reverse("set_language"), {"language": "da", "x": "y" * 70_000}
    )
    assert response.status_code == 302
