"""``manage.py bench [--sizes S M L]``: seed, measure and print the benchmark.

For each size a fresh PostgreSQL database ``bench_<size>`` is made on the
server of ``BENCH_DATABASE_URL`` (or of ``DATABASE_URL``), migrated, seeded
and measured in a child process of its own; at M a load run with locust
follows. The tables go to stdout and everything to ``var/bench/latest.json``;
sizes not run this time are kept from the file as it was, each with its date.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from evaluation.perf import targets
from evaluation.perf.measure import ALL_MEASURES
from evaluation.perf.seed import DEFAULT_SEED, SIZES

LOAD_SIZE = "M"
# At L each cold dashboard takes seconds; fewer of them keep the run bounded.
COLD_REQUESTS = {"S": 30, "M": 30, "L": 10}
# The measures printed per size; the admin change list and the pandas
# aggregation are printed as ratios beside the caseload and the database.
MEASURE_ORDER = [m for m in ALL_MEASURES if m not in ("admin_changelist", "aggregation")]


def _server_url() -> str:
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        raise CommandError(
            "The benchmark needs PostgreSQL: set BENCH_DATABASE_URL to a server's URL "
            "(its user must be allowed to create databases)."
        )
    return url


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _recreate(url: str, name: str) -> None:
    import psycopg2

    conn = psycopg2.connect(_with_database(url, "postgres"))
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()


def machine(url: str) -> dict:
    import psycopg2

    cpu = ""
    memory_gb = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    os_name = platform.platform()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    conn = psycopg2.connect(_with_database(url, "postgres"))
    try:
        with conn.cursor() as cursor:
            cursor.execute("SHOW server_version")
            postgres = cursor.fetchone()[0]
    finally:
        conn.close()
    return {
        "cpu": cpu or platform.processor(),
        "cores": os.cpu_count(),
        "memory_gb": memory_gb,
        "os": os_name,
        "python": platform.python_version(),
        "postgresql": postgres,
    }


class Command(BaseCommand):
    help = "Seed synthetic municipalities of 1,000, 10,000 and 100,000 citizens and measure them."
    # The parent only drives child processes; each child checks as it starts.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--sizes", nargs="+", choices=list(SIZES), default=list(SIZES))
        parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
        parser.add_argument(
            "--output", default=str(settings.VAR_DIR / "bench" / "latest.json"), help="JSON file"
        )
        parser.add_argument("--no-load", action="store_true", help="skip the locust run at M")
        parser.add_argument("--load-seconds", type=int, default=120)
        parser.add_argument("--load-users", type=int, default=50)
        parser.add_argument(
            "--reuse",
            action="store_true",
            help="measure the databases a previous run seeded, without seeding again",
        )
        # A child process measures one size in its own database.
        parser.add_argument("--one", choices=list(SIZES), help=argparse.SUPPRESS)
        parser.add_argument("--result", help=argparse.SUPPRESS)

    def handle(self, *args, **options):
        if options["one"]:
            self._one(options)
        else:
            self._all(options)

    def say(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()

    # --- the parent ------------------------------------------------------------------

    def _all(self, options) -> None:
        url = _server_url()
        output = Path(options["output"])
        output.parent.mkdir(parents=True, exist_ok=True)
        result = {"sizes": {}, "load": {}}
        if output.exists():
            try:
                previous = json.loads(output.read_text())
                result["sizes"] = previous.get("sizes", {})
                result["load"] = previous.get("load", {})
            except ValueError:
                pass
        password = secrets.token_urlsafe(18)
        started = time.perf_counter()
        result["machine"] = machine(url)
        for size in [s for s in SIZES if s in options["sizes"]]:
            data, database_url, load_users = self._size(size, url, password, result, options)
            result["sizes"][size] = data
            self.print_size(size, data)
            self._write(result, output)
            if size == LOAD_SIZE and not options["no_load"]:
                from evaluation.perf.load import run_load

                phase = time.perf_counter()
                self.say(f"\n== load run at {size} ==")
                load = run_load(
                    database_url=database_url,
                    password=password,
                    usernames=load_users,
                    users=options["load_users"],
                    seconds=options["load_seconds"],
                    log=self.say,
                )
                load["size"] = size
                load["date"] = dt.datetime.now().astimezone().isoformat(timespec="seconds")
                result["load"] = load
                self.print_load(load)
                self.say(f"  load run took {time.perf_counter() - phase:.0f} s")
                self._write(result, output)
        checked = self._write(result, output)
        self.print_ratios(result["ratios"])
        self.print_targets(checked)
        self.say(
            f"\nWritten to {output} after {time.perf_counter() - started:.0f} s "
            f"({result['machine']['cpu']}, {result['machine']['cores']} cores)."
        )

    def _size(self, size: str, url: str, password: str, result: dict, options) -> tuple:
        """Make, migrate, seed and measure one size in a child process."""
        name = f"bench_{size.lower()}"
        database_url = _with_database(url, name)
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "DJANGO_DEBUG": "0",
            "BENCH_PASSWORD": password,
        }
        self.say(f"\n== {size}: {SIZES[size]:,} citizens in database {name} ==")
        phase = time.perf_counter()
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        if not options["reuse"]:
            _recreate(url, name)
        subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True)
        migrate_seconds = time.perf_counter() - phase
        self.say(f"  database made and migrated in {migrate_seconds:.1f} s")
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
            child_result = Path(f.name)
        command = [*manage, "bench", "--one", size, "--result", str(child_result)]
        command += ["--requests", str(options["requests"]), "--seed", str(options["seed"])]
        if options["reuse"]:
            command.append("--reuse")
        try:
            subprocess.run(command, env=env, check=True)
            data = json.loads(child_result.read_text())
        except subprocess.CalledProcessError as exc:
            raise CommandError(f"Measuring {size} failed; see the output above.") from exc
        finally:
            child_result.unlink(missing_ok=True)
        if options["reuse"]:
            # Measured again on the data of the run that seeded it.
            before = result["sizes"].get(size, {})
            data["seed_seconds"] = before.get("seed_seconds")
            data["counts"] = before.get("counts", {})
            data["seed_reused"] = True
        data["migrate_seconds"] = round(migrate_seconds, 1)
        data["total_seconds"] = round(time.perf_counter() - phase, 1)
        return data, database_url, data.pop("load_usernames")

    def _write(self, result: dict, output: Path) -> list:
        """Write the file as it stands, so that a size that fails keeps the others."""
        result["date"] = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        result["sizes"] = {s: result["sizes"][s] for s in SIZES if s in result["sizes"]}
        result["ratios"] = targets.ratios(result["sizes"])
        checked = targets.check(result)
        result["targets"] = [
            {
                "size": t.size,
                "what": t.what,
                "figure": t.figure,
                "target": t.target,
                "verdict": t.verdict,
            }
            for t in checked
        ]
        output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        return checked

    def print_size(self, size: str, data: dict) -> None:
        seed_seconds = data.get("seed_seconds")
        seeded = f"{seed_seconds:.1f} s" if seed_seconds is not None else "an earlier run"
        self.say(
            f"\n{size}: {data['citizens']:,} citizens; seeded in {seeded}, "
            f"measured in {data['measure_seconds']:.0f} s"
        )
        self.say(f"  {'measure':<22}{'p50 ms':>9}{'p95 ms':>9}{'queries':>9}{'cpu ms':>9}   other")
        for name in MEASURE_ORDER:
            m = data["measures"].get(name)
            if m is None:
                continue
            if "error" in m:
                self.say(f"  {name:<22}ERROR {m['error']}")
            elif "p95_ms" in m:
                extra = f"{m['referrals']} referrals" if "referrals" in m else f"n={m['n']}"
                cpu = m.get("cpu_p50_ms", "")
                self.say(
                    f"  {name:<22}{m['p50_ms']:>9.1f}{m['p95_ms']:>9.1f}{m['queries']:>9}"
                    f"{cpu:>9}   {extra}"
                )
            elif "rows_per_s" in m:
                self.say(f"  {name:<58}{m['rows_per_s']:,} rows/s, database {m['database']}")
            elif "peak_rss_mb" in m:
                self.say(
                    f"  {name:<58}{m['seconds']:.2f} s (cpu {m.get('cpu_seconds', '-')} s), "
                    f"peak {m['peak_rss_mb']:.0f} MB"
                )
            else:
                self.say(f"  {name:<58}{m['seconds']:.3f} s")

    def print_load(self, load: dict) -> None:
        self.say(
            f"  {load['requests']} requests, {load['rps']} req/s, p50 {load['p50_ms']} ms, "
            f"p95 {load['p95_ms']} ms, {load['errors']} errors"
        )
        for key, part in load.get("exact", {}).items():
            self.say(
                f"    exact, {key:<9} {part['requests']:>6} requests, p50 {part['p50_ms']} ms, "
                f"p95 {part['p95_ms']} ms, {part['errors']} errors"
            )
        for name, page in load["pages"].items():
            self.say(
                f"    {name:<16} {page['requests']:>6} requests, p95 {page['p95_ms']} ms, "
                f"{page['errors']} errors"
            )

    def print_ratios(self, ratios: dict) -> None:
        self.say("\nSide by side")
        for size, r in ratios["caseload_vs_admin"].items():
            self.say(
                f"  {size}: caseload p50 {r['caseload_p50_ms']} ms ({r['caseload_queries']} "
                f"queries) vs admin change list p50 {r['admin_p50_ms']} ms "
                f"({r['admin_queries']} queries): ratio {r['ratio']}"
            )
        for size, r in ratios["pandas_vs_database"].items():
            self.say(
                f"  {size}: progression figures in the database {r['database_seconds']} s vs "
                f"pandas on {r['rows']:,} raw rows {r['pandas_seconds']} s: "
                f"pandas takes {r['ratio']}x as long (same figures)"
            )

    def print_targets(self, checked: list) -> None:
        self.say("\nTargets (the issue's are for L)")
        for t in checked:
            figure = "-" if t.figure is None else t.figure
            self.say(f"  {t.verdict:<5} {t.size}  {t.what:<40} {figure!s:>10}  {t.target}")

    # --- the child ---------------------------------------------------------------------

    def _one(self, options) -> None:
        from evaluation.perf.measure import Bench
        from evaluation.perf.seed import existing, seed

        size = options["one"]
        password = os.environ.get("BENCH_PASSWORD") or secrets.token_urlsafe(18)
        if options["reuse"]:
            seeded = existing(password=password)
            self.say(f"  measuring the {seeded.citizens:,} citizens seeded before")
        else:
            seeded = seed(
                citizens=SIZES[size], password=password, seed=options["seed"], log=self._log
            )
            self.say(f"  seeded {seeded.citizens:,} citizens in {seeded.seconds:.1f} s")
        bench = Bench(seeded, requests=options["requests"], log=self._log, seed=options["seed"])
        started = time.perf_counter()
        measures = bench.run(cold_requests=COLD_REQUESTS[size])
        admin = measures.pop("admin_changelist")
        aggregation = measures.pop("aggregation")
        data = {
            "citizens": seeded.citizens,
            "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "seed_seconds": round(seeded.seconds, 1),
            "measure_seconds": round(time.perf_counter() - started, 1),
            "counts": seeded.counts,
            "measures": measures,
            "admin_changelist": admin,
            "aggregation": aggregation,
            "load_usernames": bench.load_usernames(),
        }
        Path(options["result"]).write_text(json.dumps(data))

    def _log(self, line: str) -> None:
        self.say(f"  {line}" if not line.startswith("  ") else line)
