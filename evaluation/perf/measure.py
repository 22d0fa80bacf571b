"""The measures of ``make bench``, taken on a database that ``seed`` filled.

Pages are timed in this process around Django's test ``Client`` (server time:
middleware, view, queries and template, no network), each after a few
requests that are not counted, with the queries of every request counted by
``CaptureQueriesContext``. Commands run in this process; the PDF reports run
in a child process each, whose peak resident memory the kernel reports when
it ends. Imports run the real import service on 10,000-row files inside a
transaction that is rolled back, so the database is the same afterwards.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count, Q
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from common import data_version
from common.dates import add_months
from evaluation.perf.seed import SeedResult
from integration.models import Case, CaseStatus, Citizen, DanishCourse, LadderPlacement, User
from progression.models import ITEM_COUNT, Measurement, Rater, Round

REQUESTS = 30
WARMUP = 3
IMPORT_ROWS = 10_000
PROGRESSION_FROM = dt.date(2017, 1, 1)

PAGE_MEASURES = ["caseload", "case_page", "grid_get", "grid_post", "provider_list", "dashboard"]
ALL_MEASURES = [
    *PAGE_MEASURES,
    "dashboard_cold",
    "admin_changelist",
    "metrics_cohort",
    "metrics_progression",
    "monthly_pdf",
    "service_review_pdf",
    "import_citizens",
    "import_employment",
    "import_measurements",
    "aggregation",
]


class MeasureFailed(Exception):
    """A measured request or command did not do what a user would see it do."""


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank percentile: the smallest value with ``q`` % at or below it."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(samples_ms: list[float], queries: list[int], cpu_ms: list[float]) -> dict:
    return {
        "p50_ms": round(statistics.median(samples_ms), 1),
        "p95_ms": round(percentile(samples_ms, 95), 1),
        "queries": max(queries),
        "n": len(samples_ms),
        # This process's CPU time (not the database's): on a busy machine the wall
        # times above include waiting for a core, this does not.
        "cpu_p50_ms": round(statistics.median(cpu_ms), 1),
    }


class Bench:
    """The measures on one seeded database; each returns a JSON-able dict."""

    def __init__(
        self,
        seeded: SeedResult,
        *,
        requests: int = REQUESTS,
        warmup: int = WARMUP,
        log: Callable[[str], None] = lambda _line: None,
        seed: int = 1,
        import_rows: int = IMPORT_ROWS,
    ):
        self.seeded = seeded
        self.today = seeded.today
        self.requests = requests
        self.import_rows = import_rows
        self.warmup = warmup
        self.log = log
        self.rng = random.Random(f"measure-{seed}")
        self.clients: dict[str, Client] = {}
        if "testserver" not in settings.ALLOWED_HOSTS:
            settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]

    # --- pages ---------------------------------------------------------------

    def client(self, username: str) -> Client:
        """A client signed in as ``username``.

        All clients share one request handler, as a server process does: a new
        handler loads the middleware again (WhiteNoise looks at every static
        file), which would be timed as part of that user's first page.
        """
        if username not in self.clients:
            client = Client()
            if self.clients:
                client.handler = next(iter(self.clients.values())).handler
            client.force_login(User.objects.get(username=username))
            self.clients[username] = client
        return self.clients[username]

    def _pages(
        self,
        requests: list[tuple[Client, str, dict | None]],
        expect: int,
        *,
        warmup: int | None = None,
        before: Callable[[], None] | None = None,
    ) -> dict:
        """Time each (client, path, POST data or None) request; the first ``warmup``
        are made but not counted."""
        warmup = self.warmup if warmup is None else warmup
        samples, queries, cpu = [], [], []
        for i, (client, path, data) in enumerate(requests):
            if before is not None:
                before()
            with CaptureQueriesContext(connection) as captured:
                started, started_cpu = time.perf_counter(), time.process_time()
                response = client.get(path) if data is None else client.post(path, data)
                elapsed = (time.perf_counter() - started) * 1000
                cpu_ms = (time.process_time() - started_cpu) * 1000
            if response.status_code != expect:
                raise MeasureFailed(f"{path} answered {response.status_code}, not {expect}")
            if i >= warmup:
                samples.append(elapsed)
                queries.append(len(captured.captured_queries))
                cpu.append(cpu_ms)
        return summary(samples, queries, cpu)

    def _count(self, warmup: int | None = None) -> int:
        return (self.warmup if warmup is None else warmup) + self.requests

    def _open_cases(self, count: int, *, adults: bool = False) -> list[tuple[str, str]]:
        """``count`` open cases (uuid, their caseworker's username), a fixed sample."""
        qs = Case.objects.filter(status=CaseStatus.OPEN, caseworker__isnull=False)
        if adults:
            born_by = add_months(self.today, -12 * 18)
            qs = qs.filter(citizen__birth_date__lt=born_by)
        ids = list(qs.order_by("id").values_list("id", flat=True))
        chosen = sorted(self.rng.sample(ids, min(count, len(ids))))
        rows = (
            Case.objects.filter(id__in=chosen)
            .order_by("id")
            .values_list("uuid", "caseworker__username")
        )
        return [(str(case_uuid), username) for case_uuid, username in rows]

    def caseload(self) -> dict:
        """Page 1 of the caseload, nearest deadline first, for one caseworker after another."""
        workers = self.seeded.caseworkers
        path = reverse("integration:caseload")
        requests = [
            (self.client(workers[i % len(workers)]), path, None) for i in range(self._count())
        ]
        return self._pages(requests, 200)

    def case_page(self) -> dict:
        cases = self._open_cases(self._count())
        requests = [
            (self.client(user), reverse("integration:case_detail", args=[u]), None)
            for u, user in cases
        ]
        return self._pages(requests, 200)

    def grid_get(self) -> dict:
        cases = self._open_cases(self._count(), adults=True)
        requests = [
            (self.client(user), reverse("progression:round_create", args=[u]), None)
            for u, user in cases
        ]
        return self._pages(requests, 200)

    def grid_post(self) -> dict:
        """A full round of 39 scores, saved for a different case each time."""
        taken = set(
            Round.objects.filter(measured_on=self.today).values_list("case__uuid", flat=True)
        )
        cases = [
            (u, user)
            for u, user in self._open_cases(self._count() * 2, adults=True)
            if uuid.UUID(u) not in taken
        ][: self._count()]
        requests = [
            (self.client(user), reverse("progression:round_create", args=[u]), self._round_data())
            for u, user in cases
        ]
        return self._pages(requests, 302)

    def _round_data(self) -> dict:
        """Scores of all three raters that differ by 2 on exactly one item, so that
        every post makes one dialogue topic and the query count is comparable."""
        rng = self.rng
        data = {"measured_on": self.today.isoformat(), "submission": str(uuid.uuid4())}
        level = rng.randint(2, 3)
        worker = {n: level + rng.randint(0, 1) for n in range(1, ITEM_COUNT + 1)}
        apart = rng.randint(2, ITEM_COUNT)
        for n, score in worker.items():
            citizen = (score + 2 if score <= 3 else score - 2) if n == apart else score
            data[f"{Rater.CASEWORKER}_{n}"] = str(score)
            data[f"{Rater.CITIZEN}_{n}"] = str(citizen)
            # A workplace rarely knows what the citizen watches at home (item 1).
            data[f"{Rater.PROVIDER}_{n}"] = "" if n == 1 else str(score)
        return data

    def provider_list(self) -> dict:
        """The referral list of the organisation with the most active referrals."""
        org_id, referrals = self._busiest_provider()
        username = User.objects.get(provider_organisation_id=org_id).username
        client = self.client(username)
        path = reverse("integration:provider_home")
        result = self._pages([(client, path, None)] * self._count(), 200)
        result["referrals"] = referrals
        return result

    def _busiest_provider(self) -> tuple[int, int]:
        day = self.today
        active = Q(start_date__lte=day) & (Q(end_date__isnull=True) | Q(end_date__gte=day))
        counts: dict[int, int] = {}
        for model in (LadderPlacement, DanishCourse):
            rows = (
                model.objects.filter(active, provider__isnull=False)
                .values("provider")
                .annotate(n=Count("id"))
            )
            for row in rows:
                counts[row["provider"]] = counts.get(row["provider"], 0) + row["n"]
        org_id = max(counts, key=lambda k: (counts[k], -k))
        return org_id, counts[org_id]

    def _manager(self) -> Client:
        return self.client(self.seeded.managers[0])

    def dashboard(self) -> dict:
        """The managers' dashboard as most requests find it: figures from the cache."""
        client, path = self._manager(), reverse("evaluation:dashboard")
        return self._pages([(client, path, None)] * self._count(), 200)

    def dashboard_cold(self, requests: int | None = None) -> dict:
        """The first request after a change: every figure counted and drawn again."""
        client, path = self._manager(), reverse("evaluation:dashboard")
        count = requests or self.requests
        return self._pages(
            [(client, path, None)] * (count + 1), 200, warmup=1, before=data_version.bump
        )

    def admin_changelist(self) -> dict:
        """The Django admin's citizen change list, as a superuser: the lean baseline."""
        from django.contrib import admin

        client = self.client(self.seeded.others["superuser"])
        urlconf = None if admin.site.is_registered(Citizen) else "evaluation.perf.urls"
        with override_settings(ROOT_URLCONF=urlconf or settings.ROOT_URLCONF):
            path = "/admin/integration/citizen/"
            return self._pages([(client, path, None)] * self._count(), 200)

    # --- commands ------------------------------------------------------------------

    def _command(self, *args: str, runs: int = 3) -> dict:
        seconds = []
        for _ in range(runs):
            out = io.StringIO()
            started = time.perf_counter()
            call_command(*args, stdout=out)
            seconds.append(time.perf_counter() - started)
            if not out.getvalue().strip():
                raise MeasureFailed(f"{' '.join(args)} printed nothing")
        return {"seconds": round(statistics.median(seconds), 3), "runs": len(seconds)}

    def metrics_cohort(self) -> dict:
        return self._command(
            "metrics", "cohort-outcomes", "--as-of", self.today.isoformat(), "--format", "json"
        )

    def metrics_progression(self) -> dict:
        return self._command(
            "metrics",
            "progression",
            "--from",
            PROGRESSION_FROM.isoformat(),
            "--to",
            self.today.isoformat(),
            "--format",
            "json",
        )

    def _report(self, *args: str) -> dict:
        """``manage.py report ...`` in a child process: wall seconds and peak RSS."""
        with tempfile.TemporaryDirectory() as folder:
            output = Path(folder) / "report.pdf"
            log = Path(folder) / "log.txt"
            command = [sys.executable, str(settings.BASE_DIR / "manage.py"), "report", *args]
            with log.open("w") as out:
                started = time.perf_counter()
                child = subprocess.Popen(
                    [*command, "--output", str(output)], stdout=out, stderr=subprocess.STDOUT
                )
                _pid, status, usage = os.wait4(child.pid, 0)
                seconds = time.perf_counter() - started
            child.returncode = os.waitstatus_to_exitcode(status)
            text = log.read_text()
            pdf = output.read_bytes() if output.exists() else b""
            if child.returncode != 0 or not pdf.startswith(b"%PDF"):
                raise MeasureFailed(f"report {' '.join(args)} failed: {text[-2000:]}")
        return {
            "seconds": round(seconds, 2),
            # Linux reports ru_maxrss in kilobytes.
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            # The child's own CPU time: what the wall time would be on an idle machine,
            # less the database server's share.
            "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
            "bytes": len(pdf),
            "command_says": text.strip().splitlines()[-1],
        }

    def monthly_pdf(self) -> dict:
        from evaluation.reports import previous_month

        return self._report("monthly", "--month", previous_month(self.today))

    def service_review_pdf(self) -> dict:
        from evaluation.demo import review_date

        return self._report("service-review", "--as-of", review_date(self.today).isoformat())

    # --- imports -------------------------------------------------------------------

    def _import(self, run: Callable[[bytes], object], data: bytes, rows: int) -> dict:
        """Run one import of ``rows`` rows and roll it back."""
        with transaction.atomic():
            started = time.perf_counter()
            report = run(data)
            seconds = time.perf_counter() - started
            transaction.set_rollback(True)
        if not report.ok or not report.written:
            errors = "; ".join(str(e) for e in report.errors[:5])
            raise MeasureFailed(f"the import failed: {errors}")
        return {
            "rows_per_s": round(rows / seconds),
            "seconds": round(seconds, 2),
            "rows": rows,
            "created": report.created,
            "updated": report.updated,
            "database": "unchanged (rolled back)",
        }

    def import_citizens(self) -> dict:
        from integration import imports

        data = citizens_csv(self.rng, self.today, self.import_rows)
        admin_user = User.objects.get(username=self.seeded.others["administrator"])
        return self._import(
            lambda d: imports.import_citizens(d, filename="citizens.csv", user=admin_user),
            data,
            self.import_rows,
        )

    def import_employment(self) -> dict:
        from integration import imports

        data = employment_csv(self.rng, self.today, self.import_rows)
        admin_user = User.objects.get(username=self.seeded.others["administrator"])
        return self._import(
            lambda d: imports.import_employment(d, filename="employment.csv", user=admin_user),
            data,
            self.import_rows,
        )

    def import_measurements(self) -> dict:
        from progression import imports

        data = measurements_csv(self.today, self.import_rows)
        admin_user = User.objects.get(username=self.seeded.others["administrator"])
        return self._import(
            lambda d: imports.import_measurements(d, filename="measurements.csv", user=admin_user),
            data,
            self.import_rows,
        )

    # --- database against pandas -------------------------------------------------------

    def aggregation(self, runs: int = 3) -> dict:
        """``progression_summary`` (what ``metrics progression`` uses) against the same
        figures from the raw scores loaded into pandas; both must agree."""
        from progression.selectors import progression_summary

        database, pandas_seconds = [], []
        for _ in range(runs):
            started = time.perf_counter()
            ours = progression_summary(None, PROGRESSION_FROM, self.today)
            database.append(time.perf_counter() - started)
        for _ in range(max(1, runs - 2)):
            started = time.perf_counter()
            theirs, rows = pandas_summary(PROGRESSION_FROM, self.today)
            pandas_seconds.append(time.perf_counter() - started)
        compare_summaries(ours, theirs)
        db, pd_ = statistics.median(database), statistics.median(pandas_seconds)
        return {
            "database_seconds": round(db, 4),
            "pandas_seconds": round(pd_, 3),
            "rows": rows,
            "ratio": round(pd_ / db, 1),
            "agree": True,
        }

    def load_usernames(self) -> list[str]:
        """Caseworkers with open cases, one for each user of the load run."""
        return list(
            User.objects.filter(cases__status=CaseStatus.OPEN)
            .distinct()
            .order_by("username")
            .values_list("username", flat=True)
        )

    # --- all -------------------------------------------------------------------------------

    def run(self, names: list[str] | None = None, *, cold_requests: int | None = None) -> dict:
        results = {}
        for name in names or ALL_MEASURES:
            started = time.perf_counter()
            try:
                if name == "dashboard_cold":
                    results[name] = self.dashboard_cold(cold_requests)
                else:
                    results[name] = getattr(self, name)()
            except Exception as exc:  # noqa: BLE001 - one broken measure must not lose the rest
                results[name] = {"error": f"{type(exc).__name__}: {exc}"[:1000]}
            self.log(
                f"  {name:<22} {_brief(results[name])}  ({time.perf_counter() - started:.1f} s)"
            )
        return results


def _brief(result: dict) -> str:
    keys = ["p50_ms", "p95_ms", "queries", "seconds", "peak_rss_mb", "rows_per_s", "ratio", "error"]
    return ", ".join(f"{k} {result[k]}" for k in keys if k in result)


# --- the import files --------------------------------------------------------------


def _csv(header: list[str], rows: list[list]) -> bytes:
    lines = [",".join(header)] + [",".join(str(v) for v in row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def citizens_csv(rng: random.Random, today: dt.date, count: int) -> bytes:
    """New citizens in the importer's format: arrivals of the last year, CPRs not in use."""
    from integration.demo import COUNTRIES, NAMES
    from integration.models import Team

    used = set(Citizen.objects.values_list("cpr", flat=True))
    teams = list(Team.objects.order_by("name").values_list("name", flat=True))
    names = {"SY": "Syrien", "ER": "Eritrea", "AF": "Afghanistan", "UA": "Ukraine"}
    rows = []
    for i in range(count):
        nationality = rng.choice(list(COUNTRIES))
        style = COUNTRIES[nationality][0]
        female = rng.random() < 0.4
        arrival = today - dt.timedelta(days=rng.randint(1, 365))
        birth = arrival - dt.timedelta(days=rng.randint(18 * 365, 60 * 365))
        stem = f"{birth.day + 60:02d}{birth.month:02d}{birth.year % 100:02d}"
        while True:
            digit = rng.choice("0123" if birth.year < 2000 else "456789")
            last = rng.choice("02468" if female else "13579")
            number = f"{stem}{digit}{rng.randint(0, 99):02d}{last}"
            if number not in used:
                used.add(number)
                break
        male_names, female_names, family = NAMES[style]
        rows.append(
            [
                f"{number[:6]}-{number[6:]}",
                rng.choice(female_names if female else male_names),
                rng.choice(family),
                names.get(nationality, nationality) if i % 3 == 0 else nationality,
                "refugee" if rng.random() < 0.7 else "family_reunified",
                arrival.isoformat() if i % 2 else arrival.strftime("%d-%m-%Y"),
                "",
                rng.choice(teams),
                f"I{today.year}-{i // 2:05d}" if i % 4 < 2 else "",
            ]
        )
    header = [
        "cpr",
        "first_name",
        "last_name",
        "nationality",
        "residence_basis",
        "arrival_date",
        "sex",
        "team",
        "household",
    ]
    return _csv(header, rows)


def employment_csv(rng: random.Random, today: dt.date, count: int) -> bytes:
    """A DREAM extract: monthly spells of adult citizens, going back month by month
    from last month, never before a citizen's arrival."""
    adults = list(
        Citizen.objects.filter(adult_at_arrival=True)
        .order_by("id")
        .values_list("cpr", "arrival_date")
    )
    categories = [
        "benefits",
        "internship",
        "wage_subsidy",
        "ordinary_employment",
        "ordinary_education",
        "adult_apprentice",
    ]
    rows: list[list] = []
    months_back = 1
    while len(rows) < count:
        start = add_months(today.replace(day=1), -months_back)
        end = add_months(start, 1) - dt.timedelta(days=1)
        arrived = [number for number, arrival in adults if arrival <= start]
        if not arrived:
            raise MeasureFailed(f"only {len(rows)} employment rows could be made")
        for number in arrived[: count - len(rows)]:
            rows.append([number, start.isoformat(), end.isoformat(), rng.choice(categories)])
        months_back += 1
    return _csv(["cpr", "start_date", "end_date", "category"], rows)


def measurements_csv(today: dt.date, count: int) -> bytes:
    """Rounds on paper from the last days: 12 caseworker and 13 citizen scores per
    citizen, for citizens with no round on that day."""
    rng = random.Random(f"measurements-{today}")
    rows: list[list] = []
    day = today
    while len(rows) < count:
        day -= dt.timedelta(days=1)
        if (today - day).days > 60:
            raise MeasureFailed(f"only {len(rows)} measurement rows could be made")
        born_by = add_months(day, -12 * 18)
        measured = Round.objects.filter(measured_on=day).values("case__citizen_id")
        citizens = (
            Citizen.objects.filter(
                case__status=CaseStatus.OPEN, birth_date__lt=born_by, arrival_date__lt=day
            )
            .exclude(id__in=measured)
            .order_by("id")
            .values_list("cpr", flat=True)[: (count - len(rows)) // 25 + 1]
        )
        for number in citizens:
            level = rng.randint(2, 4)
            for rater, items in (("caseworker", range(1, 13)), ("citizen", range(1, 14))):
                for item in items:
                    score = max(1, min(5, level + rng.choice([-1, 0, 0, 1])))
                    rows.append([number, day.isoformat(), rater, item, score])
    return _csv(["cpr", "date", "rater", "item", "score"], rows[:count])


# --- pandas ---------------------------------------------------------------------------


def pandas_summary(start: dt.date, end: dt.date) -> tuple[dict, int]:
    """``progression_summary``'s figures from the raw scores, aggregated in pandas."""
    import numpy as np
    import pandas as pd

    items = [f"item_{n}" for n in range(1, ITEM_COUNT + 1)]
    table = Measurement._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT rater, {', '.join(items)} FROM {table} "
            "WHERE measured_on >= %s AND measured_on <= %s",
            [start, end],
        )
        frame = pd.DataFrame(cursor.fetchall(), columns=["rater", *items])
    frame[items] = frame[items].astype("float64")
    worker = frame[frame["rater"] == "caseworker"]
    index = worker[items[:12]].mean(axis=1, skipna=True)
    citizen = frame[frame["rater"] == "citizen"]["item_13"]
    means = {
        n: float(worker[f"item_{n}"].mean())
        for n in range(1, ITEM_COUNT + 1)
        if worker[f"item_{n}"].notna().any()
    }
    figures = {
        "caseworker_measurements": int(index.notna().sum()),
        "caseworker_index_mean": float(index.mean()) if index.notna().any() else None,
        "citizen_self_assessment_mean": float(citizen.mean()) if citizen.notna().any() else None,
        "citizen_measurements": int(citizen.notna().sum()),
        "caseworker_item_means": means,
    }
    assert not np.isnan(figures["caseworker_index_mean"] or 0.0)
    return figures, len(frame)


def compare_summaries(ours: dict, theirs: dict) -> None:
    """Raise MeasureFailed unless the two agree (means to 1e-9)."""

    def close(a, b) -> bool:
        if a is None or b is None:
            return a is b
        return abs(float(a) - float(b)) <= 1e-9

    problems = []
    for key in ("caseworker_measurements", "citizen_measurements"):
        if ours[key] != theirs[key]:
            problems.append(f"{key}: {ours[key]} != {theirs[key]}")
    for key in ("caseworker_index_mean", "citizen_self_assessment_mean"):
        if not close(ours[key], theirs[key]):
            problems.append(f"{key}: {ours[key]} != {theirs[key]}")
    a, b = ours["caseworker_item_means"], theirs["caseworker_item_means"]
    if set(a) != set(b) or any(not close(a[n], b[n]) for n in a):
        problems.append(f"item means: {a} != {b}")
    if problems:
        raise MeasureFailed("database and pandas disagree: " + "; ".join(problems))
