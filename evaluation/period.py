"""A report's period as a value: parsed once where it comes in (a view, a
command, a task) and handed down as is, so nothing below parses it again."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from common.dates import last_ended_month, month_end
from evaluation.models import ReportKind

MONTHS_DA = [
    "januar", "februar", "marts", "april", "maj", "juni",
    "juli", "august", "september", "oktober", "november", "december",
]  # fmt: skip


@dataclass(frozen=True)
class ReportPeriod:
    """A monthly follow-up's month (``as_of`` is its last day) or a service
    review's date."""

    kind: str
    as_of: dt.date

    @classmethod
    def parse(cls, kind: str, text: str) -> ReportPeriod:
        """``2026-10`` for a month, ``2026-11-22`` or ``22-11-2026`` for a review.

        Raises ValueError for a malformed period or an unknown kind; the
        message names the format and is safe to show.
        """
        if kind == ReportKind.MONTHLY:
            if not re.fullmatch(r"\d{4}-\d{2}", text or ""):
                raise ValueError(f"A month is written YYYY-MM, not {text!r}")
            return cls.monthly(dt.date.fromisoformat(f"{text}-01"))
        if kind == ReportKind.SERVICE_REVIEW:
            # DD-MM-YYYY as the page's date field shows it, or ISO as addresses carry it.
            if re.fullmatch(r"\d{2}-\d{2}-\d{4}", text or ""):
                day, month, year = text.split("-")
                text = f"{year}-{month}-{day}"
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text or ""):
                raise ValueError(f"A date is written DD-MM-YYYY or YYYY-MM-DD, not {text!r}")
            return cls.service_review(dt.date.fromisoformat(text))
        raise ValueError(f"Unknown report kind {kind!r}")

    @classmethod
    def monthly(cls, day: dt.date) -> ReportPeriod:
        """The month ``day`` falls in."""
        return cls(ReportKind.MONTHLY, month_end(day))

    @classmethod
    def month_before(cls, today: dt.date) -> ReportPeriod:
        """The last month that has ended on ``today``."""
        return cls.monthly(last_ended_month(today))

    @classmethod
    def service_review(cls, as_of: dt.date) -> ReportPeriod:
        return cls(ReportKind.SERVICE_REVIEW, as_of)

    @property
    def is_monthly(self) -> bool:
        return self.kind == ReportKind.MONTHLY

    @property
    def month_start(self) -> dt.date:
        return self.as_of.replace(day=1)

    @property
    def text(self) -> str:
        """The period as stored on archives and jobs and written in URLs."""
        return f"{self.as_of:%Y-%m}" if self.is_monthly else self.as_of.isoformat()

    @property
    def label(self) -> str:
        """``oktober 2026`` for a month, ``22-11-2026`` for a review date."""
        if self.is_monthly:
            return f"{MONTHS_DA[self.as_of.month - 1]} {self.as_of.year}"
        return f"{self.as_of:%d-%m-%Y}"

    def __str__(self) -> str:
        return self.text


def previous_month(today: dt.date) -> str:
    """The period of the last month that has ended on ``today``."""
    return ReportPeriod.month_before(today).text
