"""A report's period: parsed from the text a form, a URL or a command gives,
and written back the same way."""

import datetime as dt

import pytest

from evaluation.models import ReportKind
from evaluation.period import ReportPeriod, previous_month


def test_a_month_ends_on_its_last_day_and_reads_in_danish():
    period = ReportPeriod.parse(ReportKind.MONTHLY, "2024-02")
    assert period.as_of == dt.date(2024, 2, 29)  # a leap year
    assert period.month_start == dt.date(2024, 2, 1)
    assert (period.text, period.label) == ("2024-02", "februar 2024")


def test_a_review_is_its_own_date():
    period = ReportPeriod.parse(ReportKind.SERVICE_REVIEW, "2026-11-22")
    assert period.as_of == dt.date(2026, 11, 22)
    assert (period.text, period.label) == ("2026-11-22", "22-11-2026")


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        (ReportKind.MONTHLY, "2026-10-01", "YYYY-MM"),
        (ReportKind.MONTHLY, "2026-13", "month must be"),
        (ReportKind.SERVICE_REVIEW, "2026-10", "YYYY-MM-DD"),
        (ReportKind.SERVICE_REVIEW, "2026-02-30", "day is out of range"),
        ("weekly", "2026-10", "Unknown report kind"),
    ],
)
def test_a_malformed_period_is_refused(kind, text, message):
    with pytest.raises(ValueError, match=message):
        ReportPeriod.parse(kind, text)


def test_the_month_before_is_the_last_month_that_has_ended():
    assert ReportPeriod.month_before(dt.date(2026, 1, 1)).text == "2025-12"
    assert previous_month(dt.date(2026, 3, 31)) == "2026-02"
