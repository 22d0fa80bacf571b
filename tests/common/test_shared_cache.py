"""The cache that several gunicorn workers share (REDIS_URL).

Each step runs in a process of its own, as two workers would, against the
suite's PostgreSQL database and the Redis that REDIS_URL names. Without
either they skip, except under CI=true, where they fail: CI runs the suite
with both.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from tests.factories import TeamFactory, UserFactory, make_case

BASE_DIR = Path(__file__).resolve().parents[2]

STEP = """
import datetime as dt, json, sys
import django
django.setup()
from django.core.cache import cache
from common import data_version
from evaluation import dashboard
from integration.models import Team, User
from tests.factories import make_case

step, today = sys.argv[1], dt.date.fromisoformat(sys.argv[2])
user = User.objects.get(username="cache_manager")
filters = dashboard.DashboardFilters.default(today)
key = dashboard._key("figures", filters, today, data_version.current())
out = {}
if step in ("peek-and-write", "peek-and-dashboard"):
    out["cached"] = cache.get(key) is not None
if step == "peek-and-write":
    make_case(team=Team.objects.get(name="Cache team"), arrival=today, birth=dt.date(1985, 5, 5))
else:
    figures, _charts = dashboard.dashboard(user, filters, today)
    out["total"] = figures["in_programme"]["total"]
print(json.dumps(out))
"""


def _database_url() -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        _skip("the suite does not run on PostgreSQL")
    port = db.get("PORT") or 5432
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{port}/{db['NAME']}"


def _skip(problem: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{problem}; CI must run this test.")
    pytest.skip(problem)


def _redis_url() -> str:
    if not settings.REDIS_URL:
        _skip("REDIS_URL is not set")
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        _skip(f"Redis does not answer: {exc}")
    return settings.REDIS_URL


def _run(step: str, today: str, env: dict) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", STEP, step, today],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else {}


@pytest.mark.django_db(transaction=True)
def test_a_write_in_one_worker_invalidates_the_dashboard_another_worker_cached():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": _redis_url(),
        "CACHE_KEY_PREFIX": f"shared-cache-test-{uuid.uuid4().hex}",
    }
    team = TeamFactory(name="Cache team")
    UserFactory(username="cache_manager", team=team, role="manager")
    make_case(team=team)
    connection.close()  # the other processes see what this one committed
    today = "2026-11-30"

    first = _run("dashboard", today, env)
    # A second worker finds the figures the first one cached, and writes ...
    assert _run("peek-and-write", today, env) == {"cached": True}
    # ... which a third finds invalidated: it counts the figures afresh.
    second = _run("peek-and-dashboard", today, env)

    assert second == {"cached": False, "total": first["total"] + 1}
    client = redis.Redis.from_url(env["REDIS_URL"])
    keys = list(client.scan_iter(match=f"{env['CACHE_KEY_PREFIX']}:*"))
    if keys:
        client.delete(*keys)


def _settings_in(env: dict) -> subprocess.CompletedProcess:
    code = "from config import settings; print(settings.CACHES['default']['BACKEND'])"
    clean = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CACHE_KEY_PREFIX")}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "env, backend",
    [
        ({}, "django.core.cache.backends.locmem.LocMemCache"),
        ({"REDIS_URL": "redis://127.0.0.1:6379/0"}, "django.core.cache.backends.redis.RedisCache"),
    ],
    ids=["nothing-set", "redis"],
)
def test_the_cache_is_redis_when_redis_url_is_set_and_memory_otherwise(env, backend):
    done = _settings_in(env)

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == backend


def test_a_redis_url_that_is_no_redis_url_stops_the_app_with_its_name():
    done = _settings_in({"REDIS_URL": "http://127.0.0.1:6379"})

    assert done.returncode != 0
    assert "REDIS_URL must start with redis://" in done.stderr
