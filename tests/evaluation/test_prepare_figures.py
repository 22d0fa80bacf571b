"""``manage.py prepare_figures`` counts ahead what the papers read, so that
last month's follow-up and a review as of its end count nothing the night
left them (PostgreSQL); on SQLite it says nothing is kept."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from common import dates
from evaluation import figures
from evaluation.models import ReportKind
from evaluation.period import ReportPeriod
from fixtures.bench.seed import seed
from integration import report_days
from integration.models import KeptFigures
from progression import selectors as progression_selectors
from tests.factories import published_questionnaire

pytestmark = pytest.mark.django_db(transaction=True)


def _prepare(*args) -> str:
    out = io.StringIO()
    call_command("prepare_figures", *args, stdout=out)
    return out.getvalue()


def test_the_papers_read_what_the_night_counted(monkeypatch):
    if connection.vendor != "postgresql":
        assert _prepare() == "Nothing kept: figures are kept on PostgreSQL only.\n"
        return
    published_questionnaire()
    seed(citizens=150, password="prepare-figures-1", seed=5)
    said = _prepare("--months", "13")
    assert "figures counted and kept, 0 still held" in said
    last = dates.last_ended_month(timezone.localdate())
    ladder_days = set(
        KeptFigures.objects.filter(name="ladder", key="").values_list("day", flat=True)
    )
    assert set(dates.month_ends_back(last, 13)) <= ladder_days

    asked = []
    for module, name in (
        (report_days, "ladder_on_days"),
        (report_days, "programme_counts_on_days"),
        (progression_selectors, "measurement_counts_by_month"),
        (progression_selectors, "caseworker_summary"),
    ):
        monkeypatch.setattr(module, name, lambda *a, _n=name, **k: asked.append(_n))
    monthly = figures.monthly_figures(ReportPeriod.parse(ReportKind.MONTHLY, f"{last:%Y-%m}"))
    review = figures.service_review_figures(
        ReportPeriod.parse(ReportKind.SERVICE_REVIEW, last.isoformat())
    )
    assert asked == []
    assert monthly["ladder_months"] and review["progression"]
    # A second night counts nothing new.
    assert "0 figures counted and kept" in _prepare("--months", "13")


def test_months_out_of_range_are_refused():
    with pytest.raises(CommandError, match="between 1 and 240"):
        _prepare("--months", "0")
