"""The review's measurements, month by month and summed over its period, kept
in the database (``progression.report_cache.kept_*``): always what the
measurements give now; a round of another month leaves a month kept.

PostgreSQL only, with every write committed, as in the app."""

from __future__ import annotations

import datetime as dt

import pytest

from integration import services
from progression import report_cache, selectors
from tests.common.test_snapshot import _postgresql
from tests.factories import make_case
from tests.progression.test_report_cache import _save

pytestmark = pytest.mark.django_db(transaction=True)

START, END = dt.date(2026, 1, 1), dt.date(2026, 5, 31)


@pytest.fixture
def counted(monkeypatch):
    """The periods the selectors are asked to count, call by call."""
    asked: list[tuple] = []
    for name in ("measurement_counts_by_month", "caseworker_summary"):
        live = getattr(selectors, name)

        def spy(user, start, end, *args, _live=live, _name=name):
            asked.append((_name, start, end))
            return _live(user, start, end, *args)

        monkeypatch.setattr(selectors, name, spy)
    return asked


def test_months_are_kept_until_a_round_of_theirs_changes(team_a, questionnaire, counted):
    _postgresql()
    case = make_case(team=team_a, arrival=dt.date(2025, 6, 1))
    february = _save(case, dt.date(2026, 2, 3), 3)
    _save(case, dt.date(2026, 3, 15), 4)
    first = report_cache.kept_measurement_counts_by_month(None, START, END)
    assert [(r["month"], r["rater"], r["n"]) for r in first] == [
        (dt.date(2026, 2, 1), "caseworker", 1),
        (dt.date(2026, 2, 1), "citizen", 1),
        (dt.date(2026, 3, 1), "caseworker", 1),
        (dt.date(2026, 3, 1), "citizen", 1),
    ]
    assert counted == [("measurement_counts_by_month", START, END)]

    _save(case, dt.date(2026, 4, 2), 5)  # April only
    second = report_cache.kept_measurement_counts_by_month(None, START, END)
    assert counted[1:] == [
        ("measurement_counts_by_month", dt.date(2026, 4, 1), dt.date(2026, 4, 30))
    ]
    assert [(r["month"].month, r["n"]) for r in second] == [
        (2, 1),
        (2, 1),
        (3, 1),
        (3, 1),
        (4, 1),
        (4, 1),
    ]

    february.refresh_from_db()
    _save(case, dt.date(2026, 5, 20), 2, february)  # February's round moves to May
    third = report_cache.kept_measurement_counts_by_month(None, START, END)
    assert counted[2][1:] == (dt.date(2026, 2, 1), dt.date(2026, 5, 31))
    assert [(r["month"].month, r["n"]) for r in third] == [
        (3, 1),
        (3, 1),
        (4, 1),
        (4, 1),
        (5, 1),
        (5, 1),
    ]
    assert third == list(selectors.measurement_counts_by_month(None, START, END))

    # A change of a case is no change of the scores.
    services.case_assign(actor=None, case=case, version=case.version, team=team_a, caseworker=None)
    assert report_cache.kept_measurement_counts_by_month(None, START, END) == third
    assert len([c for c in counted if c[0] == "measurement_counts_by_month"]) == 4


def test_a_summary_is_kept_until_a_round_in_its_period_changes(team_a, questionnaire, counted):
    _postgresql()
    case = make_case(team=team_a, arrival=dt.date(2025, 6, 1))
    _save(case, dt.date(2026, 2, 3), 3)
    first = report_cache.kept_summary("caseworker_summary", None, START, END)
    assert first["caseworker_measurements"] == 1
    assert first["caseworker_item_means"] == dict.fromkeys(range(1, 13), 3.0)
    _save(case, dt.date(2026, 7, 1), 5)  # after the period
    assert report_cache.kept_summary("caseworker_summary", None, START, END) == first
    assert len(counted) == 1
    _save(case, dt.date(2026, 3, 1), 1)
    second = report_cache.kept_summary("caseworker_summary", None, START, END)
    assert second == selectors.caseworker_summary(None, START, END)
    assert second["caseworker_measurements"] == 2
