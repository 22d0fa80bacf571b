"""Failed sign-ins counted per client address.

django-axes locks a username at one address after ``AXES_FAILURE_LIMIT``
failures, so a stranger elsewhere cannot lock a colleague (or the
administrator) out. What stops one address from trying many usernames is this
throttle: after ``SIGNIN_IP_FAILURE_LIMIT`` failures within
``SIGNIN_IP_WINDOW_SECONDS`` the address may not try again until the window
has passed. The counts live in the cache, which is shared by all workers in
production (Redis).
"""

from __future__ import annotations

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def _key(request: HttpRequest) -> str:
    return f"signin-failures:{get_client_ip_address(request) or 'unknown'}"


def blocked(request: HttpRequest) -> bool:
    return (cache.get(_key(request)) or 0) >= settings.SIGNIN_IP_FAILURE_LIMIT


def count_failure(request: HttpRequest) -> None:
    key = _key(request)
    if cache.add(key, 1, timeout=settings.SIGNIN_IP_WINDOW_SECONDS):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=settings.SIGNIN_IP_WINDOW_SECONDS)
