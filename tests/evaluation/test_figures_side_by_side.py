"""The monthly follow-up's counts run side by side in one snapshot on
PostgreSQL (``common.snapshot``): the figures are exactly those counted one
after the other, on a synthetic municipality with every kind of fact."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.utils import timezone

from common import snapshot
from evaluation import figures
from evaluation.period import ReportKind, ReportPeriod
from fixtures.bench.seed import seed
from tests.common.test_snapshot import _postgresql


def _without_clock(found: dict) -> dict:
    return {key: value for key, value in found.items() if key != "generated_at"}


@pytest.mark.django_db(transaction=True)
def test_monthly_figures_side_by_side_equal_those_counted_in_order(settings, monkeypatch):
    _postgresql()
    seed(citizens=300, password="side-by-side-1", seed=11)
    today = timezone.localdate()
    month = (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    period = ReportPeriod.parse(ReportKind.MONTHLY, month)
    workers = set()
    run_in = snapshot._run_in

    def watched(*args):
        workers.add(threading.current_thread().name)
        return run_in(*args)

    monkeypatch.setattr(snapshot, "_run_in", watched)
    settings.REPORT_QUERY_THREADS = 1
    in_order = figures.monthly_figures(period)
    assert workers == set()
    settings.REPORT_QUERY_THREADS = 3
    side_by_side = figures.monthly_figures(period)
    assert len(workers) == 3
    assert _without_clock(side_by_side) == _without_clock(in_order)
    # Not an empty report: the synthetic municipality fills its tables.
    assert in_order["in_programme"]["total"] > 0
    assert sum(row["count"] for row in in_order["ladder_now"]) > 0
    assert in_order["progression"]["trend"]
