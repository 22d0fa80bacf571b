"""A real PostgreSQL server for the backup and restart tests.

These tests run the app in other processes (make, manage.py, gunicorn), each
against a database of its own on the server that DATABASE_URL names. Without
PostgreSQL they skip, except under CI=true, where they fail.
"""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest
from psycopg2 import sql

BASE_DIR = Path(__file__).resolve().parents[2]
PASSWORD = "restored-and-running-1"


def _problem(url: str) -> str | None:
    """Why ``url`` is not a PostgreSQL server that answers, or None."""
    if urlsplit(url).scheme not in ("postgres", "postgresql"):
        return "DATABASE_URL is not a PostgreSQL database"
    try:
        psycopg2.connect(url_for(url, "postgres"), connect_timeout=3).close()
    except psycopg2.OperationalError as exc:
        return f"PostgreSQL does not answer: {exc}"
    return None


def server_url() -> str:
    """DATABASE_URL when it is PostgreSQL and answers; otherwise skip (fail under CI)."""
    url = os.environ.get("DATABASE_URL", "")
    if problem := _problem(url):
        if os.environ.get("CI") == "true":
            pytest.fail(f"{problem}; CI must run this test.")
        pytest.skip(problem)
    return url


def url_for(server: str, name: str) -> str:
    parts = urlsplit(server)
    return urlunsplit(parts._replace(path=f"/{name}"))


def name_prefix(server: str) -> str:
    """Databases of these tests are named after the suite's own database, and
    after the pytest-xdist worker that makes them (each worker has its own,
    as pytest-django gives each its own test database)."""
    name = urlsplit(server).path.lstrip("/") or "integration"
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return f"{name}_{worker}" if worker else name


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


# The demo database each server's tests copy, seeded once a session. Its
# migrating and seeding (20-30 s) run in a process of their own from the
# start of the session (``start_seeded_template``, called by
# tests/conftest.py when a test marked ``demo_database`` is to run), beside
# the tests before the first that copies it.
_seeded_templates: dict[str, str] = {}
_seeding: dict[str, tuple[str, subprocess.Popen, Path]] = {}
SEED_TIMEOUT = 600
_SEED_SCRIPT = """
import subprocess, sys
for args in (["migrate", "--noinput", "-v", "0"], ["seed_demo", "--password", sys.argv[1]]):
    subprocess.run([sys.executable, "manage.py", *args], check=True)
"""


def start_seeded_template(server: str | None = None) -> None:
    """Begin migrating and seeding the demo template of ``server`` (None:
    DATABASE_URL's, if it is a PostgreSQL server that answers) in another
    process; ``create_seeded_database`` waits for it."""
    if server is None:
        server = os.environ.get("DATABASE_URL", "")
        if _problem(server):
            return
    if server in _seeded_templates or server in _seeding:
        return
    template = f"{name_prefix(server)}_demo_template"
    var_dir = Path(tempfile.mkdtemp(prefix="demo_template_"))
    env = app_env(create_database(server, template), var_dir)
    log = var_dir / "seed.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", _SEED_SCRIPT, PASSWORD],
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    _seeding[server] = (template, process, log)

    def clean_up() -> None:
        process.kill()
        process.wait()
        drop_database(server, template)
        shutil.rmtree(var_dir, ignore_errors=True)

    atexit.register(clean_up)


def _seeded_template(server: str) -> str:
    """The demo template of ``server``, once its seeding has ended well."""
    if server not in _seeded_templates:
        start_seeded_template(server)
        template, process, log = _seeding.pop(server)
        try:
            returncode = process.wait(timeout=SEED_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            pytest.fail(f"Seeding the demo database took over {SEED_TIMEOUT} s.")
        if returncode != 0:
            pytest.fail(f"Seeding the demo database failed:\n{log.read_text()[-3000:]}")
        _seeded_templates[server] = template
    return _seeded_templates[server]


def create_seeded_database(server: str, name: str, var_dir: Path) -> tuple[str, dict[str, str]]:
    """A database of its own with the demo municipality, and the app's
    environment on it: a copy (``CREATE DATABASE ... TEMPLATE``) of one
    migrated and seeded once a session, which took some 20 s of each test
    that needed one. The copy is dropped by the caller, the template when
    the session ends."""
    template = _seeded_template(server)
    drop_database(server, name)
    with connected(url_for(server, "postgres")) as conn, conn.cursor() as cur:
        cur.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
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
