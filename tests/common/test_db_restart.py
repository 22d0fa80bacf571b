"""PostgreSQL restarted while gunicorn serves readers and writers.

During the restart a request may fail, but only cleanly: the app's error page
or a refused connection, never a hang or a traceback. Once PostgreSQL is back
the app serves normally within 10 s, and no write is left half done: a round
that was answered as saved is there with all of its rows, and one that failed
left nothing or everything, never a part.

The restart test restarts the server, so it runs only where RUN_DB_RESTART=1
(``.ci/run``), as root, on the PostgreSQL cluster that serves DATABASE_URL. The
two page tests before it show, on any database, what a user meets when the
connection drops in the middle of a request.
"""

from __future__ import annotations

import datetime as dt
import http.client
import itertools
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from unittest import mock
from urllib.parse import urlencode, urlsplit

import psycopg2
import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import DatabaseError, OperationalError
from django.urls import reverse
from django.utils import timezone

from tests.common import postgres

RECOVERY_LIMIT = 10.0  # seconds from PostgreSQL being back to the app serving again
REQUEST_TIMEOUT = 20.0  # no request may hang longer than this
BASELINE = 10  # reads and writes served before the restart
AFTER_RECOVERY_SECONDS = 8.0
QUIET_RESUMED_SECONDS = 3.0
WRITERS = 2
READERS = 2
FIRST_ROUND_DATE = dt.date(2001, 1, 1)  # long before any demo round

# Item 1: the citizen says 1, caseworker and provider 3: a difference of 2,
# which is one dialogue topic at the default threshold. Every other item is 4.
SCORES = {
    rater: {n: (1 if rater == "citizen" else 3) if n == 1 else 4 for n in range(1, 14)}
    for rater in ("citizen", "caseworker", "provider")
}


# --- the page a user meets -------------------------------------------------------


def _renewal_due(client) -> None:
    """The session was last saved two minutes ago: this request saves it
    (accounts.sessions renews it at most once a minute)."""
    Session.objects.filter(pk=client.session.session_key).update(
        expire_date=timezone.now()
        + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)
        - dt.timedelta(minutes=2)
    )


def test_losing_the_database_while_the_session_is_saved_shows_the_unavailable_page(
    client_as, caseworker_a
):
    client = client_as(caseworker_a, language="en", raise_request_exception=False)
    _renewal_due(client)
    lost = OperationalError("server closed the connection unexpectedly")

    with mock.patch.object(Session, "save", side_effect=lost):
        response = client.get(reverse("integration:caseload"))

    assert response.status_code == 500
    page = response.content.decode()
    assert 'data-page="server-error"' in page
    assert "The service is temporarily unavailable" in page
    assert "Traceback" not in page


def test_a_session_deleted_by_a_concurrent_sign_out_is_still_a_bad_request(client_as, caseworker_a):
    client = client_as(caseworker_a, language="en", raise_request_exception=False)
    _renewal_due(client)
    # What Django's ORM raises when the session row it updates is gone.
    gone = DatabaseError("Forced update did not affect any rows.")

    with mock.patch.object(Session, "save", side_effect=gone):
        response = client.get(reverse("integration:caseload"))

    assert response.status_code == 400


# --- the cluster ----------------------------------------------------------------


def cluster_of(server: str) -> tuple[str, str]:
    """(version, name) of the local cluster that listens on the server's port."""
    port = str(urlsplit(server).port or 5432)
    listing = subprocess.run(
        ["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=True
    ).stdout
    for line in listing.splitlines():
        version, name, cluster_port, *_rest = line.split()
        if cluster_port == port:
            return version, name
    pytest.fail(f"No local PostgreSQL cluster listens on port {port}:\n{listing}")


def pg_ctlcluster(version: str, name: str, action: str) -> None:
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, name, action],
        check=True,
        capture_output=True,
        timeout=120,
    )


def wait_for_server(server: str, limit: float = 60.0) -> float:
    """Wait until the server accepts connections; return when it did."""
    deadline = time.monotonic() + limit
    while True:
        try:
            psycopg2.connect(postgres.url_for(server, "postgres"), connect_timeout=2).close()
            return time.monotonic()
        except psycopg2.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def restart_watched(server: str, version: str, cluster: str) -> float:
    """Restart the cluster; return when it first accepted connections again.

    Polled from the moment the restart begins, since pg_ctlcluster returns
    some time after the server is up.
    """
    went_down = threading.Event()
    back: list[float] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            try:
                psycopg2.connect(postgres.url_for(server, "postgres"), connect_timeout=1).close()
                if went_down.is_set():
                    back.append(time.monotonic())
                    return
            except psycopg2.OperationalError:
                went_down.set()
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        pg_ctlcluster(version, cluster, "restart")
        wait_for_server(server)
        watcher.join(timeout=10)
    finally:
        done.set()
        watcher.join()
    assert back, "the restart was not seen: the server never refused a connection"
    return back[0]


