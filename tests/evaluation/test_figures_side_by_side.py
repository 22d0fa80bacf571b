"""The council papers' counts run side by side in one snapshot on PostgreSQL
(``common.snapshot``): the figures are exactly those counted one after the
other, on a synthetic municipality with every kind of fact."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.cache import cache
from django.utils import timezone

from common import snapshot
from evaluation import figures
from evaluation.period import ReportKind, ReportPeriod
from fixtures.bench.seed import seed
from tests.common.test_snapshot import _postgresql
from tests.factories import published_questionnaire


def _without_clock(found: dict) -> dict:
    return {key: value for key, value in found.items() if key != "generated_at"}


# Other connections must see the rows: real commits.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def municipality():
    _postgresql()
    published_questionnaire()  # a migration's row, gone after an earlier test's flush
    seed(citizens=300, password="side-by-side-1", seed=11)


def _month_before() -> dt.date:
    return timezone.localdate().replace(day=1) - dt.timedelta(days=1)


def _dashboard(period):
    from integration.models import User

    manager = User.objects.get(username="bench_manager_1")
    end = period.as_of
    return figures.dashboard_figures(manager, start=end.replace(month=1, day=1), end=end, today=end)


@pytest.mark.parametrize(
    ("build", "period"),
    [
        (figures.monthly_figures, lambda: (ReportKind.MONTHLY, f"{_month_before():%Y-%m}")),
        (
            figures.service_review_figures,
            lambda: (ReportKind.SERVICE_REVIEW, _month_before().isoformat()),
        ),
        (_dashboard, lambda: (ReportKind.SERVICE_REVIEW, _month_before().isoformat())),
    ],
    ids=["monthly", "service-review", "dashboard"],
)
def test_figures_side_by_side_equal_those_counted_in_order(
    municipality, settings, monkeypatch, build, period
):
    period = ReportPeriod.parse(*period())
    workers = set()
    serve = snapshot._serve

    def watched(*args):
        workers.add(threading.current_thread().name)
        return serve(*args)

    monkeypatch.setattr(snapshot, "_serve", watched)
    settings.REPORT_QUERY_THREADS = 1
    cache.clear()  # the dashboard's case figures are cached: count them both times
    in_order = build(period)
    assert workers == set()
    settings.REPORT_QUERY_THREADS = 3
    cache.clear()
    side_by_side = build(period)
    assert len(workers) == 3
    assert _without_clock(side_by_side) == _without_clock(in_order)
    # Not an empty report: the synthetic municipality fills its tables.
    if build is _dashboard:
        assert in_order["in_programme"]["total"] > 0
        assert sum(row["persons"] for row in in_order["cohorts"]) > 0
    elif period.is_monthly:
        assert in_order["progression"]["trend"]
        assert in_order["in_programme"]["total"] > 0
        assert sum(row["count"] for row in in_order["ladder_now"]) > 0
    else:
        assert sum(row["persons"] for row in in_order["cohorts"]) > 0
        assert in_order["progression"]["caseworker_measurements"] > 0
