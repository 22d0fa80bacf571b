"""The deadlines that count from a citizen's arrival, as pure functions.

Dates have no time of day: a placement that starts on arrival day + 4 is
within 96 hours, one that starts on day + 5 is a breach. Calendar months are
"the same day that many months later, or that month's last day when the day
does not exist" (31-01 + 1 month = 28-02 or 29-02).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from common.dates import add_months


class DeadlineKind(models.TextChoices):
    FIRST_PLACEMENT = "first_placement", _("First ladder placement (96 hours)")
    HEALTH_OFFER = "health_offer", _("Offer of health assessment (3 months)")
    FOLLOW_UP = "follow_up", _("Follow-up (every 3 months)")


FIRST_PLACEMENT_DAYS = 4  # 96 hours
HEALTH_OFFER_MONTHS = 3
FOLLOW_UP_MONTHS = 3


def first_placement_due(arrival: dt.date) -> dt.date:
    return arrival + dt.timedelta(days=FIRST_PLACEMENT_DAYS)


def health_offer_due(arrival: dt.date) -> dt.date:
    return add_months(arrival, HEALTH_OFFER_MONTHS)


def next_follow_up_due(arrival: dt.date, last_follow_up: dt.date | None) -> dt.date:
    return add_months(last_follow_up or arrival, FOLLOW_UP_MONTHS)


def placement_hours(arrival: dt.date, first_placement: dt.date) -> int:
    return (first_placement - arrival).days * 24


def is_placement_breach(
    arrival: dt.date,
    first_placement: dt.date | None,
    today: dt.date,
    *,
    adult_at_arrival: bool = True,
) -> bool:
    """True when an adult's first placement came, or is still missing, after 96 hours."""
    if not adult_at_arrival:
        return False
    due = first_placement_due(arrival)
    if first_placement is None:
        return today > due
    return first_placement > due


@dataclass(frozen=True)
class Deadline:
    kind: str
    due: dt.date


def pending_deadlines(
    *,
    arrival: dt.date,
    first_placement: dt.date | None,
    health_offered: dt.date | None,
    last_follow_up: dt.date | None,
    adult_at_arrival: bool = True,
) -> list[Deadline]:
    """The deadlines an open case still has to meet, earliest first.

    The employment priority ladder is for adults: a child at arrival has no
    96-hour placement deadline.
    """
    pending = []
    if adult_at_arrival and first_placement is None:
        pending.append(Deadline(DeadlineKind.FIRST_PLACEMENT, first_placement_due(arrival)))
    if health_offered is None:
        pending.append(Deadline(DeadlineKind.HEALTH_OFFER, health_offer_due(arrival)))
    pending.append(Deadline(DeadlineKind.FOLLOW_UP, next_follow_up_due(arrival, last_follow_up)))
    return sorted(pending, key=lambda d: d.due)


def next_deadline(**facts) -> Deadline:
    return pending_deadlines(**facts)[0]


def arrivals_due_between(start: dt.date, end: dt.date, months: int) -> tuple[dt.date, dt.date]:
    """The first and last arrival day whose deadline ``months`` calendar months on
    falls in [start, end]. ``add_months`` never goes back as the day goes on, so
    these arrivals are one run of days (the end of a short month takes the days
    of a longer month that clip to it: 29-31 January + 1 month = 28 February)."""
    one = dt.timedelta(days=1)
    first = add_months(start, -months)
    while add_months(first - one, months) >= start:
        first -= one
    while add_months(first, months) < start:
        first += one
    last = add_months(end, -months)
    while add_months(last + one, months) <= end:
        last += one
    return first, last
