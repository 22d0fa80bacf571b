"""Calendar arithmetic the apps share: months, month ends and month ranges.

Every deadline and report period in the product counts in calendar months
from a date; these helpers are the one place that arithmetic lives.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools


@functools.lru_cache(maxsize=2**14)
def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (or earlier), kept inside shorter months:
    31 January plus one month is 28 (or 29) February.

    Cached: an import of 10,000 citizens asks seven times a citizen (three
    horizons, four deadlines), for a few hundred distinct arrival dates.
    """
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day.day, last))


def month_end(day: dt.date) -> dt.date:
    """The last day of ``day``'s month."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def month_starts(start: dt.date, end: dt.date) -> list[dt.date]:
    """The first day of every month that [start, end] touches, oldest first."""
    months = []
    month = start.replace(day=1)
    while month <= end:
        months.append(month)
        month = add_months(month, 1)
    return months


def month_count(start: dt.date, end: dt.date) -> int:
    """How many calendar months [start, end] touches."""
    return (end.year - start.year) * 12 + end.month - start.month + 1


def month_ends_back(end: dt.date, count: int) -> list[dt.date]:
    """The last days of ``count`` months ending with ``end``'s month, oldest first."""
    first = end.replace(day=1)
    return [month_end(add_months(first, -i)) for i in reversed(range(count))]


def last_ended_month(today: dt.date) -> dt.date:
    """The last day of the latest month that has ended on ``today``."""
    return today.replace(day=1) - dt.timedelta(days=1)