def server_started_at(server: str) -> dt.datetime:
    with postgres.connected(postgres.url_for(server, "postgres")) as conn, conn.cursor() as cur:
        cur.execute("SELECT pg_postmaster_start_time()")
        return cur.fetchone()[0]


# --- a browser, in a few lines ----------------------------------------------------------


@dataclass
class Outcome:
    kind: str  # "read" or "write"
    started: float
    ended: float
    status: int | None = None
    error: str = ""
    body: str = ""
    marker: str = ""  # the submission id of a write

    @property
    def ok(self) -> bool:
        if self.kind == "write":
            return self.status == 302
        return self.status == 200

    @property
    def clean_failure(self) -> bool:
        """The app's error page, or a connection the server refused or closed."""
        if self.status is None:
            return self.error in {"ConnectionRefusedError", "ConnectionResetError"}
        return (
            self.status in (500, 503)
            and 'data-page="server-error"' in self.body
            and "Traceback" not in self.body
        )


@dataclass
class Browser:
    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, data: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        headers = {"Accept-Language": "en", "Host": "127.0.0.1"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            data = {**data, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
            body = urlencode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, response.headers, text

    def sign_in(self, username: str, password: str) -> None:
        self.request("GET", "/login/")
        status, headers, _text = self.request(
            "POST", "/login/", {"username": username, "password": password}
        )
        assert status == 302 and "sessionid" in self.cookies, f"sign-in failed: {status}"

    def timed(self, kind: str, method: str, path: str, data=None, marker="") -> Outcome:
        outcome = Outcome(kind=kind, started=time.monotonic(), ended=0.0, marker=marker)
        try:
            outcome.status, headers, outcome.body = self.request(method, path, data)
            if kind == "write" and outcome.status == 302:
                # The form redirects to the saved round; anything else is no save.
                if not re.search(r"/progression/rounds/[0-9a-f-]{36}/$", headers["Location"]):
                    outcome.status = -302
        except (OSError, http.client.HTTPException) as exc:
            outcome.error = type(exc).__name__
        outcome.ended = time.monotonic()
        return outcome


# --- the app ----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cases_of_team(db_url: str, count: int) -> list[tuple[str, str]]:
    """(case uuid, citizen's last name) of open cases of caseworker_a's team."""
    with postgres.connected(db_url) as conn, conn.cursor() as cur:
        cur.execute(
            """
            SELECT c.uuid, z.last_name
            FROM integration_case c
            JOIN integration_citizen z ON z.id = c.citizen_id
            JOIN integration_user u ON u.team_id = c.team_id
            WHERE u.username = 'caseworker_a' AND c.status = 'open'
            ORDER BY z.cpr LIMIT %s
            """,
            [count],
        )
        rows = [(str(case_uuid), name) for case_uuid, name in cur.fetchall()]
    assert len(rows) == count
    return rows


@pytest.fixture
def app(tmp_path):
    """gunicorn on a free port against a seeded database of its own."""
    server = postgres.server_url()
    if os.geteuid() != 0 or shutil.which("pg_ctlcluster") is None:
        pytest.fail("RUN_DB_RESTART=1 needs root and pg_ctlcluster (Debian's postgresql-common)")
    name = f"{postgres.name_prefix(server)}_restart"
    process = log = None
    try:
        db_url, env = postgres.create_seeded_database(server, name, tmp_path / "var")
        port = free_port()
        env.update(
            DATABASE_CONN_MAX_AGE="60",  # persistent connections, as in production
            DJANGO_ALLOWED_HOSTS="127.0.0.1",
        )
        log = (tmp_path / "gunicorn.log").open("w")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                f"--bind=127.0.0.1:{port}",
                "--workers=2",
                "--threads=4",
                "--timeout=60",
            ],
            cwd=postgres.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                if Browser(port).request("GET", "/login/")[0] == 200:
                    break
            except OSError:
                pass
            assert process.poll() is None, (tmp_path / "gunicorn.log").read_text()
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        yield server, db_url, port
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if log is not None:
            log.close()
        postgres.drop_database(server, name)


def round_form(case_uuid: str, day: dt.date, marker: str) -> tuple[str, dict]:
    data = {
        "measured_on": day.isoformat(),
        "submission": marker,
        "version": "",
        "action": "save",
    }
    for rater, scores in SCORES.items():
        data.update({f"{rater}_{n}": str(score) for n, score in scores.items()})
    return f"/progression/cases/{case_uuid}/rounds/new/", data


def rounds_in_database(db_url: str, markers: list[str]) -> dict[str, dict]:
    """What each submitted round left in the database, by its submission id."""
    with postgres.connected(db_url) as conn, conn.cursor() as cur:
        cur.execute(
            """
            SELECT r.submission::text, r.id, r.complete,
                   (SELECT count(*) FROM progression_historicalround h WHERE h.id = r.id),
                   (SELECT count(*) FROM progression_historicalmeasurement h
                     WHERE h.round_id = r.id),
                   (SELECT array_agg(t.item_number::text || ':' || t.spread::text)
                      FROM progression_dialoguetopic t WHERE t.round_id = r.id)
            FROM progression_round r WHERE r.submission::text = ANY(%s)
            """,
            [markers],
        )
        found = {
            marker: {
                "complete": complete,
                "round_history": round_history,
                "measurement_history": measurement_history,
                "topics": topics or [],
                "scores": {},
                "id": round_id,
            }
            for marker, round_id, complete, round_history, measurement_history, topics in (
                cur.fetchall()
            )
        }
        items = ", ".join(f"item_{n}" for n in range(1, 14))
        cur.execute(
            f"SELECT r.submission::text, m.rater, {items} FROM progression_measurement m "
            "JOIN progression_round r ON r.id = m.round_id WHERE r.submission::text = ANY(%s)",
            [markers],
        )
        for marker, rater, *scores in cur.fetchall():
            found[marker]["scores"][rater] = dict(enumerate(scores, start=1))
    return found


def whole(round_: dict) -> bool:
    """The round, its three measurements, its topic and their history, all there."""
    return (
        round_["complete"]
        and round_["scores"] == SCORES
        and round_["topics"] == ["1:2"]
        and round_["round_history"] >= 1
        and round_["measurement_history"] == 3
    )


@pytest.mark.skipif(
    os.environ.get("RUN_DB_RESTART") != "1",
    reason="restarts PostgreSQL: set RUN_DB_RESTART=1 (.ci/run does)",
)
@pytest.mark.demo_database
@pytest.mark.alone
def test_app_survives_a_postgresql_restart_under_load(app):
    server, db_url, port = app
    version, cluster = cluster_of(server)
    cases = cases_of_team(db_url, 1 + WRITERS)
    read_case, read_name = cases[0]
    outcomes: list[Outcome] = []
    lock = threading.Lock()
    stop, paused = threading.Event(), threading.Event()
    in_flight = [0]

    def keep_sending(send) -> None:
        while not stop.is_set():
            with lock:
                going = not paused.is_set()
                in_flight[0] += going
            if not going:
                time.sleep(0.05)
                continue
            try:
                outcome = send()
            finally:
                with lock:
                    in_flight[0] -= 1
            with lock:
                outcomes.append(outcome)
            time.sleep(0.02)

    def reader(n: int) -> None:
        browser = Browser(port)
        browser.sign_in("caseworker_a", postgres.PASSWORD)
        pages = itertools.cycle([f"/cases/{read_case}/", "/cases/?scope=team"])
        for _ in range(n):  # readers take turns, not the same page at once
            next(pages)

        def send() -> Outcome:
            page = next(pages)
            outcome = browser.timed("read", "GET", page)
            if outcome.ok and page.endswith(f"{read_case}/"):
                # A good case page shows the citizen; an empty 200 is no good.
                outcome.status = 200 if read_name in outcome.body else -200
            return outcome

        keep_sending(send)

    def writer(n: int) -> None:
        browser = Browser(port)
        browser.sign_in("caseworker_a", postgres.PASSWORD)
        case_uuid = cases[1 + n][0]  # one case per writer: no two saves race on a case
        days = (FIRST_ROUND_DATE + dt.timedelta(days=i) for i in itertools.count())

        def send() -> Outcome:
            marker = str(uuid.uuid4())
            path, data = round_form(case_uuid, next(days), marker)
            return browser.timed("write", "POST", path, data, marker=marker)

        keep_sending(send)

    def wait_until(condition, limit: float) -> None:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            with lock:
                if condition():
                    return
            time.sleep(0.05)
        pytest.fail("the load did not get going")

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(READERS)]
    threads += [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    before_restart = server_started_at(server)
    restart_at = back_at = quiet_restart_at = None
    try:
        for thread in threads:
            thread.start()
        # Every reader and writer is signed in and served before the restart.
        wait_until(
            lambda: all(
                sum(o.kind == kind for o in outcomes) >= BASELINE for kind in ("read", "write")
            ),
            120,
        )
        restart_at = time.monotonic()
        back_at = restart_watched(server, version, cluster)
        time.sleep(AFTER_RECOVERY_SECONDS)

        # A restart while no one uses the app (at night): the first requests
        # next morning meet connections that died in their sleep.
        paused.set()
        wait_until(lambda: in_flight[0] == 0, REQUEST_TIMEOUT)
        quiet_restart_at = time.monotonic()
        pg_ctlcluster(version, cluster, "restart")
        wait_for_server(server)
        paused.clear()
        time.sleep(QUIET_RESUMED_SECONDS)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=REQUEST_TIMEOUT + 5)
        try:
            wait_for_server(server, limit=5)
        except psycopg2.OperationalError:
            pg_ctlcluster(version, cluster, "start")
            wait_for_server(server)
        # This process's own connections died with the server; reconnect lazily.
        from django.db import connections

        connections.close_all()

    assert None not in (restart_at, back_at, quiet_restart_at)
    assert server_started_at(server) > before_restart, "PostgreSQL was not restarted"
    assert not any(t.is_alive() for t in threads), "a request hung"

    baseline = [o for o in outcomes if o.ended < restart_at]
    failed = [o for o in outcomes if not o.ok]
    after_back = [o for o in outcomes if o.started >= back_at]
    first_good = {
        kind: min((o.ended for o in after_back if o.kind == kind and o.ok), default=None)
        for kind in ("read", "write")
    }
    recovery = {
        kind: (round(ended - back_at, 2) if ended is not None else None)
        for kind, ended in first_good.items()
    }
    # A connection that died with the server is dropped when the next request
    # starts (CONN_HEALTH_CHECKS), so once the server is back nothing fails.
    failed_after_back = [o for o in failed if o.started >= back_at]
    after_quiet = [o for o in outcomes if o.started >= quiet_restart_at]

    markers = [o.marker for o in outcomes if o.kind == "write"]
    in_database = rounds_in_database(db_url, markers)
    saved = [o for o in outcomes if o.kind == "write" and o.ok]
    half_written = [m for m, r in in_database.items() if not whole(r)]
    committed_though_failed = [
        o.marker for o in outcomes if o.kind == "write" and not o.ok and o.marker in in_database
    ]
    with postgres.connected(db_url) as conn, conn.cursor() as cur:
        # One access-log row per saved round, written in the round's transaction.
        cur.execute(
            "SELECT count(*) FROM integration_accesslog "
            "WHERE what = 'progression round saved' AND username = 'caseworker_a'"
        )
        round_log_rows = cur.fetchone()[0]
        # The caseload's mark of open topics is kept in the same transaction too.
        cur.execute(
            """
            SELECT count(*) FROM integration_case c
            WHERE c.uuid::text = ANY(%s) AND c.open_topics <> (
                SELECT count(*) FROM progression_dialoguetopic t
                JOIN progression_round r ON r.id = t.round_id
                WHERE r.case_id = c.id AND t.agreement = '')
            """,
            [[case_uuid for case_uuid, _name in cases[1:]]],
        )
        cases_with_wrong_topic_count = cur.fetchone()[0]

    print(
        f"\nrequests: {len(outcomes)} ({sum(o.kind == 'write' for o in outcomes)} writes); "
        f"failed: {len(failed)}, all between "
        f"{min((o.started - restart_at for o in failed), default=0):.2f} s and "
        f"{max((o.ended - restart_at for o in failed), default=0):.2f} s after the restart began; "
        f"PostgreSQL back after {back_at - restart_at:.2f} s; "
        f"first good read {recovery['read']} s and write {recovery['write']} s later; "
        f"after the quiet restart {len(after_quiet)} requests, "
        f"{sum(not o.ok for o in after_quiet)} failed; "
        f"rounds saved {len(saved)}, committed though the response failed "
        f"{len(committed_though_failed)}; half-written {len(half_written)}; failures: "
        + ", ".join(
            f"{n} {kind} {status or error}"
            for (kind, status, error), n in Counter(
                (o.kind, o.status, o.error) for o in failed
            ).most_common()
        )
    )

    assert len(baseline) >= 2 * BASELINE and all(o.ok for o in baseline), [
        (o.kind, o.status, o.error) for o in baseline if not o.ok
    ]
    unclean = [(o.kind, o.status, o.error, o.body[:300]) for o in failed if not o.clean_failure]
    assert unclean == []
    assert all(o.ended - o.started < REQUEST_TIMEOUT for o in outcomes)
    assert recovery["read"] is not None and recovery["read"] < RECOVERY_LIMIT
    assert recovery["write"] is not None and recovery["write"] < RECOVERY_LIMIT
    assert [(o.kind, o.status, o.started - back_at) for o in failed_after_back] == []
    assert len(after_quiet) >= READERS + WRITERS
    assert half_written == []
    assert all(o.marker in in_database for o in saved)
    assert round_log_rows == len(in_database)
    assert cases_with_wrong_topic_count == 0
