"""The load run of ``make bench``: caseworkers browsing, each signed in as
themselves, with think time between pages.

Started by ``manage.py bench`` as ``locust --headless`` against gunicorn on a
loopback port; ``BENCH_USERNAMES`` (comma-separated) and ``BENCH_PASSWORD``
name the seeded caseworkers. Every request's name, time and outcome go to the
CSV file ``BENCH_REQUEST_LOG``, so that percentiles can be exact and told
apart for signing in and for browsing. It imports nothing from Django: locust
patches the standard library with gevent.
"""

import csv
import itertools
import os
import random
import re

from locust import HttpUser, between, events, task

USERNAMES = [u for u in os.environ.get("BENCH_USERNAMES", "").split(",") if u]
PASSWORD = os.environ.get("BENCH_PASSWORD", "")
_next_user = itertools.count()
CASE_LINK = re.compile(r'href="/cases/([0-9a-f-]{36})/"')
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
REQUESTS: list[tuple[str, float, int]] = []


@events.request.add_listener
def _record(name, response_time, exception, **_kwargs) -> None:
    REQUESTS.append((name, response_time, 0 if exception is None else 1))


@events.quitting.add_listener
def _write(**_kwargs) -> None:
    path = os.environ.get("BENCH_REQUEST_LOG")
    if path:
        with open(path, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["name", "ms", "failed"])
            writer.writerows(REQUESTS)


class Caseworker(HttpUser):
    # A caseworker reads a page for a few seconds before the next one.
    wait_time = between(1, 5)

    def on_start(self) -> None:
        self.username = USERNAMES[next(_next_user) % len(USERNAMES)]
        self.cases: list[str] = []
        page = self.client.get("/login/", name="sign-in page")
        match = CSRF_FIELD.search(page.text)
        token = match.group(1) if match else ""
        with self.client.post(
            "/login/",
            {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            name="sign in",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"sign-in as {self.username} answered {response.status_code}")
        self.caseload()

    @task(3)
    def caseload(self) -> None:
        response = self.client.get("/cases/", name="caseload")
        self.cases = CASE_LINK.findall(response.text) or self.cases

    @task(4)
    def case_page(self) -> None:
        if self.cases:
            self.client.get(f"/cases/{random.choice(self.cases)}/", name="case page")

    @task(2)
    def grid(self) -> None:
        if self.cases:
            case = random.choice(self.cases)
            self.client.get(f"/progression/cases/{case}/rounds/new/", name="round grid")
