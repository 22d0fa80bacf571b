"""The load run: gunicorn on a free loopback port, locust against it, both bounded.

gunicorn runs as production would (DEBUG off, hashed static files collected
into a folder of its own, one file cache shared by the workers, persistent
database connections), but over plain HTTP on 127.0.0.1.
"""

from __future__ import annotations

import csv
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from django.conf import settings

LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/login/", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"gunicorn did not answer on {url} within {seconds:.0f} s")


def _ms(value: str) -> float | None:
    return round(float(value), 1) if value not in ("", "N/A") else None


SIGN_IN = {"sign-in page", "sign in"}


def request_percentiles(path: Path) -> dict:
    """Exact percentiles from the locustfile's request log: all requests, and the
    pages caseworkers browse once signed in."""
    from evaluation.perf.measure import percentile

    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    out = {}
    for key, chosen in (
        ("all", rows),
        ("browsing", [r for r in rows if r["name"] not in SIGN_IN]),
        ("sign_in", [r for r in rows if r["name"] == "sign in"]),
    ):
        times = [float(r["ms"]) for r in chosen]
        out[key] = {
            "requests": len(times),
            "errors": sum(int(r["failed"]) for r in chosen),
            "p50_ms": round(percentile(times, 50), 1) if times else None,
            "p95_ms": round(percentile(times, 95), 1) if times else None,
        }
    return out


def parse_stats(path: Path) -> dict:
    """Locust's ``*_stats.csv``: the aggregate and each page."""
    pages = {}
    total = None
    with path.open(newline="") as f:
        for row in csv.DictReader(f):
            entry = {
                "requests": int(row["Request Count"]),
                "errors": int(row["Failure Count"]),
                "rps": round(float(row["Requests/s"]), 2),
                "p50_ms": _ms(row["50%"]),
                "p95_ms": _ms(row["95%"]),
            }
            if row["Name"] == "Aggregated":
                total = entry
            else:
                pages[row["Name"]] = entry
    if total is None:
        raise RuntimeError(f"{path} has no Aggregated row")
    return {**total, "pages": pages}


def run_load(
    *,
    database_url: str,
    password: str,
    usernames: list[str],
    users: int = 50,
    seconds: int = 120,
    workers: int = 4,
    # Caseworkers sign in one after another, not all in the same second.
    spawn_rate: int = 2,
    log: Callable[[str], None] = print,
) -> dict:
    """``users`` caseworkers for ``seconds`` against gunicorn with ``workers`` workers."""
    base = settings.BASE_DIR
    with tempfile.TemporaryDirectory(prefix="bench-load-") as folder:
        cache = Path(folder) / "cache"
        cache.mkdir()
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_STATIC_MANIFEST": "1",
            "DJANGO_HTTPS": "0",
            "DJANGO_CACHE_DIR": str(cache),
            "DATABASE_CONN_MAX_AGE": "60",
            "APP_VAR_DIR": folder,
        }
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=base,
            env=env,
            check=True,
        )
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server_log = Path(folder) / "gunicorn.log"
        with server_log.open("w") as out:
            server = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "config.wsgi",
                    "--workers",
                    str(workers),
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--log-level",
                    "warning",
                ],
                cwd=base,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
            try:
                _wait_until_up(url, 60)
                log(f"  gunicorn ({workers} workers) on {url}; locust: {users} users, {seconds} s")
                prefix = Path(folder) / "locust"
                request_log = Path(folder) / "requests.csv"
                locust_env = {
                    **os.environ,
                    "BENCH_USERNAMES": ",".join(usernames[:users]),
                    "BENCH_PASSWORD": password,
                    "BENCH_REQUEST_LOG": str(request_log),
                }
                started = time.perf_counter()
                subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "locust",
                        "-f",
                        str(LOCUSTFILE),
                        "--headless",
                        "-u",
                        str(users),
                        "-r",
                        str(spawn_rate),
                        "-t",
                        f"{seconds}s",
                        "--host",
                        url,
                        "--csv",
                        str(prefix),
                        "--only-summary",
                        "--stop-timeout",
                        "10",
                        "--loglevel",
                        "WARNING",
                    ],
                    cwd=base,
                    env=locust_env,
                    timeout=seconds + 120,
                    check=False,
                )
                elapsed = time.perf_counter() - started
                stats = parse_stats(Path(f"{prefix}_stats.csv"))
                exact = request_percentiles(request_log)
            finally:
                server.terminate()
                try:
                    server.wait(30)
                except subprocess.TimeoutExpired:
                    server.kill()
        errors = server_log.read_text()[-3000:]
    return {
        "users": users,
        "seconds": seconds,
        "wall_seconds": round(elapsed, 1),
        "workers": workers,
        "spawn_rate": spawn_rate,
        **stats,
        # Exact, from every request; "p95_ms" above is locust's own (rounded) figure.
        "exact": exact,
        "server_log_tail": errors if stats["errors"] else "",
    }
