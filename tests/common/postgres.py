"""A real PostgreSQL server for the backup and restart tests.

These tests run the app in other processes (make, manage.py, gunicorn), each
against a database of its own on the server that DATABASE_URL names. Without
PostgreSQL they skip, except under CI=true, where they fail.
"""

from __future__ import annotations

import atexit
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest
from psycopg2 import sql

BASE_DIR = Path(__file__).resolve().parents[2]
PASSWORD = "restored-and-running-1"


def server_url() -> str:
    """DATABASE_URL when it is PostgreSQL and answers; otherwise skip (fail under CI)."""
    url = os.environ.get("DATABASE_URL", "")
    problem = None
    if urlsplit(url).scheme not in ("postgres", "postgresql"):
        problem = "DATABASE_URL is not a PostgreSQL database"
    else:
        try:
            psycopg2.connect(url_for(url, "postgres"), connect_timeout=3).close()
        except psycopg2.OperationalError as exc:
            problem = f"PostgreSQL does not answer: {exc}"
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{problem}; CI must run this test.")
        pytest.skip(problem)
    return url


def url_for(server: str, name: str) -> str:
    parts = urlsplit(server)
    return urlunsplit(parts._replace(path=f"/{name}"))


def name_prefix(server: str) -> str:
    """Databases of these tests are named after the suite's own database."""
    return urlsplit(server).path.lstrip("/") or "integration"


@contextmanager
def connected(url: str) -> Iterator:
    conn = psycopg2.connect(url, connect_timeout=5)
    conn.autocommit = True
    try:
        yield conn
    finally:
        conn.close()


def create_database(server: str, name: str) -> str:
    drop_database(server, name)
    with connected(url_for(server, "postgres")) as conn, conn.cursor() as cur:
        cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return url_for(server, name)


def drop_database(server: str, name: str) -> None:
    with connected(url_for(server, "postgres")) as conn, conn.cursor() as cur:
        cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def app_env(db_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of the app in another process: its own database and var/."""
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "APP_VAR_DIR": str(var_dir),
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_DEBUG": "0",
        **extra,
    }
    env.pop("DJANGO_CONFIGURATION", None)
    return env


def run(args: list[str], env: dict[str, str], *, check: bool = True, timeout: int = 300):
    result = subprocess.run(
        args, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=timeout
    )
    if check and result.returncode != 0:
        pytest.fail(
            f"{' '.join(args)} exited with {result.returncode}:\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result


def manage(*args: str, env: dict[str, str], check: bool = True, timeout: int = 300):
    return run([sys.executable, "manage.py", *args], env, check=check, timeout=timeout)


def migrate_and_seed(db_url: str, var_dir: Path) -> dict[str, str]:
    """A migrated database with the demo municipality; returns the app's environment."""
    env = app_env(db_url, var_dir)
    manage("migrate", "--noinput", "-v", "0", env=env)
    manage("seed_demo", "--password", PASSWORD, env=env)
    return env


# The demo database each server's tests copy, seeded once a session.
_seeded_templates: dict[str, str] = {}


def create_seeded_database(server: str, name: str, var_dir: Path) -> tuple[str, dict[str, str]]:
    """A database of its own with the demo municipality, and the app's
    environment on it: a copy (``CREATE DATABASE ... TEMPLATE``) of one
    migrated and seeded the first time a test asks, which took some 20 s of
    each test that needed one. The copy is dropped by the caller, the
    template when the session ends."""
    if server not in _seeded_templates:
        template = f"{name_prefix(server)}_demo_template"
        migrate_and_seed(create_database(server, template), var_dir / "template")
        atexit.register(drop_database, server, template)
        _seeded_templates[server] = template
    drop_database(server, name)
    with connected(url_for(server, "postgres")) as conn, conn.cursor() as cur:
        cur.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(_seeded_templates[server])
            )
        )
    db_url = url_for(server, name)
    return db_url, app_env(db_url, var_dir)


def table_rows(db_url: str) -> dict[str, int]:
    """Rows of every table of the public schema, counted here, not by the app."""
    with connected(db_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1"
        )
        tables = [name for (name,) in cur.fetchall()]
        counts = {}
        for name in tables:
            cur.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(name)))
            counts[name] = cur.fetchone()[0]
    return counts
