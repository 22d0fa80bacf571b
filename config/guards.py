"""A WSGI guard that refuses a request before Django parses any of it.

Two things are cheap to send and dear to parse:

- a Cookie header full of backslashes: Python's cookie parser before 3.11.10
  (CVE-2024-7592) takes quadratic time on it, and the host's interpreter may
  be older than ours; Django parses cookies on every request, signed in or not;
- a request body larger than any form or upload of the app.

The guard reads only the header's first bytes and the declared length, so it
answers in constant time whatever the interpreter. The reverse proxy should
hold the same limits (see the README's deployment section).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

REFUSED = {
    "400": ("400 Bad Request", b"Bad request: the Cookie header is too long or malformed.\n"),
    "413": ("413 Content Too Large", b"The request is larger than this service accepts.\n"),
}


class RequestGuard:
    def __init__(
        self,
        app: Callable,
        *,
        cookie_max_bytes: int,
        cookie_max_backslashes: int,
        body_max_bytes: int,
    ):
        self.app = app
        self.cookie_max_bytes = cookie_max_bytes
        self.cookie_max_backslashes = cookie_max_backslashes
        self.body_max_bytes = body_max_bytes

    def refusal(self, environ: dict) -> str | None:
        cookie = environ.get("HTTP_COOKIE", "")
        if len(cookie) > self.cookie_max_bytes:
            return "400"
        if cookie.count("\\", 0, self.cookie_max_bytes) > self.cookie_max_backslashes:
            return "400"
        declared = environ.get("CONTENT_LENGTH") or "0"
        if not declared.isdigit() or len(declared) > 12 or int(declared) > self.body_max_bytes:
            return "413"
        return None

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        code = self.refusal(environ)
        if code is None:
            return self.app(environ, start_response)
        status, body = REFUSED[code]
        start_response(
            status,
            [
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Length", str(len(body))),
                ("Connection", "close"),
            ],
        )
        return [body]


def guarded(app: Callable) -> RequestGuard:
    from django.conf import settings

    return RequestGuard(
        app,
        cookie_max_bytes=settings.COOKIE_HEADER_MAX_BYTES,
        cookie_max_backslashes=settings.COOKIE_HEADER_MAX_BACKSLASHES,
        body_max_bytes=settings.REQUEST_BODY_MAX_BYTES,
    )
