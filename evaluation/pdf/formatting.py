"""Numbers, dates and months as the council reports print them: always Danish,
whatever language the person who asked for the report uses."""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from common.dates import add_months

MONTHS_DA_SHORT = [
    "jan.", "feb.", "mar.", "apr.", "maj", "jun.",
    "jul.", "aug.", "sep.", "okt.", "nov.", "dec.",
]  # fmt: skip
LADDER_STEPS_DA = {
    1: "Ordinært arbejde eller uddannelse",
    2: "Løntilskud, privat",
    3: "Løntilskud, offentlig",
    4: "Virksomhedspraktik, privat",
    5: "Virksomhedspraktik, offentlig",
    6: "Øvrige udviklingsindsatser",
    None: "Ingen aktuel placering",
}
# Decimals shown: the figures hold means to 2 places; showing fewer would
# round a rounded number.
MEAN_PLACES = 2
BENCHMARK_PLACES = 1


def da_date(value: dt.date | str | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return f"{value:%d-%m-%Y}"


def da_moment(value: str | None) -> str:
    """An ISO timestamp as ``22-11-2026 kl. 20:15``, in local time."""
    if not value:
        return ""
    moment = dt.datetime.fromisoformat(value)
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return f"{moment:%d-%m-%Y} kl. {moment:%H:%M}"


def month_short(month: str) -> str:
    """``2025-11`` -> ``nov. 2025``."""
    year, number = month.split("-")
    return f"{MONTHS_DA_SHORT[int(number) - 1]} {year}"


def period_text(period: str) -> str:
    """A benchmark period: a month written short, a quarter as ``4. kvt. 2018``,
    a year as it is."""
    if re.fullmatch(r"\d{4}-\d{2}", str(period)):
        return month_short(period)
    if re.fullmatch(r"\d{4}-Q[1-4]", str(period)):
        return f"{period[-1]}. kvt. {period[:4]}"
    return str(period)


def months_ago(month: str, count: int) -> str:
    """``2026-10`` and 23 -> ``2024-11``."""
    return f"{add_months(dt.date.fromisoformat(f'{month}-01'), -count):%Y-%m}"


def decimal_da(value: float | Decimal | None, places: int = 1) -> str:
    """A decimal with a comma, rounded half up (``3.25`` -> ``3,3``)."""
    if value is None:
        return "–"
    quantum = Decimal(1).scaleb(-places)
    rounded = Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP)
    return f"{rounded:,.{places}f}".replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def thousands_da(value: int) -> str:
    """A whole number with a dot between thousands: ``1914`` -> ``1.914``."""
    return f"{int(value):,}".replace(",", ".")


_LONG_NUMBER = re.compile(r"(?<![\d.,])\d{4,}(?![\d,])")


def numbers_da(text: str) -> str:
    """Every whole number of four or more digits in a printed cell (``1914``,
    ``1000–1099``) written with thousands dots."""
    return _LONG_NUMBER.sub(lambda match: thousands_da(int(match[0])), text)


# A quotation typed with straight or English curly quotes: "…", “…”, „…“.
_QUOTED = re.compile(r"[\"“„]([^\"“”„\n]+?)[\"”“]")


def quotes_da(text: str) -> str:
    """Quotations in a text written the Danish way, »…«."""
    return _QUOTED.sub(r"»\1«", text)


MONTH_TICK_EVERY = 3


def month_axis_labels(months: list[str]) -> list[str]:
    """Labels for a chart's month axis: every third calendar month, counted
    back from the last month listed (the report's month), as ``nov.``; the year
    under the first labelled month of each year only. Other months get a tick
    without a label (a month left out of the list is simply not there). A
    period that is not a month (``2018``) is labelled as it is."""
    labels = []
    years_shown: set[str] = set()
    shown = [m for m in months if re.fullmatch(r"\d{4}-\d{2}", str(m))]
    last = _month_number(shown[-1]) if shown else 0
    for month in months:
        if not re.fullmatch(r"\d{4}-\d{2}", str(month)):
            labels.append(period_text(month))
            continue
        if (last - _month_number(month)) % MONTH_TICK_EVERY:
            labels.append("")
            continue
        year, number = month.split("-")
        label = MONTHS_DA_SHORT[int(number) - 1]
        if year not in years_shown:
            years_shown.add(year)
            label += f"\n{year}"
        labels.append(label)
    return labels


def _month_number(month: str) -> int:
    year, number = month.split("-")
    return int(year) * 12 + int(number) - 1
