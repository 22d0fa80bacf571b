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
