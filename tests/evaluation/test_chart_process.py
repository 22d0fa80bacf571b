"""Charts drawn in a process of their own while the paper is laid out
(``evaluation.charts.ChartProcess``, the ``report`` command's way).

The paper must come out the same to the byte as when the charts are drawn in
the one process, a chart that fails or is left out must stop it, and no
process may outlive the report.
"""

import gc
import io
import multiprocessing

import pytest
from django.core.management import call_command
from django.utils import timezone
from weasyprint.urls import FatalURLFetchingError

from evaluation import charts, services
from evaluation.models import ReportArchive, ReportKind
from evaluation.pdf import render
from evaluation.period import ReportPeriod, previous_month
from tests.evaluation.test_reports import AFTER_OCTOBER, monthly_by_hand, review_by_hand

pytestmark = pytest.mark.django_db

OCTOBER = ReportPeriod.parse(ReportKind.MONTHLY, "2026-10")
REVIEW = ReportPeriod.parse(ReportKind.SERVICE_REVIEW, "2026-11-20")


@pytest.fixture(autouse=True)
def report_settings(settings):
    settings.MUNICIPALITY_NAME = "Testby Kommune"
    settings.REPORT_MIN_CELL = 5


@pytest.mark.parametrize(
    ("period", "by_hand"),
    [(OCTOBER, monthly_by_hand), (REVIEW, lambda: review_by_hand(as_of="2026-11-20"))],
    ids=["monthly", "service-review"],
)
def test_charts_drawn_apart_give_the_same_paper_to_the_byte(monkeypatch, period, by_hand):
    monkeypatch.setattr(services, "report_figures", lambda p, **options: by_hand())
    drawn_here = []
    monkeypatch.setattr(charts, "data_uri", _counting(charts.data_uri, drawn_here))

    # The review's texts are final in the figures; none is stored to check.
    make = {"period": period, "today": AFTER_OCTOBER, "allow_draft": True}
    here = services.report_make(**make)
    charts_here = len(drawn_here)
    apart = services.report_make(**make, charts_apart=True)

    assert charts_here >= 2  # the paper has charts, drawn here the first time
    assert len(drawn_here) == charts_here  # and none here the second time
    assert (here.version, apart.version) == (1, 2)
    assert apart.sha256 == here.sha256
    assert multiprocessing.active_children() == []


def test_inside_drawn_apart_a_chart_is_an_address_the_renderer_waits_for():
    months, steps = ["10-2026"], [("1. Trin", [12])]
    with charts.drawn_apart() as process:
        src = charts.chart_src(charts.ladder_months_svg, months, steps, [None])
        served = process.resources()[src]()

    assert src == render.REPORT_BASE_URL + "charts/1.svg"
    assert served.decode() == charts.ladder_months_svg(months, steps, [None])
    assert charts.chart_src(charts.ladder_months_svg, months, steps, [None]).startswith("data:")
    assert multiprocessing.active_children() == []


def _failing_chart(*args, **kwargs):
    raise ValueError("the chart could not be drawn")


def test_a_chart_that_fails_in_its_process_stops_the_paper(monkeypatch):
    monkeypatch.setattr(services, "report_figures", lambda p: monthly_by_hand())
    # Patched before the fork, so the chart process draws with it too.
    monkeypatch.setattr(charts, "ladder_months_svg", _failing_chart)

    with pytest.raises(FatalURLFetchingError) as refused:
        services.report_make(period=OCTOBER, today=AFTER_OCTOBER, charts_apart=True)

    assert "the chart could not be drawn" in str(refused.value.__cause__)
    assert not ReportArchive.objects.exists()
    assert multiprocessing.active_children() == []


def test_a_chart_the_renderer_never_asked_for_stops_the_paper():
    html = '<html lang="da"><body><p>Ingen figur</p></body></html>'
    with charts.drawn_apart() as process:
        charts.chart_src(charts.ladder_months_svg, ["10-2026"], [("1. Trin", [12])], [None])
        render.render_pdf(html, fetcher=render.static_only_fetcher(process.resources()))
        with pytest.raises(RuntimeError, match="left out 1 chart"):
            process.check_all_drawn()


def test_the_fetcher_serves_a_made_chart_only_at_its_own_address():
    made = {render.REPORT_BASE_URL + "charts/1.svg": lambda: b"<svg/>"}
    fetcher = render.static_only_fetcher(made)

    response = fetcher.fetch(render.REPORT_BASE_URL + "charts/1.svg")

    assert response.headers["Content-Type"] == "image/svg+xml"
    for url in [
        render.REPORT_BASE_URL + "charts/2.svg",
        "https://example.com/charts/1.svg",
        render.REPORT_BASE_URL + "charts/1.svg/../../static/css/report.css",
    ]:
        with pytest.raises(render.FetchRefused):
            fetcher.fetch(url)


def test_the_command_draws_apart_and_leaves_neither_process_nor_setting(tmp_path, monkeypatch):
    period = previous_month(timezone.localdate())
    monkeypatch.setattr(services, "report_figures", lambda p: monthly_by_hand(period=p.text))
    started = []
    monkeypatch.setattr(charts, "ChartProcess", _counting(charts.ChartProcess, started))
    threshold = gc.get_threshold()

    call_command(
        "report", "monthly", "--month", period, "--output", str(tmp_path / "m.pdf"),
        stdout=io.StringIO(),
    )  # fmt: skip

    assert len(started) == 1
    assert (tmp_path / "m.pdf").read_bytes() == bytes(ReportArchive.objects.get().pdf)
    assert multiprocessing.active_children() == []
    assert gc.get_threshold() == threshold


def _counting(function, calls: list):
    def counted(*args, **kwargs):
        calls.append(args)
        return function(*args, **kwargs)

    return counted


def test_without_a_process_to_fork_the_charts_are_drawn_here(monkeypatch):
    monkeypatch.setattr(services, "report_figures", lambda p: monthly_by_hand())
    here = services.report_make(period=OCTOBER, today=AFTER_OCTOBER)

    def no_shared_memory(*args, **kwargs):
        raise OSError(38, "Function not implemented")  # what SemLock says without /dev/shm

    monkeypatch.setattr(multiprocessing.get_context("fork"), "Pool", no_shared_memory)
    with charts.drawn_apart() as process:
        assert process is None
    apart = services.report_make(period=OCTOBER, today=AFTER_OCTOBER, charts_apart=True)

    assert apart.sha256 == here.sha256
